"""HTTP plumbing and routes of the simulator: one handler for every platform prefix.

Each route reads the request, asks the fault plan, and answers from the page store,
the snapshot store or the admin clock of the `SimulatorServer` it is attached to.
"""

from __future__ import annotations

import hmac
import json
import re
import socket
import struct
import time
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import numpy as np

from creditlake.core.contract import API_PLATFORMS
from creditlake.simulator import faults as F
from creditlake.simulator.snapshots import iso

if TYPE_CHECKING:
    from creditlake.simulator.server import SimulatorServer

MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE = 5000, 1000
DAY = 86400


class HttpError(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_time(value: str, what: str) -> int:
    """An RFC 3339 timestamp with its offset (contract section 1.1) -> epoch seconds."""
    text = value.strip()
    try:
        if not _RFC3339.match(text):
            raise ValueError
        parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(
            400,
            "invalid_request",
            f"{what}={value!r} is not an RFC 3339 timestamp (e.g. 2026-11-01T00:00:00Z)",
        ) from None
    return int(parsed.timestamp())


def parse_date(value: str, what: str) -> int:
    """A date YYYY-MM-DD (contract section 1.2) -> epoch seconds of its 00:00Z."""
    try:
        parsed = datetime.strptime(value.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise HttpError(
            400, "invalid_request", f"{what}={value!r} is not a date (e.g. 2026-11-01)"
        ) from None
    return int(parsed.timestamp())


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    app: SimulatorServer


class _Reset(Exception):
    """Raised to drop the connection without a response."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "creditlake-simulator/1.0"
    server: HTTPServer

    def setup(self) -> None:
        super().setup()
        # headers and body are two writes: without NODELAY, Nagle + delayed ACK add 40 ms per response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt: str, *args) -> None:
        if not self.server.app.quiet:
            super().log_message(fmt, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # --- plumbing ----------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            _route(self, self.server.app, method, split.path, query, body)
        except HttpError as e:
            self.send_json(e.status, {"error": e.error, "message": e.message}, e.headers)
        except _Reset:
            self.reset()
        except (BrokenPipeError, ConnectionResetError):  # the client went away mid-response
            self.close_connection = True
        except Exception as e:  # a bug in the simulator must still answer, and say what happened
            self.send_json(500, {"error": "simulator_error", "message": f"{type(e).__name__}: {e}"})
            raise

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict | None = None,
        declared_length: int | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header(
            "Content-Length", str(len(body) if declared_length is None else declared_length)
        )
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, payload: dict, headers: dict | None = None) -> None:
        self.send_bytes(status, json.dumps(payload).encode(), headers=headers)

    def reset(self) -> None:
        """Close with RST: the client sees 'connection reset by peer' and no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def send_with_fault(
        self,
        fault: F.Fault | None,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict | None = None,
    ) -> None:
        headers = dict(headers or {})
        if fault is None:
            return self.send_bytes(status, body, content_type, headers)
        headers["X-Simulator-Fault"] = fault.kind
        if fault.kind == F.RESET:
            raise _Reset
        if fault.kind == F.RATE_LIMIT:
            retry = formatdate(time.time() + 2, usegmt=True) if fault.retry_after_date else "1"
            return self.send_bytes(
                429,
                json.dumps({"error": "rate_limited", "message": "too many requests"}).encode(),
                headers={**headers, "Retry-After": retry},
            )
        if fault.kind == F.SERVER_ERROR:
            if fault.status in (502, 504):  # what a gateway in front of the platform answers
                text = {502: "Bad Gateway", 504: "Gateway Timeout"}[fault.status]
                return self.send_bytes(
                    fault.status,
                    f"<html><body><h1>{fault.status} {text}</h1></body></html>".encode(),
                    "text/html",
                    headers,
                )
            return self.send_bytes(
                fault.status,
                json.dumps(
                    {"error": "server_error", "message": "temporary failure, retry later"}
                ).encode(),
                headers=headers,
            )
        if fault.kind == F.TRUNCATED:
            return self.send_bytes(status, body[: len(body) // 2], content_type, headers)
        return self.send_bytes(
            status, body, content_type, headers
        )  # duplicates: already in the body


def _route(
    h: Handler, app: SimulatorServer, method: str, path: str, query: dict, body: bytes
) -> None:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["_sim"]:
        return _admin(h, app, method, parts[1:], body)
    if parts == ["oauth", "token"]:  # one token endpoint at the base (contract section 1)
        _require(method, "POST")
        return _token(h, app, body)
    if parts[:1] == ["files"]:
        _require(method, "GET")
        return _file(h, app, "/".join(parts[1:]), query.get("sig", ""))
    for platform in API_PLATFORMS:
        prefix = [p for p in platform.prefix.split("/") if p]
        if parts[: len(prefix)] != prefix:
            continue
        rest = parts[len(prefix) :]
        names = {d.name for d in platform.datasets}
        if len(rest) in (1, 2) and rest[0] in names and rest[1:] in ([], ["snapshots"]):
            _require(method, "GET")
            app.check_token(h.headers.get("Authorization"), platform.name)
            if len(rest) == 1:
                return _page(h, app, rest[0], query)
            return _snapshots(h, app, rest[0], query)
        raise HttpError(
            404,
            "not_found",
            f"no such resource {path!r} on {platform.name}; datasets: {', '.join(sorted(names))}",
        )
    raise HttpError(
        404,
        "not_found",
        f"no such resource {path!r}; platform prefixes: "
        + ", ".join(p.prefix for p in API_PLATFORMS),
    )


def _require(method: str, allowed: str) -> None:
    if method != allowed:
        raise HttpError(405, "method_not_allowed", f"use {allowed}", {"Allow": allowed})


def _token(h: Handler, app: SimulatorServer, body: bytes) -> None:
    """OAuth2 client credentials as form fields (section 1). Each platform has its own
    credentials; this one server stands for all five, so the client id says which."""
    if "application/x-www-form-urlencoded" not in (h.headers.get("Content-Type") or ""):
        raise HttpError(
            400, "invalid_request", "send the form fields as application/x-www-form-urlencoded"
        )
    form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if form.get("grant_type") != "client_credentials":
        raise HttpError(400, "unsupported_grant_type", "grant_type must be client_credentials")
    given = (form.get("client_id", ""), form.get("client_secret", ""))
    platforms = [
        name
        for name, (client_id, secret) in app.credentials.items()
        if hmac.compare_digest(given[0], client_id) and hmac.compare_digest(given[1], secret)
    ]
    if not platforms:
        raise HttpError(401, "invalid_client", "unknown client_id or wrong client_secret")
    fault = app.faults.decide("token", f"token {given[0]}")
    payload = {
        "access_token": app.issue_token(platforms),
        "token_type": "bearer",
        "expires_in": app.token_ttl,
    }
    h.send_with_fault(
        fault, 200, json.dumps(payload).encode(), headers={"Cache-Control": "no-store"}
    )


def _page_size(query: dict) -> int:
    raw = query.get("page_size", str(DEFAULT_PAGE_SIZE))
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise HttpError(
            400, "invalid_request", f"page_size={raw!r} must be an integer in 1..{MAX_PAGE_SIZE}"
        )
    return size


def _page(h: Handler, app: SimulatorServer, dataset: str, query: dict) -> None:
    size = _page_size(query)
    feed = app.feeds.get(dataset)
    if query.get("cursor"):
        state = app.decode_cursor(query["cursor"], dataset)
    else:
        since = (
            parse_time(query["updated_since"], "updated_since")
            if query.get("updated_since")
            else None
        )
        start = feed.start_after(since)
        state = {"d": dataset, "p": start, "b": start, "c": app.clock, "i": 0}
    position, begin, clock = state["p"], state["b"], state["c"]
    signature = f"page {dataset} {size} {clock} {begin} {position}"
    fault = app.faults.decide("page", signature, duplicates_possible=position > begin and size > 1)
    if fault and fault.kind == F.TOKEN_EXPIRY:
        return _expire_token(h, app, fault)
    repeated = np.zeros(0, dtype=np.int64)
    if fault and fault.kind == F.DUPLICATES:
        repeated = feed.visible_before(begin, position, clock, min(fault.duplicates, size - 1))
    fresh = feed.visible(position, clock, size - len(repeated) + 1)  # one extra: is there more?
    more = len(fresh) > size - len(repeated)
    fresh = fresh[: size - len(repeated)]
    cursor = None
    if more:
        cursor = app.encode_cursor(
            {"d": dataset, "p": int(fresh[-1]) + 1, "b": begin, "c": clock, "i": int(time.time())}
        )
    rows = (
        feed.rows.slices(np.concatenate([repeated, fresh]))
        if len(repeated)
        else feed.rows.slices(fresh)
    )
    body = b"".join(
        [
            b'{"dataset":"',
            dataset.encode(),
            b'","as_of":"',
            iso(clock).encode(),
            b'","data":[',
            b",".join(rows),
            b'],"next_cursor":',
            json.dumps(cursor).encode(),
            b"}",
        ]
    )
    h.send_with_fault(fault, 200, body)


def _expire_token(h: Handler, app: SimulatorServer, fault: F.Fault) -> None:
    """The token 'expires' early: revoked, so the client must fetch a new one."""
    app.revoke(h.headers["Authorization"][7:].strip())
    h.send_json(
        401,
        {"error": "invalid_token", "message": "token expired; fetch a new one"},
        {"WWW-Authenticate": 'Bearer error="invalid_token"', "X-Simulator-Fault": fault.kind},
    )


def _snapshots(h: Handler, app: SimulatorServer, dataset: str, query: dict) -> None:
    clock = app.clock
    limit = clock
    if query.get("as_of"):
        limit = min(
            parse_date(query["as_of"], "as_of") + DAY - 1, clock
        )  # a date means that whole day
    fault = app.faults.decide("listing", f"snapshots {dataset} {limit}")
    if fault and fault.kind == F.TOKEN_EXPIRY:
        return _expire_token(h, app, fault)
    if fault and fault.kind in (F.RESET, F.RATE_LIMIT, F.SERVER_ERROR):
        return h.send_with_fault(fault, 200, b"")  # fail before the (possibly slow) build
    times = [
        t
        for t in app.snapshots.times(app.meta["first_period"], app.start_clock, clock)
        if t <= limit
    ]
    listing = [app.snapshots.listing(dataset, times[-1])] if times else []
    h.send_with_fault(fault, 200, json.dumps({"snapshots": listing}).encode())


def _file(h: Handler, app: SimulatorServer, rel: str, signature: str) -> None:
    path = app.snapshots.file_path(rel, signature)
    if path is None:
        raise HttpError(404, "not_found", "no such file (file URLs come from a snapshot listing)")
    fault = app.faults.decide("file", f"file {rel}")
    size = path.stat().st_size
    headers = {
        "Content-Type": "application/gzip",
        "Content-Length": str(size),
        "Content-Disposition": f'attachment; filename="{path.name}"',
    }
    if fault and fault.kind != F.TRUNCATED:
        return h.send_with_fault(fault, 200, b"", "application/gzip")
    h.send_response(200)
    for name, value in headers.items():
        h.send_header(name, value)
    if fault:
        h.send_header("X-Simulator-Fault", fault.kind)
    h.end_headers()
    with open(path, "rb") as f:
        if fault:  # the connection drops half-way through the announced length
            h.wfile.write(f.read(size // 2))
            raise _Reset
        h.connection.sendfile(f)


def _admin(h: Handler, app: SimulatorServer, method: str, rest: list[str], body: bytes) -> None:
    if rest == ["clock"]:
        _require(method, "GET")
        return h.send_json(
            200,
            {
                "clock": iso(app.clock),
                "start_clock": iso(app.start_clock),
                "data_ends": iso(app.data_ends),
            },
        )
    if rest == ["advance"]:
        _require(method, "POST")
        try:
            days = json.loads(body or b"{}").get("days", 1)
        except (ValueError, AttributeError):
            raise HttpError(400, "invalid_request", 'body must be JSON like {"days": 1}') from None
        return h.send_json(200, app.advance(days))
    if rest == ["stats"]:
        _require(method, "GET")
        return h.send_json(200, app.faults.stats())
    raise HttpError(
        404, "not_found", "admin endpoints: GET /_sim/clock, POST /_sim/advance, GET /_sim/stats"
    )
