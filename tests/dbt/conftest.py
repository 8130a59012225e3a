"""One end-to-end build per test session: simulator -> connectors -> lakehouse -> dbt.

Small data (200 enterprises x 14 months), no faults: the real server on loopback, the real
connectors, real Iceberg on SQLite, then creditlake.transform.build() (export_bronze_views
and dbt build in-process). The tests only read the resulting marts file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from creditlake.contract import API_PLATFORMS

ENTERPRISES, MONTHS, SEED = 200, 14, 7


def _set_env(values: dict[str, str]) -> dict[str, str | None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    return saved


def _restore_env(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def dbt_build(tmp_path_factory):
    """Returns (sim_dir, build result) after ingesting the simulator's data and building marts."""
    from simulator.generator import generate
    from simulator.server import SimulatorServer

    root = tmp_path_factory.mktemp("dbt_e2e")
    sim = root / "sim"
    generate(out=sim, seed=SEED, enterprises=ENTERPRISES, months=MONTHS)
    env = {"CREDITLAKE_WAREHOUSE": str(root / "warehouse"), "CREDITLAKE_BANK_DROP": str(root / "drop"),
           "CREDITLAKE_PII_KEY": "test-pii-key"}
    with SimulatorServer(sim, seed=SEED, drop=root / "drop") as server:
        for platform in API_PLATFORMS:
            client_id, secret = server.credentials[platform.name]
            env[f"{platform.env_prefix}_BASE_URL"] = server.url
            env[f"{platform.env_prefix}_CLIENT_ID"] = client_id
            env[f"{platform.env_prefix}_CLIENT_SECRET"] = secret
        saved = _set_env(env)
        try:
            from connectors.ingest import run_ingest
            from creditlake.contract import PLATFORMS
            from creditlake.transform import build

            for platform in PLATFORMS:
                run_ingest(platform)
            result = build(show_progress=False, unit_tests=True)
        finally:
            _restore_env(saved)
    return sim, result


@pytest.fixture(scope="session")
def marts(dbt_build):
    """A read-only connection to the published marts file."""
    import duckdb

    _, result = dbt_build
    con = duckdb.connect(str(result.published_db), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def sim_dir(dbt_build) -> Path:
    return dbt_build[0]
