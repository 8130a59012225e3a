"""A world lent by two banks, built to marts once per session, and the real service over it:
uvicorn on a loopback port, the bank file and the embedded audit store in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dbtworld import environment, ingest_world
from service_world import BANKS, start_service


@pytest.fixture(scope="session")
def two_bank_marts(tmp_path_factory) -> Path:
    from creditlake.transform import build

    root = tmp_path_factory.mktemp("two-banks")
    _, env = ingest_world(root, banks=BANKS)
    with environment(env):
        result = build(show_progress=False)
    return result.published_db


@pytest.fixture(scope="session")
def shared_enterprise(two_bank_marts) -> str:
    """An enterprise with loans outstanding at both banks in the latest month."""
    with duckdb.connect(str(two_bank_marts), read_only=True) as con:
        (uscc,) = con.execute(
            "select uscc from marts.fct_loan_month "
            "where month = (select max(month) from marts.fct_loan_month) and exposure > 0 "
            "group by uscc having count(distinct bank_id) = 2 order by uscc limit 1"
        ).fetchone()
    return uscc


@pytest.fixture(scope="module")
def service(two_bank_marts, tmp_path_factory):
    svc, server = start_service(tmp_path_factory.mktemp("service"), two_bank_marts)
    yield svc
    server.should_exit = True
