"""Alerts and the freshness SLA, on the real ingest log (empty Iceberg catalog) and pull records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from creditlake.orchestration.alerts import (
    alerts_file,
    check_score_drift,
    freshness_breaches,
    freshness_sla,
    on_task_failure,
    read_alerts,
)
from creditlake.orchestration.freshness import freshness, record_attempt, record_pull

T0 = datetime(2026, 11, 1, 3, tzinfo=UTC)


def test_a_good_pull_keeps_a_dataset_fresh_until_the_sla_passes():
    record_attempt("invoices", T0)
    record_pull("invoices", ["published"], T0 + timedelta(minutes=5))
    record_attempt("receivable_confirmations", T0)
    record_pull("receivable_confirmations", ["empty"], T0)  # nothing new is still a good pull
    state = freshness(["invoices", "receivable_confirmations"])
    assert state["invoices"].last_success == T0 + timedelta(minutes=5)
    sla = freshness_sla("supply-chain")
    assert freshness_breaches(state, sla, T0 + timedelta(hours=20)) == {}
    late = freshness_breaches(state, sla, T0 + timedelta(hours=30))
    assert set(late) == {"invoices", "receivable_confirmations"}
    assert "SLA 26.0 h" in late["invoices"]


def test_a_held_batch_breaches_only_once_the_sla_has_passed_since_the_first_attempt():
    record_attempt("repayments", T0)
    record_pull("repayments", ["published", "held"], T0)
    state = freshness(["repayments"])
    assert state["repayments"].last_success is None
    assert freshness_breaches(state, freshness_sla("bank"), T0 + timedelta(days=1)) == {}
    breach = freshness_breaches(state, freshness_sla("bank"), T0 + timedelta(days=5))
    assert "held batches" in breach["repayments"]


def test_sla_override_from_the_environment(monkeypatch):
    monkeypatch.setenv("CREDITLAKE_FRESHNESS_SLA_HOURS_SOCIAL_SECURITY", "2")
    assert freshness_sla("social-security") == timedelta(hours=2)
    assert freshness_sla("bank") == timedelta(days=4)


def test_failure_callback_writes_a_visible_alert():
    ti = SimpleNamespace(dag_id="ingest_tax", task_id="pull_validate_publish", map_index=1)
    on_task_failure({"ti": ti, "exception": RuntimeError("tax platform down")})
    (alert,) = read_alerts()
    assert (alert.kind, alert.level, alert.subject) == (
        "task_failed",
        "error",
        "ingest_tax.pull_validate_publish[1]",
    )
    assert "tax platform down" in alert.message
    assert json.loads(alerts_file().read_text())["kind"] == "task_failed"


def test_a_shifted_score_population_raises_score_drift_and_a_stable_one_does_not(tmp_path):
    import duckdb

    db = tmp_path / "creditlake.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.rpt_score_stability as select * from (values "
            "(date '2026-01-01', '2026-01', 900, null, null), "
            "(date '2026-02-01', '2026-02', 910, 0.04, 'stable')) "
            "as t(month, period, scored, psi, stability)"
        )
    assert check_score_drift(db) is None
    assert read_alerts() == []
    with duckdb.connect(str(db)) as con:
        con.execute(
            "insert into marts.rpt_score_stability values (date '2026-03-01', '2026-03', 905, 0.31, 'shifted')"
        )
    alert = check_score_drift(db)
    assert alert and alert.kind == "score_drift" and alert.level == "warning"
    assert "2026-03" in alert.message and "0.31" in alert.message
    assert [a.kind for a in read_alerts()] == ["score_drift"]
