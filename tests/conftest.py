"""Shared test settings: every test runs against its own warehouse folder and a PII key; and
the world lent by two banks, built to marts once per session (worker) for the tests that ask."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    # A test never touches the developer's warehouse/ or the demo's data.
    if "CREDITLAKE_WAREHOUSE" not in os.environ:
        monkeypatch.setenv("CREDITLAKE_WAREHOUSE", str(tmp_path / "warehouse"))
    monkeypatch.setenv("CREDITLAKE_PII_KEY", os.environ.get("CREDITLAKE_PII_KEY", "test-pii-key"))


@pytest.fixture(scope="module")
def module_warehouse(tmp_path_factory):
    return tmp_path_factory.mktemp("warehouse")


@pytest.fixture
def shared_warehouse(module_warehouse, monkeypatch):
    """One warehouse (and GX project) per test module: GX set-up costs seconds."""
    monkeypatch.setenv("CREDITLAKE_WAREHOUSE", str(module_warehouse))
    return module_warehouse


@pytest.fixture(scope="session")
def two_bank_marts(tmp_path_factory) -> Path:
    """The published marts of a world whose loans are booked at two banks (contract section 5),
    each dropping into its own folder; some borrowers and products are at both."""
    from dbtworld import environment, ingest_world
    from service_world import BANKS

    from creditlake.transform import build

    root = tmp_path_factory.mktemp("two-banks")
    _, env = ingest_world(root, banks=BANKS)
    with environment(env):
        result = build(show_progress=False)
    assert result.success, result.failures
    return result.published_db
