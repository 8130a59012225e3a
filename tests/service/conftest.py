"""The real service over the two-bank marts (tests/conftest.py):
uvicorn on a loopback port, the bank file and the embedded audit store in a temporary folder;
the browser tests' chromium page."""

from __future__ import annotations

import duckdb
import pytest
from browser import loopback_browser
from service_world import start_service


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


@pytest.fixture
def browser_page(tmp_path_factory):
    """A chromium page allowed the loopback only, and the test's traffic (tests/browser.py):
    a fresh profile per test, so no cache hides a request."""
    with loopback_browser(tmp_path_factory.mktemp("chromium-profile")) as (page, traffic):
        yield page, traffic
