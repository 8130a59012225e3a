"""The marts built through the real path (see conftest.py), checked against the simulator's truth.

One dbt build for the whole module; each test only queries the published marts file.
"""

from __future__ import annotations

import pyarrow.parquet as pq

from creditlake import backtest
from creditlake.model.metrics import auc_ks


def test_build_is_green_and_published(dbt_build):
    _, result = dbt_build
    assert result.success
    assert result.published_db.exists()
    assert not result.failures
    assert result.statuses.get("pass", 0) > 50  # the data and unit tests ran


def test_unit_tests_pass(dbt_build):
    """Scheduled builds leave dbt's unit tests to CI: this build runs them, and all pass."""
    import json

    _, result = dbt_build
    run = json.loads((result.marts_db.parent / "dbt" / "target" / "run_results.json").read_text())
    unit = [r for r in run["results"] if r["unique_id"].startswith("unit_test.")]
    assert len(unit) >= 5 and all(r["status"] == "pass" for r in unit)


def test_one_row_per_enterprise(marts, sim_dir):
    registry = marts.execute("SELECT count(*) FROM staging.stg_commerce__enterprises").fetchone()[0]
    rows, distinct = marts.execute(
        "SELECT count(*), count(DISTINCT uscc) FROM marts.dim_enterprise"
    ).fetchone()
    assert rows == distinct == registry
    truth = (
        pq.read_table(sim_dir / "truth" / "enterprises.parquet", columns=["uscc"])
        .column("uscc")
        .to_pylist()
    )
    # every enterprise the registry published is a real one (bad records were quarantined)
    assert set(marts.execute("SELECT uscc FROM marts.dim_enterprise").fetchall()) <= {
        (u,) for u in truth
    }


def test_monthly_panel_covers_every_enterprise_month(marts):
    gaps = marts.execute("""
        SELECT count(*) FROM (
            SELECT uscc, count(*) AS months,
                   date_diff('month', min(month), max(month)) + 1 AS span
            FROM marts.fct_enterprise_month GROUP BY uscc
        ) WHERE months <> span
    """).fetchone()[0]
    assert gaps == 0


def test_identity_resolution_meets_targets(marts, sim_dir):
    result = backtest.run(marts_db=_path(marts), truth_dir=sim_dir / "truth")
    identity = result["identity"]["without_source_uscc"]
    assert identity["precision"] >= 0.99, identity
    assert identity["recall"] >= 0.95, identity


def test_planted_distress_gets_warnings(marts, sim_dir):
    truth = pq.read_table(sim_dir / "truth" / "enterprises.parquet").to_pylist()
    last = marts.execute("SELECT max(period) FROM marts.fct_credit_score").fetchone()[0]
    # distress that began at least three months before the end of the data
    distressed = {
        t["uscc"]
        for t in truth
        if t["distressed"] and t["onset_period"] and t["onset_period"] <= _shift(last, -3)
    }
    assert distressed, "the small simulation should plant some distress"
    warned = {
        r[0]
        for r in marts.execute(
            "SELECT DISTINCT uscc FROM marts.fct_risk_warnings WHERE level = 'red' OR months_active >= 2"
        ).fetchall()
    }
    assert len(distressed & warned) / len(distressed) >= 0.8
    healthy = {
        t["uscc"]
        for t in truth
        if not t["distressed"] and not t["core_distressed"] and not t["overdeclares"]
    }
    assert len(healthy & warned) / len(healthy) < 0.2


def test_scores_rank_distressed_below_healthy(marts, sim_dir):
    truth = {
        t["uscc"]: t for t in pq.read_table(sim_dir / "truth" / "enterprises.parquet").to_pylist()
    }
    last = marts.execute("SELECT max(period) FROM marts.fct_credit_score").fetchone()[0]
    scores = marts.execute(
        "SELECT uscc, score FROM marts.fct_credit_score WHERE period = ?", [last]
    ).fetchall()
    bad = [
        s
        for u, s in scores
        if truth[u]["distressed"] and truth[u]["onset_period"] <= _shift(last, -3)
    ]
    good = [s for u, s in scores if not truth[u]["distressed"]]
    auc, _ = auc_ks(bad + good, [True] * len(bad) + [False] * len(good))
    assert auc >= 0.85


def test_credit_lines_respect_product_limits_and_cap(marts):
    over = marts.execute("""
        SELECT count(*) FROM marts.fct_credit_line_offers o JOIN marts.dim_product p USING (product_id)
        WHERE o.suggested_line > least(p.max_amount, 10000000) OR o.suggested_line < p.min_amount
    """).fetchone()[0]
    assert over == 0
    assert (
        marts.execute(
            "SELECT count(*) FROM marts.fct_credit_line_offers WHERE offer_status = 'offered'"
        ).fetchone()[0]
        > 0
    )


def test_data_quality_mart_accounts_for_every_batch(marts):
    batches, unaccounted = marts.execute(
        "SELECT count(*), coalesce(sum(abs(unaccounted_rows)), 0) FROM marts.fct_ingest_batches"
    ).fetchone()
    assert batches > 0
    assert unaccounted == 0
    quarantined = marts.execute(
        "SELECT sum(quarantined_rows) FROM marts.rpt_source_freshness"
    ).fetchone()[0]
    assert quarantined > 0  # the simulator plants bad records


def _path(con) -> str:
    return con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()[0]


def _shift(period: str, months: int) -> str:
    year, month = map(int, period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
