"""One end-to-end build per test session: simulator -> connectors -> lakehouse -> dbt.

Small data (200 enterprises x 14 months), no faults: the real server on loopback, the real
connectors, real Iceberg on SQLite, then creditlake.transform.build() (export_bronze_views
and dbt build in-process; dbtworld.py). The tests only read the resulting marts file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dbtworld import environment, ingest_world


@pytest.fixture(scope="session")
def dbt_build(tmp_path_factory):
    """Returns (sim_dir, build result) after ingesting the simulator's data and building marts."""
    from creditlake.transform import build

    sim, env = ingest_world(tmp_path_factory.mktemp("dbt_e2e"))
    with environment(env):
        result = build(show_progress=False, unit_tests=True)
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
