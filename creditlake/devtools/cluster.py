"""A real local Airflow (dag-processor, scheduler, api-server; LocalExecutor) on PostgreSQL.

Used by the real-Airflow test and the dbt DAG benchmark. Each component runs in a process
group of its own and is ended as a group, so its LocalExecutor workers end with it. The
metadata database is created fresh and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from creditlake.devtools.airflow_home import airflow_bin, airflow_env, migrate

PG = dict(host="127.0.0.1", port=5432, user="postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def fresh_postgres_database(prefix: str = "creditlake_airflow"):
    """A new, empty database on the loopback PostgreSQL server (trust auth), dropped at exit."""
    import psycopg2

    admin = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


class AirflowCluster:
    COMPONENTS = ("dag-processor", "scheduler", "api-server")

    def __init__(self, home: Path, database: str, extra_env: dict[str, str]):
        self.home = home
        self.database = database
        self.api_port = free_port()
        self.env = {
            **os.environ,
            **extra_env,
            **airflow_env(
                home,
                f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}",
                executor="LocalExecutor",
                parallelism=4,
                api_port=self.api_port,
            ),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            **{k: v for k, v in extra_env.items() if k.startswith("AIRFLOW__")},
        }
        self.procs: list[subprocess.Popen] = []

    def start(self) -> AirflowCluster:
        migrate(self.env)
        logs = self.home / "component-logs"
        logs.mkdir(parents=True, exist_ok=True)
        for component in self.COMPONENTS:
            cmd = [airflow_bin(), component] + (
                ["--port", str(self.api_port)] if component == "api-server" else []
            )
            out = (logs / f"{component}.log").open("wb")
            self.procs.append(
                subprocess.Popen(
                    cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        return self

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs:
            try:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group

    def check_alive(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise AssertionError(
                    f"{proc.args[1]} exited with {proc.returncode}:\n" + self.log_tail(proc.args[1])
                )

    def log_tail(self, component: str, chars: int = 4000) -> str:
        path = self.home / "component-logs" / f"{component}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg2

        conn = psycopg2.connect(dbname=self.database, **PG)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [airflow_bin(), *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise AssertionError(f"airflow {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def wait_for(self, what: str, predicate, timeout: float, interval: float = 3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(
            f"timed out after {timeout:.0f} s waiting for {what}; scheduler log:\n"
            + self.log_tail("scheduler")
        )

    def parsed_dags(self) -> set[str]:
        return {d for (d,) in self.sql("select dag_id from dag where not is_stale")}

    def runs(self, dag_ids) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {d: [] for d in dag_ids}
        for dag_id, state in self.sql(
            "select dag_id, state from dag_run where dag_id = any(%s)", (list(dag_ids),)
        ):
            out[dag_id].append(state)
        return out

    def all_finished(self, dag_ids) -> dict[str, list[str]] | None:
        runs = self.runs(dag_ids)
        if all(
            states and all(s in ("success", "failed") for s in states) for states in runs.values()
        ):
            return runs
        return None
