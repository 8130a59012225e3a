"""Incremental models give the marts a full rebuild gives.

A small simulated world is loaded into bronze at its start clock and built; then new days
arrive and are built incrementally (one day, then two days in one run, as after a missed run).
The second batch also carries late corrections the simulator's few days would not: meter
readings and tax returns half a year old, cancelled invoices, enterprises moved to another
industry or to a later founding date. A copy of the database is rebuilt with `--full-refresh`
over the same bronze, and every mart must match the incremental one (doubles to 9 significant
digits: summation order may differ).
Bronze is written straight from the simulator's feeds, as bench/bench_dbt.py does, so this
test exercises the transformation only.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys

import pytest

from creditlake.core.config import PROJECT_ROOT

ENTERPRISES, MONTHS, SEED = 300, 16, 11

pytestmark = pytest.mark.slow


def _bench():
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from bench import bench_dbt

    return bench_dbt


def _build(warehouse, *args: str) -> None:
    from creditlake import transform

    outcome = transform.run_dbt(["build", *args], show_progress=False)
    assert outcome.success, f"dbt build {' '.join(args)} failed in {warehouse}"


def _marts(db) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted, without _built_at; doubles as text to 9 significant digits."""
    import duckdb

    con = duckdb.connect(str(db))  # the same instance dbt holds in this process
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' AND database_name = current_database()"
            ).fetchall()
        ]
        out = {}
        for table in tables:
            cols = con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'marts' "
                "AND table_name = ? AND database_name = current_database() AND column_name <> '_built_at'",
                [table],
            ).fetchall()
            select = ", ".join(
                f"printf('%.9g', \"{c}\")" if t in ("DOUBLE", "FLOAT") else f'"{c}"'
                for c, t in cols
            )
            out[table] = sorted(
                con.execute(f"SELECT {select} FROM marts.{table}").fetchall(), key=repr
            )
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def incremental_and_full(tmp_path_factory):
    import os

    from creditlake.simulator.generator import generate

    bench = _bench()
    root = tmp_path_factory.mktemp("dbt_incremental")
    sim = root / "sim"
    generate(out=sim, seed=SEED, enterprises=ENTERPRISES, months=MONTHS)
    warehouse = root / "incremental"
    db = warehouse / "marts" / "creditlake.duckdb"
    clock = bench.start_clock(sim)
    saved = os.environ.get("CREDITLAKE_WAREHOUSE")
    os.environ["CREDITLAKE_WAREHOUSE"] = str(warehouse)
    try:
        bench.load_bronze(sim, warehouse / "bronze", db, clock)
        _build(warehouse)
        day1, day3 = clock + dt.timedelta(days=1), clock + dt.timedelta(days=3)
        bench.load_bronze(sim, warehouse / "bronze", db, day1, since=clock)
        _build(warehouse)
        panel_rows, rewritten = _rewritten(db, "fct_enterprise_month")
        tested = _rows_the_tests_checked(warehouse, db, "fct_enterprise_month")
        _build(warehouse)  # no new data
        tested_without_new_data = _rows_the_tests_checked(warehouse, db, "fct_enterprise_month")
        _late_corrections(warehouse / "bronze", clock, day3)
        bench.load_bronze(sim, warehouse / "bronze", db, day3, since=day1)  # two days in one run
        _build(warehouse)
        incremental = _marts(db)

        full = root / "full"
        (full / "marts").mkdir(parents=True)
        from creditlake.transform import checkpoint

        checkpoint(db)
        shutil.copyfile(db, full / "marts" / "creditlake.duckdb")
        os.environ["CREDITLAKE_WAREHOUSE"] = str(full)
        _build(full, "--full-refresh")
        rebuilt = _marts(full / "marts" / "creditlake.duckdb")
    finally:
        if saved is None:
            os.environ.pop("CREDITLAKE_WAREHOUSE", None)
        else:
            os.environ["CREDITLAKE_WAREHOUSE"] = saved
    return incremental, rebuilt, panel_rows, rewritten, (tested, tested_without_new_data)


