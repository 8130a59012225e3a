"""The bronze source tests check the rows the staging models have not read yet, and no fewer.

A small world is loaded into bronze (as bench/bench_dbt.py does) and built. Then a bronze file
appears holding an enterprise without a name (a required field) stamped as ingested before
the last build: a row already staged and tested, which a daily run need not scan again, so
the build stays green. Then the same bad record arrives in a new batch: the build must fail
on the not_null test of bronze.enterprises.name, with that one row.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import pytest

from creditlake.core.config import PROJECT_ROOT

ENTERPRISES, MONTHS, SEED = 120, 13, 5
NAME_TEST = "source_not_null_bronze_enterprises_name"

pytestmark = pytest.mark.slow


def _bench():
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from bench import bench_dbt

    return bench_dbt


def _build(warehouse) -> tuple[bool, dict]:
    """A scheduled build; (success, the name test's run result)."""
    from creditlake import transform

    outcome = transform.run_dbt(transform.PRODUCTION_BUILD, show_progress=False)
    results = json.loads((warehouse / "marts" / "dbt" / "target" / "run_results.json").read_text())
    (name_test,) = [r for r in results["results"] if NAME_TEST in r["unique_id"]]
    return bool(outcome.success), name_test


def _nameless_enterprise(bronze, file: str, ingested_at: dt.datetime) -> None:
    """A further bronze file: one enterprise's record again, without its name."""
    import duckdb

    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * REPLACE (NULL AS name, TIMESTAMPTZ '{ingested_at.isoformat()}' AS _ingested_at) "
            f"FROM read_parquet('{bronze / 'enterprises'}/*.parquet') LIMIT 1) "
            f"TO '{bronze / 'enterprises' / file}' (FORMAT parquet)"
        )


def test_source_tests_skip_staged_rows_and_catch_new_ones(tmp_path):
    from creditlake.simulator.generator import generate

    bench = _bench()
    sim = tmp_path / "sim"
    generate(out=sim, seed=SEED, enterprises=ENTERPRISES, months=MONTHS)
    warehouse = tmp_path / "warehouse"
    bronze, db = warehouse / "bronze", warehouse / "marts" / "creditlake.duckdb"
    clock = bench.start_clock(sim)
    day1, day2 = clock + dt.timedelta(days=1), clock + dt.timedelta(days=2)
    saved = os.environ.get("CREDITLAKE_WAREHOUSE")
    os.environ["CREDITLAKE_WAREHOUSE"] = str(warehouse)
    try:
        bench.load_bronze(sim, bronze, db, clock)
        ok, first = _build(warehouse)
        assert ok and first["status"] == "pass"

        _nameless_enterprise(bronze, "staged_before.parquet", clock - dt.timedelta(hours=1))
        bench.load_bronze(sim, bronze, db, day1, since=clock)  # views now include that file
        ok, daily = _build(warehouse)
        assert ok, "a row older than the staged mark was tested again (the window is too wide)"
        assert daily["status"] == "pass"

        _nameless_enterprise(bronze, "arrived_now.parquet", day2)
        bench.load_bronze(sim, bronze, db, day2, since=day1)
        ok, late = _build(warehouse)
        assert not ok, "a new bronze row without a required field passed the build"
        assert late["status"] == "fail" and late["failures"] == 1, late
    finally:
        if saved is None:
            os.environ.pop("CREDITLAKE_WAREHOUSE", None)
        else:
            os.environ["CREDITLAKE_WAREHOUSE"] = saved
