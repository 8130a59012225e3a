"""Fixtures for connector tests: a loopback fault server and a client with short waits."""

from __future__ import annotations

import pytest
from faultserver import CLIENT_ID, SECRET, FaultServer

from creditlake.connectors.http import PlatformClient, RetryPolicy
from creditlake.connectors.settings import PlatformSettings

FAST = RetryPolicy(
    attempts=5,
    backoff_base=0.05,
    backoff_max=0.2,
    total_seconds=20,
    retry_after_max=1.5,
    connect_timeout=2,
    read_timeout=1,
)


@pytest.fixture
def server():
    with FaultServer("/tax/v1") as srv:
        yield srv


@pytest.fixture
def client(server):
    settings = PlatformSettings("tax", server.base_url, CLIENT_ID, SECRET)
    with PlatformClient(settings, "/tax/v1", FAST) as c:
        yield c
