"""The whole pipeline through Airflow's dag.test() on small data: a simulated day of every DAG
(ingestion, dbt, maintenance, the monthly extract), then a backfill of the same day that
must leave the state unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from creditlake.core.contract import DATASETS

# Marts about the pipeline's own runs (ingest log, freshness "now") change with every run by design.
OPERATIONAL_MARTS = {"fct_ingest_batches", "rpt_source_freshness"}


def _state(warehouse: Path) -> dict:
    """What a backfill must not change: bronze versions, published marts, extract bytes."""
    import duckdb

    from creditlake.lakehouse.read import read_bronze

    state = {"bronze": {d: read_bronze(d).num_rows for d in DATASETS}}
    with duckdb.connect(
        str(warehouse / "marts" / "published" / "creditlake.duckdb"), read_only=True
    ) as con:
        tables = con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = 'marts' order by all"
        ).fetchall()
        state["marts"] = {
            t: con.sql(f'select count(*) from "{s}"."{t}"').fetchall()[0][0]
            for s, t in tables
            if t not in OPERATIONAL_MARTS
        }
    state["extract"] = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((warehouse / "extracts").rglob("*"))
        if p.is_file()
    }
    return state


@pytest.mark.slow
def test_pipeline_daily_runs_extract_and_backfill(pipeline):
    warehouse = Path(pipeline.env["CREDITLAKE_WAREHOUSE"])
    # On 2026-11-01 (a Sunday) the bank's newest month-end file is September's.
    daily = pipeline("--start", "2026-11-01", "--days", "1", "--extract", "2026-09")
    assert set(daily["results"].values()) == {"success"}
    ran = {key.split("@")[0] for key in daily["results"]}
    assert {
        "transform_dbt",
        "maintenance",
        "regulator_extract",
        "ingest_bank",
        "ingest_commerce",
    } <= ran

    state = _state(warehouse)
    assert all(n > 0 for n in state["bronze"].values()), state["bronze"]
    assert state["marts"].get("fct_loan_month", 0) > 0
    assert {"manifest.json", "loan_level_2026-09.csv", "loan_level_2026-09.parquet"} <= set(
        state["extract"]
    )

    # A backfill of the same day (every DAG cleared and run again) and a re-run of the
    # extract give the state the daily run gave, to the byte for the extract.
    backfill = pipeline("--start", "2026-11-01", "--days", "1", "--extract", "2026-09")
    assert set(backfill["results"].values()) == {"success"}
    after = _state(warehouse)
    for layer in state:
        changed = {
            k: (v, after[layer].get(k)) for k, v in state[layer].items() if after[layer].get(k) != v
        }
        assert changed == {} and set(after[layer]) == set(state[layer]), layer
    print("dag.test timings (s):", {k: round(v, 1) for k, v in daily["timings"].items()})
