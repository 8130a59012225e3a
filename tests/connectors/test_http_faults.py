"""Each fault of contract section 1.3 against a real loopback HTTP server."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from faultserver import CLIENT_ID, SECRET, page

from creditlake.connectors.http import (
    AuthenticationError,
    PlatformClient,
    RequestRejected,
    RetriesExhausted,
    RetryPolicy,
)
from creditlake.connectors.settings import PlatformSettings

PATH = "/tax/v1/taxpayers"
OK = ("json", 200, page([{"taxpayer_id": "X", "rating_year": 2025}]))


def test_plain_page_keeps_numbers_as_text(server, client):
    server.script(PATH, OK)
    got = client.get_json("/taxpayers", {"updated_since": "1970-01-01T00:00:00Z"})
    assert got.doc["data"] == [{"taxpayer_id": "X", "rating_year": "2025"}]
    assert got.body.startswith(b'{"dataset"')


def test_429_with_delta_seconds_waits_then_succeeds(server, client):
    server.script(PATH, ("json", 429, {"error": "slow down"}, {"Retry-After": "1"}), OK)
    started = time.monotonic()
    assert client.get_json("/taxpayers").doc["data"]
    assert time.monotonic() - started >= 0.95
    assert server.count(PATH) == 2


def test_429_with_http_date_waits_until_then(server, client):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    server.script(PATH, ("json", 429, {"error": "slow down"}, {"Retry-After": when}), OK)
    started = time.monotonic()
    assert client.get_json("/taxpayers").doc["data"]
    assert time.monotonic() - started >= 0.9  # the date has one-second resolution
    assert server.count(PATH) == 2


def test_429_wait_is_bounded(server, client):
    server.script(PATH, ("json", 429, {}, {"Retry-After": "3600"}), OK)
    started = time.monotonic()
    client.get_json("/taxpayers")
    assert time.monotonic() - started < 1.5 + 1  # FAST.retry_after_max is 1.5 s


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_retried_with_backoff(server, client, status):
    server.script(
        PATH, ("json", status, {"error": "oops"}), ("json", status, {"error": "oops"}), OK
    )
    assert client.get_json("/taxpayers").doc["data"]
    assert server.count(PATH) == 3


@pytest.mark.parametrize(
    "fault",
    [("reset",), ("truncate", page([{"taxpayer_id": "X" * 200}])), ("nonjson",)],
    ids=["connection reset", "truncated body", "non-JSON 200"],
)
def test_a_broken_response_is_retried(server, client, fault):
    server.script(PATH, fault, OK)
    assert client.get_json("/taxpayers").doc["data"]
    assert server.count(PATH) == 2


def test_read_timeout_retried(server, client):
    server.script(PATH, ("slow", 1.5, page([])), OK)  # FAST.read_timeout is 1 s
    assert client.get_json("/taxpayers").doc["data"]
    assert server.count(PATH) == 2


def test_persistent_5xx_fails_clearly_after_bounded_attempts(server, client):
    server.script(PATH, ("json", 503, {"error": "down"}))
    with pytest.raises(RetriesExhausted) as err:
        client.get_json("/taxpayers", {"updated_since": "2026-01-01T00:00:00Z"})
    message = str(err.value)
    assert message.startswith("tax: GET ") and "/tax/v1/taxpayers?updated_since=" in message
    assert "HTTP 503" in message and "5 attempt(s)" in message
    assert SECRET not in message
    assert server.count(PATH) == 5


def test_401_mid_run_refreshes_token_once_and_repeats(server, client):
    server.script(PATH, OK, ("revoke",), OK)
    client.get_json("/taxpayers")
    client.get_json("/taxpayers")
    assert len(server.token_posts) == 2  # the first token and one refresh
    assert server.count(PATH) == 3


@pytest.mark.parametrize("status", [400, 404, 422])
def test_client_errors_not_retried(server, client, status):
    server.script(
        PATH,
        (
            "json",
            status,
            {"error": "bad_request", "message": f"updated_since malformed ({status})"},
        ),
    )
    with pytest.raises(RequestRejected) as err:
        client.get_json("/taxpayers", {"updated_since": "yesterday"})
    assert f"HTTP {status}" in str(err.value) and f"updated_since malformed ({status})" in str(
        err.value
    )
    assert str(err.value).startswith("tax: GET ")
    assert server.count(PATH) == 1


def test_wrong_secret_fails_at_once_naming_platform(server):
    settings = PlatformSettings("tax", server.base_url, CLIENT_ID, "wrong-secret-xyz")
    started = time.monotonic()
    with PlatformClient(settings, "/tax/v1") as c, pytest.raises(AuthenticationError) as err:
        c.get_json("/taxpayers")
    assert time.monotonic() - started < 30
    message = str(err.value)
    assert message.startswith("tax: ") and "rejected the client credentials" in message
    assert "CREDITLAKE_TAX_CLIENT_SECRET" in message and "wrong-secret-xyz" not in message
    assert len(server.token_posts) == 1  # never retried
    assert server.count(PATH) == 0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_closed_port_fails_within_30s_naming_platform_and_cause():
    settings = PlatformSettings("utility", f"http://127.0.0.1:{_closed_port()}", "id", "secret")
    started = time.monotonic()
    with PlatformClient(settings, "/utility/v1") as c, pytest.raises(RetriesExhausted) as err:
        c.get_json("/meter_readings")  # default policy: what production uses
    assert time.monotonic() - started < 30
    assert str(err.value).startswith("utility: ") and "connection refused" in str(err.value)
    assert "secret" not in str(err.value)


def test_token_endpoint_5xx_retried_then_credentials_checked(server, client):
    server.script("/oauth/token", ("json", 503, {}), ("ok",))
    server.script(PATH, OK)
    assert client.get_json("/taxpayers").doc["data"]
    assert len(server.token_posts) == 2


def test_total_time_budget_bounds_retries(server):
    settings = PlatformSettings("tax", server.base_url, CLIENT_ID, SECRET)
    policy = RetryPolicy(attempts=100, backoff_base=0.2, backoff_max=0.4, total_seconds=1.5)
    server.script(PATH, ("json", 500, {}))
    started = time.monotonic()
    with PlatformClient(settings, "/tax/v1", policy) as c, pytest.raises(RetriesExhausted):
        c.get_json("/taxpayers")
    assert time.monotonic() - started < 2.5
