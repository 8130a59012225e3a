"""Shared simulator test data: one small generated folder per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

SEED, ENTERPRISES, MONTHS = 7, 200, 14
DEFAULT_RATE = 0.10  # above the 3% default: 200 borrowers-to-be then give a few defaults to check


@pytest.fixture(scope="session")
def sim_data(tmp_path_factory) -> Path:
    """A generated data folder (seed 7, 200 enterprises, 14 months, the mix of stories at a 10%
    default rate), built once per session."""
    from creditlake.simulator.generator import generate

    out = tmp_path_factory.mktemp("sim") / "data"
    generate(
        out=out,
        seed=SEED,
        enterprises=ENTERPRISES,
        months=MONTHS,
        quiet=True,
        default_rate=DEFAULT_RATE,
    )
    return out
