"""Settings every creditlake DAG shares: owner, retries, timeouts, callbacks, pools, tags."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from creditlake.orchestration.alerts import on_task_failure

# Runs before this date are never scheduled: the simulator's first served day is
# 2026-11-01 and real deployments start from their go-live date via catchup=False.
START_DATE = datetime(2026, 11, 1, tzinfo=UTC)

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


def _not_retryable() -> tuple[type[BaseException], ...]:
    """Errors that the same task would meet again on every retry: wrong or missing settings,
    credentials the platform refuses (contract section 1: "never retried forever") and 4xx
    answers (section 1.3: "not retried; fails with the server's message")."""
    # Imported when an exception is being matched, not at DAG parse time (requests is heavy).
    from creditlake.connectors.errors import ConfigError
    from creditlake.connectors.http import AuthenticationError, RequestRejected
    from creditlake.core.pii import PiiKeyMissing
    from creditlake.extracts.config import ExtractConfigError

    return ConfigError, AuthenticationError, RequestRejected, ExtractConfigError, PiiKeyMissing


@contextmanager
def fail_without_retry() -> Iterator[None]:
    """Wrap a task body: a configuration or authentication error fails the task at once.

    Airflow retries any other exception (`retries` above, minutes of backoff); for these a
    retry only delays the operator's fix, so they become AirflowFailException, which Airflow
    fails without retrying. The message keeps the original error's type and text, so the task
    log, the failure alert and the UI show what to fix.
    """
    try:
        yield
    except _not_retryable() as exc:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
