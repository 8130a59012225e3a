"""Small simulated data, a simulator on loopback, and an Airflow home for dag.test() runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from airflow_world import ENTERPRISES, MONTHS, SEED, sim_data, simulator  # noqa: F401  (fixtures)


@pytest.fixture
def pipeline(simulator, tmp_path, monkeypatch):  # noqa: F811  (the fixture)
    """Runs DAGs with dag.test() in a child process (Airflow reads its settings once per process)."""
    from creditlake.devtools.airflow_home import airflow_env, migrate
    from creditlake.devtools.settings import pipeline_env

    warehouse = tmp_path / "warehouse"
    env = {
        **airflow_env(tmp_path / "airflow"),
        **pipeline_env(simulator.url, SEED, simulator.drop_dir, warehouse, "test-pii-key"),
    }
    migrate(env)
    for key in ("CREDITLAKE_WAREHOUSE", "CREDITLAKE_PII_KEY"):
        monkeypatch.setenv(key, env[key])

    def run(*args: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "creditlake.devtools.runner", *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=1500,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS ")]
        assert done.returncode == 0 and lines, done.stdout[-6000:] + "\n" + done.stderr[-6000:]
        return json.loads(lines[-1][len("RESULTS ") :])

    run.simulator = simulator
    run.env = env
    return run
