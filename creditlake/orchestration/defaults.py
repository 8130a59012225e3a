"""Settings every creditlake DAG shares: owner, retries, timeouts, callbacks, pools, tags."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from creditlake.orchestration.alerts import on_task_failure

# Runs before this date are never scheduled: the simulator's first served day is
# 2026-11-01 and real deployments start from their go-live date via catchup=False.
START_DATE = datetime(2026, 11, 1, tzinfo=timezone.utc)

# DuckDB allows one writing process per file: every task that writes the marts file
# takes the single slot of this pool, so two writers never meet.
DUCKDB_POOL = "duckdb_writer"
DUCKDB_POOL_SLOTS = 1
# Iceberg commits are optimistic; maintenance rewrites whole tables, so it queues
# behind other maintenance instead of racing it.
ICEBERG_MAINTENANCE_POOL = "iceberg_maintenance"

TAG = "creditlake"


def default_args(**overrides) -> dict:
    """Task defaults: bounded retries with backoff, a timeout, and a visible alert on failure."""
    args = {
        "owner": "data-engineering",
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(hours=1),
        "on_failure_callback": on_task_failure,
    }
    args.update(overrides)
    return args


def tags(*extra: str) -> list[str]:
    return [TAG, *extra]