def _late_corrections(bronze, clock: dt.datetime, stamp: dt.datetime) -> None:
    """New versions of old records, as further bronze files (the views read every file)."""
    import duckdb

    def period(months_back: int) -> str:
        index = clock.year * 12 + clock.month - 1 - months_back
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    at = f"TIMESTAMPTZ '{stamp.isoformat()}'"
    quarter_end = next(
        period(back) for back in range(5, 8) if int(period(back)[5:]) % 3 == 0
    )  # quarterly returns too
    versions = {
        "meter_readings": (f"period = '{period(7)}'", "consumption * 0.4 AS consumption"),
        "tax_filings": (
            f"period = '{quarter_end}' AND tax_type = 'vat'",
            "declared_revenue * 0.5 AS declared_revenue",
        ),
        "invoices": (
            f"strftime(CAST(issued_on AS DATE), '%Y-%m') = '{period(5)}'",
            "'cancelled' AS status",
        ),
        "enterprises": ("industry_code LIKE 'C%'", "'F5191' AS industry_code"),
    }
    con = duckdb.connect()
    for dataset, (where, change) in versions.items():
        files = f"{bronze / dataset}/*.parquet"
        con.execute(f"""
            COPY (SELECT * REPLACE ({change}, {at} - INTERVAL 1 HOUR AS updated_at, {at} AS _ingested_at)
                  FROM read_parquet('{files}') WHERE {where}
                  QUALIFY row_number() OVER (ORDER BY _record_hash) <= 20)
            TO '{bronze / dataset}/{stamp:%Y%m%dT%H%M%S}_corrections.parquet' (FORMAT parquet)""")
    # two enterprises founded later than recorded: their first months go
    con.execute(f"""
        COPY (SELECT * REPLACE (CAST(established_on AS DATE) + INTERVAL 90 DAY AS established_on,
                                {at} - INTERVAL 1 HOUR AS updated_at, {at} AS _ingested_at)
              FROM read_parquet('{bronze}/enterprises/*.parquet')
              WHERE industry_code NOT LIKE 'C%' AND CAST(established_on AS DATE) > DATE '{period(10)}-01'
              QUALIFY row_number() OVER (ORDER BY _record_hash) <= 2)
        TO '{bronze}/enterprises/{stamp:%Y%m%dT%H%M%S}_founding.parquet' (FORMAT parquet)""")
    con.close()


def _rewritten(db, table: str) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect(str(db))
    try:
        return con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE _built_at = (SELECT max(_built_at) FROM marts.{table})) "
            f"FROM marts.{table}"
        ).fetchone()
    finally:
        con.close()


def _rows_the_tests_checked(warehouse, db, table: str) -> int:
    """How many rows of the mart the uniqueness test of the last build looked at: its compiled
    SQL cuts the mart to the latest run's rows (macros/tests/where_latest_run.sql)."""
    import re

    import duckdb

    compiled = warehouse / "marts" / "dbt" / "target" / "compiled"
    sql = next(compiled.rglob(f"unique_combination_{table}_*.sql")).read_text()
    condition = re.search(r"\(select \* from \S+ where (.+?)\) dbt_subquery", sql, re.S).group(1)
    con = duckdb.connect(str(db))
    try:
        return con.execute(f"SELECT count(*) FROM marts.{table} WHERE {condition}").fetchone()[0]
    finally:
        con.close()


def test_daily_run_rewrites_only_what_changed(incremental_and_full):
    _, _, panel_rows, rewritten, _ = incremental_and_full
    assert 0 < rewritten < panel_rows / 4, (rewritten, panel_rows)


def test_daily_tests_check_exactly_the_rows_the_run_wrote(incremental_and_full):
    _, _, _, rewritten, (tested, tested_without_new_data) = incremental_and_full
    assert tested == rewritten
    assert tested_without_new_data == 0  # a run that changed nothing tests nothing


def test_incremental_marts_equal_a_full_rebuild(incremental_and_full):
    incremental, rebuilt, _, _, _ = incremental_and_full
    assert incremental.keys() == rebuilt.keys()
    for table in sorted(rebuilt):
        only_incremental = set(incremental[table]) - set(rebuilt[table])
        only_rebuilt = set(rebuilt[table]) - set(incremental[table])
        assert (
            len(incremental[table]) == len(rebuilt[table])
            and not only_incremental
            and not only_rebuilt
        ), (
            f"marts.{table}: {len(only_incremental)} rows only after the incremental runs "
            f"(e.g. {sorted(only_incremental, key=repr)[:2]}), {len(only_rebuilt)} only after a full rebuild "
            f"(e.g. {sorted(only_rebuilt, key=repr)[:2]})"
        )
