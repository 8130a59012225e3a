"""The monthly retraining DAG: when the published marts hold a loan-book month no retraining
run has decided yet, fit a challenger card and recalibrate the warning thresholds, validate each
out of time against what is in use, gate, store, and rescore with whatever the gate left in use.

Scheduled on the published marts (each build after the loan book's drops); a month is decided
once (creditlake.model.run), so later builds in the same month find it decided and stop there.
The rescore is a dbt build in the DuckDB writer pool, like the transform DAG's.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from creditlake.orchestration.assets import MARTS
from creditlake.orchestration.defaults import (
    DUCKDB_POOL,
    START_DATE,
    default_args,
    fail_without_retry,
    tags,
)


def retrain_dag():
    @dag(
        dag_id="retrain_scorecard",
        description="Fit, validate and gate a scorecard on the loan book's history; rescore",
        schedule=[MARTS],
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(retries=1),
        tags=tags("model", "score"),
        doc_md=__doc__,
    )
    def retrain_scorecard():
        @task.short_circuit
        def month_to_decide() -> bool:
            """False (and nothing downstream runs) when this month is decided already."""
            from creditlake.model.run import pending_month

            return pending_month() is not None

        @task(execution_timeout=timedelta(hours=2))
        def fit_and_gate() -> dict:
            from creditlake.model.run import monthly

            with fail_without_retry():
                decisions = monthly()
            return {kind: {k: str(v) for k, v in d.items() if k != "figures"}
                    for kind, d in decisions.items()}  # fmt: skip

        @task(pool=DUCKDB_POOL, outlets=[MARTS], execution_timeout=timedelta(hours=2))
        def rescore(decisions: dict) -> dict:
            from creditlake.orchestration.transform_dag import summarise_build
            from creditlake.transform import build

            if all(d["outcome"] != "promoted" for d in decisions.values()):
                return {"rescored": False, "why": [d["reason"] for d in decisions.values()]}
            return summarise_build(build(show_progress=False))

        month_to_decide() >> rescore(fit_and_gate())

    return retrain_scorecard()
