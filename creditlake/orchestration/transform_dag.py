"""The dbt DAG: runs when every bronze table has been brought up to date.

Scheduled on the bronze Assets (all of them: the marts join every source, so building on
a partial update would only be rebuilt again an hour later). The single `dbt build` task
takes the one slot of the DuckDB writer pool; readers use the published copy that
creditlake.transform writes after a green build, so they never meet the writer's lock.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import AssetAll, dag, task

from creditlake.orchestration.assets import MARTS, all_bronze_assets
from creditlake.orchestration.defaults import (
    DUCKDB_POOL,
    START_DATE,
    default_args,
    fail_without_retry,
    tags,
)


def transform_dag():
    @dag(
        dag_id="transform_dbt",
        description="dbt build of staging, intermediate and marts on DuckDB, then publish the marts copy",
        schedule=AssetAll(*all_bronze_assets()),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(retries=1),
        tags=tags("dbt", "transform"),
        doc_md=__doc__,
    )
    def transform_dbt():
        @task(pool=DUCKDB_POOL, outlets=[MARTS], execution_timeout=timedelta(hours=2))
        def dbt_build() -> dict:
            from creditlake.transform import build

            with (
                fail_without_retry()
            ):  # a missing setting (PII key, catalog) is not fixed by a retry
                return summarise_build(build(show_progress=False))

        @task
        def check_score_stability(build: dict) -> str:
            from creditlake.orchestration.alerts import check_score_drift
            from creditlake.transform import published_db

            alert = check_score_drift(published_db())
            return alert.message if alert else "the score's population is stable"

        check_score_stability(dbt_build())

    return transform_dbt()


def summarise_build(result) -> dict:
    """A JSON-able XCom summary of whatever creditlake.transform.build returns."""
    if isinstance(result, dict):
        return {
            str(k): v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
            for k, v in result.items()
        }
    fields = getattr(result, "__dataclass_fields__", None)
    if fields:
        return summarise_build({name: getattr(result, name) for name in fields})
    return {"result": str(result)}
