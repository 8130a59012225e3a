"""The data-quality marts of the session build (conftest.py): reference orphans and the
observations validation counted, held against the lakehouse they were built from."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

from creditlake.core.contract import OBSERVATIONS


def test_orphan_mart_has_one_row_per_kind_and_the_default_threshold(marts):
    rows = marts.execute(
        "SELECT kind, child_rows, orphan_rows, orphan_share, threshold, min_child_rows, exceeded "
        "FROM marts.rpt_reference_orphans"
    ).fetchall()
    assert len(rows) == len({r[0] for r in rows}) >= 20
    for kind, child_rows, orphan_rows, _share, threshold, min_rows, exceeded in rows:
        assert 0 <= orphan_rows <= child_rows, kind
        assert (threshold, min_rows) == (
            Decimal("0.1000"),
            100,
        )  # dbt_project.yml, no environment override
        assert not exceeded, kind  # else the build would have failed and published nothing
    # the kinds every feed of this world has rows of
    counted = {kind for kind, child_rows, *_ in rows if child_rows > 0}
    assert {
        "meter_reading_account",
        "tax_filing_enterprise",
        "ss_contribution_enterprise",
        "invoice_seller_enterprise",
        "loan_enterprise",
        "repayment_loan",
        "identity_map_enterprise",
    } <= counted


def test_ingest_observations_are_the_ingest_logs(dbt_build, marts, monkeypatch):
    """fct_ingest_observations holds, per dataset, batch and rule:field, the counts that
    validation wrote in ops.ingest_log (read here through Iceberg, not the bronze views)."""
    _, result = dbt_build
    monkeypatch.setenv("CREDITLAKE_WAREHOUSE", str(result.marts_db.parents[1]))
    from creditlake.lakehouse.read import ingest_log

    logged: Counter = Counter()
    for row in ingest_log().select(["dataset", "batch_id", "observations"]).to_pylist():
        for key, n in json.loads(row["observations"] or "{}").items():
            if n:
                logged[row["dataset"], row["batch_id"], key] += n
    assert logged, (
        "the simulator sends legacy numbers without their check digit: validation observes them"
    )
    mart = Counter(
        {
            (d, b, f"{rule}:{f}"): n
            for d, b, rule, f, n in marts.execute(
                "SELECT dataset, batch_id, rule, field, observed_rows FROM marts.fct_ingest_observations"
            ).fetchall()
        }
    )
    assert mart == logged
    assert {key.split(":")[0] for _, _, key in mart} <= set(OBSERVATIONS)
