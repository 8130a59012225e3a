"""The deployment shape: docker-compose.yml is valid and has every component."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="apt-get install docker-compose")
def test_docker_compose_config():
    env = {
        "PATH": "/usr/bin:/bin",
        "CREDITLAKE_PII_KEY": "k",
        "AIRFLOW_JWT_SECRET": "s",
        "CREDITLAKE_SERVICE_DSN": "postgresql://creditlake_service@postgres/creditlake_service",
        "CREDITLAKE_AUDIT_KEY": "a",
        "CREDITLAKE_SERVICE_BANKS_FILE": "/etc/creditlake/banks.toml",
    }
    done = subprocess.run(
        ["docker-compose", "config", "--services"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == {
        "postgres",
        "redis",
        "airflow-init",
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "simulator",
        "bank-service",
    }
    # Secrets are never defaulted in the file: without them the configuration is refused.
    refused = subprocess.run(
        ["docker-compose", "config"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        refused.returncode != 0
        and "CREDITLAKE_PII_KEY" in refused.stderr + refused.stdout
        or "AIRFLOW_JWT_SECRET" in refused.stderr + refused.stdout
    )
