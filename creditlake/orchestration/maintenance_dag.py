"""The daily maintenance DAG: Iceberg snapshot expiry and compaction, landing-zone retention,
and a fresh render of the Great Expectations Data Docs.

Snapshots that a regulator extract read are tagged (extract-YYYY-MM) and survive expiry,
so past extracts stay reproducible. Raw landing files hold personal data and are deleted
after the retention period (CREDITLAKE_LANDING_RETENTION_DAYS, default 30) once published.
"""

from __future__ import annotations

from airflow.sdk import CronDataIntervalTimetable, dag, task

from creditlake.orchestration.defaults import (
    ICEBERG_MAINTENANCE_POOL,
    START_DATE,
    default_args,
    fail_without_retry,
    tags,
)

SCHEDULE = CronDataIntervalTimetable("0 23 * * *", timezone="UTC")  # after the day's loads


def maintenance_dag():
    @dag(
        dag_id="maintenance",
        description="Expire Iceberg snapshots, compact small files, enforce landing retention",
        schedule=SCHEDULE,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(),
        tags=tags("maintenance"),
        doc_md=__doc__,
    )
    def maintenance():
        @task(pool=ICEBERG_MAINTENANCE_POOL)
        def compact_tables() -> dict:
            from creditlake import lakehouse
            from creditlake.core.contract import DATASETS

            # Bronze and the ingest log get a commit per batch: many small files.
            with fail_without_retry():  # every task here reads settings (warehouse, catalog)
                return {
                    name: _jsonable(lakehouse.compact(name))
                    for name in [*DATASETS, "ops.ingest_log"]
                }

        @task(pool=ICEBERG_MAINTENANCE_POOL)
        def expire_snapshots() -> dict:
            from creditlake import lakehouse

            with fail_without_retry():
                return _jsonable(lakehouse.expire_snapshots())

        @task
        def landing_retention() -> dict:
            from creditlake.connectors.landing import prune_landing
            from creditlake.connectors.settings import landing_retention_days

            with fail_without_retry():  # e.g. CREDITLAKE_LANDING_RETENTION_DAYS=abc
                days = landing_retention_days()
                removed = prune_landing(days)
            return {"older_than_days": days, "removed": len(removed)}

        @task
        def data_docs() -> str:
            """Re-render Great Expectations Data Docs from the day's validation results."""
            from creditlake import expectations

            with fail_without_retry():
                return str(expectations.build_data_docs())

        # Compaction first: the snapshots it supersedes are then expired in the same run.
        compact_tables() >> expire_snapshots()
        landing_retention()
        data_docs()

    return maintenance()


def _jsonable(value):
    """Maintenance helpers return plain summaries; anything else is shown as text in XCom."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
