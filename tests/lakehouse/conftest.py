"""Fixtures of the lakehouse tests (batch builders live in lakehouse_batches.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def module_warehouse(tmp_path_factory):
    return tmp_path_factory.mktemp("warehouse")


@pytest.fixture
def shared_warehouse(module_warehouse, monkeypatch):
    """One warehouse (and GX project) per test module: GX set-up costs seconds."""
    monkeypatch.setenv("CREDITLAKE_WAREHOUSE", str(module_warehouse))
    return module_warehouse
