"""Configuration: environment variables first, Airflow Connections inside Airflow."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from creditlake.connectors.errors import ConfigError
from creditlake.connectors.settings import bank_drops, page_size, platform_settings


def test_environment_variables(monkeypatch):
    monkeypatch.setenv("CREDITLAKE_SUPPLY_CHAIN_BASE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("CREDITLAKE_SUPPLY_CHAIN_CLIENT_ID", "sc")
    monkeypatch.setenv("CREDITLAKE_SUPPLY_CHAIN_CLIENT_SECRET", "hush")
    got = platform_settings("supply-chain")
    assert (got.base_url, got.client_id, got.client_secret) == ("http://127.0.0.1:9", "sc", "hush")
    assert "hush" not in repr(got)


def test_missing_variables_are_named(monkeypatch):
    monkeypatch.delenv("CREDITLAKE_TAX_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("CREDITLAKE_TAX_BASE_URL", "http://x")
    monkeypatch.setenv("CREDITLAKE_TAX_CLIENT_ID", "id")
    with pytest.raises(
        ConfigError, match="tax: missing configuration CREDITLAKE_TAX_CLIENT_SECRET"
    ):
        platform_settings("tax")
    monkeypatch.delenv("CREDITLAKE_BANK_DROP", raising=False)
    with pytest.raises(ConfigError, match="CREDITLAKE_BANK_DROP"):
        bank_drops()
    monkeypatch.setenv("CREDITLAKE_PAGE_SIZE", "0")
    with pytest.raises(ConfigError, match="CREDITLAKE_PAGE_SIZE"):
        page_size(100)


def test_airflow_connection_when_variables_are_absent(tmp_path):
    # A fresh process: importing Airflow is what marks "running in Airflow".
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITLAKE_TAX_")}
    env.update(
        AIRFLOW_HOME=str(tmp_path),
        AIRFLOW_CONN_CREDITLAKE_TAX="http://tax-client:s%2Fecret@127.0.0.1:8765",
    )
    code = (
        "import airflow\nfrom connectors.settings import platform_settings\n"
        "s = platform_settings('tax')\nprint(s.base_url, s.client_id, s.client_secret)\n"
        "try:\n    platform_settings('utility')\nexcept Exception as e:\n    print(e)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "http://127.0.0.1:8765 tax-client s/ecret", out.stderr[-2000:]
    assert "CREDITLAKE_UTILITY_BASE_URL" in lines[1] and "'creditlake_utility'" in lines[1]
