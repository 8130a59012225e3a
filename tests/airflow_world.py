"""The small simulated world the DAG tests and the real-Airflow test run against."""

from __future__ import annotations

from pathlib import Path

import pytest

# Seed 19 is one whose 40 firms put rows in every dataset (court records are rare in so few).
SEED, ENTERPRISES, MONTHS = 19, 40, 13


@pytest.fixture(scope="session")
def sim_data(tmp_path_factory) -> Path:
    from creditlake.simulator.generator import generate

    out = tmp_path_factory.mktemp("sim")
    generate(out=out, seed=SEED, enterprises=ENTERPRISES, months=MONTHS)
    return out


@pytest.fixture
def simulator(sim_data, tmp_path):
    from creditlake.simulator.server import SimulatorServer

    server = SimulatorServer(sim_data, seed=SEED, drop=tmp_path / "drop").start()
    yield server
    server.stop()
