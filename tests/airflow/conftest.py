"""A real Airflow: scheduler, dag-processor and api-server on a fresh PostgreSQL database.

Each component runs in its own process group and is ended as a group (LocalExecutor
workers are its children). The database is created for the test and dropped after it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import psycopg2
import pytest

from creditlake.orchestration.airflow_home import airflow_bin, airflow_env, migrate

PG = dict(host="127.0.0.1", port=5432, user="postgres")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_database():
    try:
        admin = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is needed for this test: {exc}")
    admin.autocommit = True
    name = f"creditlake_airflow_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


class AirflowCluster:
    COMPONENTS = (("dag-processor",), ("scheduler",), ("api-server", "--port"))

    def __init__(self, home: Path, database: str, extra_env: dict[str, str]):
        self.home = home
        self.database = database
        self.api_port = _free_port()
        self.env = {**os.environ, **extra_env,
                    **airflow_env(home, f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}",
                                  executor="LocalExecutor", parallelism=4, api_port=self.api_port),
                    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2"}
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        migrate(self.env)
        logs = self.home / "component-logs"
        logs.mkdir(parents=True, exist_ok=True)
        for component in self.COMPONENTS:
            cmd = [airflow_bin(), component[0]]
            if "--port" in component:
                cmd += ["--port", str(self.api_port)]
            out = (logs / f"{component[0]}.log").open("wb")
            # A new session per component: stopping it ends its workers too.
            self.procs.append(subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                               start_new_session=True))

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
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
            except ProcessLookupError:
                pass

    def check_alive(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise AssertionError(f"{proc.args[1]} exited with {proc.returncode}:\n" + self.log_tail(proc.args[1]))

    def log_tail(self, component: str, chars: int = 4000) -> str:
        path = self.home / "component-logs" / f"{component}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg2.connect(dbname=self.database, **PG) as conn, conn.cursor() as cur:
            cur.execute(query, params)
            rows = cur.fetchall() if cur.description else []
        conn.close()
        return rows

    def cli(self, *args: str) -> str:
        done = subprocess.run([airflow_bin(), *args], env=self.env, capture_output=True, text=True, timeout=300)
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
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; scheduler log:\n"
                             + self.log_tail("scheduler"))


@pytest.fixture
def airflow_cluster(tmp_path, postgres_database):
    clusters: list[AirflowCluster] = []

    def start(extra_env: dict[str, str]) -> AirflowCluster:
        cluster = AirflowCluster(tmp_path / "airflow", postgres_database, extra_env)
        clusters.append(cluster)
        cluster.start()
        return cluster

    yield start
    for cluster in clusters:
        cluster.stop()


SEED, ENTERPRISES, MONTHS = 11, 40, 13


@pytest.fixture(scope="session")
def sim_data(tmp_path_factory) -> Path:
    from simulator.generator import generate

    out = tmp_path_factory.mktemp("sim_airflow")
    generate(out=out, seed=SEED, enterprises=ENTERPRISES, months=MONTHS)
    return out


@pytest.fixture
def simulator(sim_data, tmp_path):
    from simulator.server import SimulatorServer

    server = SimulatorServer(sim_data, seed=SEED, drop=tmp_path / "drop").start()
    yield server
    server.stop()
