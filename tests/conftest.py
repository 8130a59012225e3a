"""Shared test settings: every test runs against its own warehouse folder and a PII key."""

from __future__ import annotations

import os

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
