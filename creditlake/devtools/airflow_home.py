"""An Airflow home for the demo and the tests: configuration by environment variables only.

Airflow reads AIRFLOW__SECTION__KEY variables before airflow.cfg, so every process we
start (scheduler, dag-processor, api-server, `airflow` CLI, or dag.test() in-process) gets
the same settings from one dict. Parallelism stays at 4: Airflow's default of 32 starts 32
worker processes (~5 GB) on a 2-core machine.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from creditlake.core.config import PROJECT_ROOT
from creditlake.orchestration.defaults import (
    DUCKDB_POOL,
    DUCKDB_POOL_SLOTS,
    ICEBERG_MAINTENANCE_POOL,
)

POOLS = {
    DUCKDB_POOL: (
        DUCKDB_POOL_SLOTS,
        "DuckDB allows one writing process per file: the marts builder",
    ),
    ICEBERG_MAINTENANCE_POOL: (1, "Iceberg compaction and snapshot expiry, one at a time"),
}


def airflow_env(
    home: Path,
    sql_alchemy_conn: str | None = None,
    executor: str = "LocalExecutor",
    parallelism: int = 4,
    api_port: int = 8080,
) -> dict[str, str]:
    """Environment variables for an Airflow installation rooted at `home`."""
    home = Path(home).resolve()
    conn = sql_alchemy_conn or f"sqlite:///{home / 'airflow.db'}"
    # Components must share the JWT secret that signs task tokens; derive it from the home
    # so that every process of one installation agrees without a secret file.
    secret = hashlib.sha256(f"creditlake-airflow:{home}".encode()).hexdigest()
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(parallelism),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",  # local UI without a login
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn,
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": secret,
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__CORE__DAG_FILE_PROCESSOR_TIMEOUT": "120",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__CORE__ALLOWED_DESERIALIZATION_CLASSES_REGEXP": r"(airflow|creditlake)\..*",
        # astronomer-cosmos reports usage to a third party unless told not to.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "SCARF_NO_ANALYTICS": "true",
        "NO_PROXY": "*",  # the task SDK must reach the local API server directly
        "no_proxy": "*",
    }


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def migrate(env: dict[str, str]) -> None:
    """Create or upgrade the metadata database, then create the pools the DAGs use."""
    full = {**os.environ, **env}
    _run([airflow_bin(), "db", "migrate"], full)
    for name, (slots, description) in POOLS.items():
        _run([airflow_bin(), "pools", "set", name, str(slots), description], full)


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[1:])} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
