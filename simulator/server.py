"""HTTP server speaking the feed contract for every platform on one port.

`SimulatorServer` runs in-process (tests start it on port 0); `serve` is the
`creditlake simulator serve` command and `advance` the `creditlake simulator advance`
command. Routing and HTTP details live here; pages come from simulator.feeds, bulk
files from simulator.snapshots, the bank's files from simulator.bankdrop and every
fault decision from simulator.faults. See docs/simulator.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import struct
import threading
import time
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np

from creditlake.contract import API_PLATFORMS, Platform
from simulator import faults as F
from simulator.bankdrop import BankDrop
from simulator.feeds import FeedStore
from simulator.snapshots import SnapshotStore, iso

TOKEN_TTL_SECONDS = 3600
CURSOR_TTL_SECONDS = 3600  # the contract promises at least 15 minutes
MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE = 5000, 1000
DAY = 86400


class HttpError(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}


def default_credentials(platform: Platform, seed: int) -> tuple[str, str]:
    """client_id/secret: CREDITLAKE_<PLATFORM>_CLIENT_ID/_SECRET, else deterministic demo values."""
    client_id = os.environ.get(platform.env_prefix + "_CLIENT_ID") or f"{platform.name}-client"
    secret = os.environ.get(platform.env_prefix + "_CLIENT_SECRET") or f"{platform.name}-secret-{seed}"
    return client_id, secret


def parse_time(value: str, what: str) -> int:
    """RFC 3339 timestamp (with offset) or a plain date (00:00Z) -> epoch seconds."""
    text = value.strip().replace(" ", "+")  # an unencoded '+' in a query string arrives as ' '
    try:
        if len(text) == 10:
            parsed = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise HttpError(400, "invalid_request", f"{what}={value!r} is not an RFC 3339 timestamp "
                        "(e.g. 2026-11-01T00:00:00Z)") from None
    if parsed.tzinfo is None:
        raise HttpError(400, "invalid_request", f"{what}={value!r} lacks a UTC offset (append Z)")
    return int(parsed.timestamp())


class SimulatorServer:
    """The simulated platforms over one data folder; `start()` serves in a background thread."""

    def __init__(self, data_dir: Path | str, seed: int = 7, fault_rate: float = 0.0,
                 host: str = "127.0.0.1", port: int = 0, drop: Path | str | None = None,
                 token_ttl: int = TOKEN_TTL_SECONDS, quiet: bool = True, preload: bool = False,
                 snapshot_dir: Path | str | None = None):
        self.data_dir = Path(data_dir)
        meta_path = self.data_dir / "meta.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"{meta_path} is missing: run `creditlake simulator generate --out {data_dir}`")
        self.meta = json.loads(meta_path.read_text())
        self.seed, self.fault_rate, self.token_ttl, self.quiet = seed, fault_rate, token_ttl, quiet
        self.start_clock = parse_time(self.meta["start_clock"], "start_clock")
        self.clock = self.start_clock
        self.data_ends = self.start_clock + int(self.meta.get("future_days", 60)) * DAY
        self.faults = F.FaultPlan(seed, fault_rate)
        self.feeds = FeedStore(self.data_dir, self.faults)
        self._key = hashlib.sha256(f"creditlake-simulator/{seed}".encode()).digest()
        variant = "on-time" if fault_rate == 0 else f"late-seed{seed}-rate{fault_rate:g}"
        self.snapshots = SnapshotStore(Path(snapshot_dir) if snapshot_dir else self.data_dir / "snapshots",
                                       self.feeds, variant, self._key)
        self.drop_dir = Path(drop) if drop else self.data_dir / "drop"
        self.bank = BankDrop(self.data_dir, self.drop_dir)
        self.credentials = {p.name: default_credentials(p, seed) for p in API_PLATFORMS}
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (platform, wall-clock expiry)
        self._lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.app = self
        self._thread: threading.Thread | None = None
        self._preload = preload

    # --- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"

    def start(self) -> "SimulatorServer":
        self.bank.write_through(iso(self.clock)[:10])
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="simulator", daemon=True)
        self._thread.start()
        if self._preload:  # encode every feed now, not on its first request (minutes at full scale)
            threading.Thread(target=self.prebuild, name="simulator-preload", daemon=True).start()
        return self

    def prebuild(self, datasets: list[str] | None = None) -> None:
        """Encode the feeds and build their start-clock snapshots (what a backfill asks for first)
        now rather than on first request, which at full scale takes minutes for the big feeds."""
        names = datasets or [d.name for p in API_PLATFORMS for d in p.datasets]
        for name in names:
            self.feeds.get(name)
        for name in names:
            self.snapshots.listing(name, self.start_clock)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def advance(self, days: int) -> dict:
        """Move the simulated clock forward; drop the bank files that became due."""
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise HttpError(400, "invalid_request", f"days must be a positive integer, got {days!r}")
        with self._lock:
            self.clock += days * DAY
            clock = self.clock
        written = self.bank.write_through(iso(clock)[:10])
        return {"clock": iso(clock), "data_ends": iso(self.data_ends),
                "drop_files": sorted(p.name for p in written)}

    def env_lines(self) -> list[str]:
        """Shell lines a user pastes to point the connectors at this server."""
        lines = []
        for p in API_PLATFORMS:
            client_id, secret = self.credentials[p.name]
            lines += [f"export {p.env_prefix}_BASE_URL={self.url}",
                      f"export {p.env_prefix}_CLIENT_ID={client_id}",
                      f"export {p.env_prefix}_CLIENT_SECRET={secret}"]
        lines.append(f"export CREDITLAKE_BANK_DROP={self.drop_dir.resolve()}")
        return lines

    # --- tokens and cursors ----------------------------------------------------------
    def issue_token(self, platform: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (platform, time.time() + self.token_ttl)
        return token

    def check_token(self, header: str | None, platform: str) -> str:
        if not header or not header.lower().startswith("bearer "):
            raise HttpError(401, "invalid_token", "missing bearer token", {"WWW-Authenticate": "Bearer"})
        token = header[7:].strip()
        with self._lock:
            entry = self._tokens.get(token)
            if entry and entry[1] < time.time():
                del self._tokens[token]
                entry = None
        if entry is None or entry[0] != platform:
            raise HttpError(401, "invalid_token", "token unknown, expired or revoked; fetch a new one",
                            {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def encode_cursor(self, state: dict) -> str:
        body = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")
        return body + "." + hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:24]

    def decode_cursor(self, cursor: str, dataset: str) -> dict:
        body, _, signature = cursor.partition(".")
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:24]
        try:
            if not hmac.compare_digest(signature, expected):
                raise ValueError
            state = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            if not isinstance(state, dict) or not all(isinstance(state.get(k), int) for k in "pbci"):
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise HttpError(400, "invalid_cursor", "cursor is not one this server issued") from None
        if state.get("d") != dataset:
            raise HttpError(400, "invalid_cursor", f"cursor belongs to dataset {state.get('d')!r}, not {dataset!r}")
        if time.time() - state["i"] > CURSOR_TTL_SECONDS:
            raise HttpError(400, "cursor_expired", "cursor expired; restart from updated_since")
        return state


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    app: SimulatorServer


class _Reset(Exception):
    """Raised to drop the connection without a response."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "creditlake-simulator/1.0"
    server: _HTTPServer

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

    def send_bytes(self, status: int, body: bytes, content_type: str = "application/json",
                   headers: dict | None = None, declared_length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if declared_length is None else declared_length))
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

    def send_with_fault(self, fault: F.Fault | None, status: int, body: bytes,
                        content_type: str = "application/json", headers: dict | None = None) -> None:
        headers = dict(headers or {})
        if fault is None:
            return self.send_bytes(status, body, content_type, headers)
        headers["X-Simulator-Fault"] = fault.kind
        if fault.kind == F.RESET:
            raise _Reset
        if fault.kind == F.RATE_LIMIT:
            retry = formatdate(time.time() + 2, usegmt=True) if fault.retry_after_date else "1"
            return self.send_bytes(429, json.dumps({"error": "rate_limited", "message": "too many requests"}).encode(),
                                   headers={**headers, "Retry-After": retry})
        if fault.kind == F.SERVER_ERROR:
            if fault.status in (502, 504):  # what a gateway in front of the platform answers
                text = {502: "Bad Gateway", 504: "Gateway Timeout"}[fault.status]
                return self.send_bytes(fault.status, f"<html><body><h1>{fault.status} {text}</h1></body></html>".encode(),
                                       "text/html", headers)
            return self.send_bytes(fault.status, json.dumps(
                {"error": "server_error", "message": "temporary failure, retry later"}).encode(), headers=headers)
        if fault.kind == F.TRUNCATED:
            return self.send_bytes(status, body[: len(body) // 2], content_type, headers)
        return self.send_bytes(status, body, content_type, headers)  # duplicates: already in the body


def _route(h: _Handler, app: SimulatorServer, method: str, path: str, query: dict, body: bytes) -> None:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["_sim"]:
        return _admin(h, app, method, parts[1:], body)
    if parts[:1] == ["files"]:
        _require(method, "GET")
        return _file(h, app, "/".join(parts[1:]), query.get("sig", ""))
    for platform in API_PLATFORMS:
        prefix = [p for p in platform.prefix.split("/") if p]
        if parts[:len(prefix)] != prefix:
            continue
        rest = parts[len(prefix):]
        if rest == ["oauth", "token"]:
            _require(method, "POST")
            return _token(h, app, platform, body)
        names = {d.name for d in platform.datasets}
        if len(rest) in (1, 2) and rest[0] in names and rest[1:] in ([], ["snapshots"]):
            _require(method, "GET")
            app.check_token(h.headers.get("Authorization"), platform.name)
            if len(rest) == 1:
                return _page(h, app, rest[0], query)
            return _snapshots(h, app, rest[0], query)
        raise HttpError(404, "not_found", f"no such resource {path!r} on {platform.name}; "
                        f"datasets: {', '.join(sorted(names))}")
    raise HttpError(404, "not_found", f"no such resource {path!r}; platform prefixes: "
                    + ", ".join(p.prefix for p in API_PLATFORMS))


def _require(method: str, allowed: str) -> None:
    if method != allowed:
        raise HttpError(405, "method_not_allowed", f"use {allowed}", {"Allow": allowed})


def _token(h: _Handler, app: SimulatorServer, platform: Platform, body: bytes) -> None:
    form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    auth = h.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):  # RFC 6749 2.3.1 allows the credentials in Basic auth too
        try:
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            form.setdefault("client_id", user)
            form.setdefault("client_secret", pw)
        except (ValueError, binascii.Error):
            pass
    if form.get("grant_type") != "client_credentials":
        raise HttpError(400, "unsupported_grant_type", "grant_type must be client_credentials")
    expected = app.credentials[platform.name]
    given = (form.get("client_id", ""), form.get("client_secret", ""))
    if not (hmac.compare_digest(given[0], expected[0]) and hmac.compare_digest(given[1], expected[1])):
        raise HttpError(401, "invalid_client", f"unknown client_id or wrong client_secret for {platform.name}")
    fault = app.faults.decide("token", f"token {platform.name} {given[0]}")
    payload = {"access_token": app.issue_token(platform.name), "token_type": "bearer", "expires_in": app.token_ttl}
    h.send_with_fault(fault, 200, json.dumps(payload).encode(), headers={"Cache-Control": "no-store"})


def _page_size(query: dict) -> int:
    raw = query.get("page_size", str(DEFAULT_PAGE_SIZE))
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise HttpError(400, "invalid_request", f"page_size={raw!r} must be an integer in 1..{MAX_PAGE_SIZE}")
    return size


def _page(h: _Handler, app: SimulatorServer, dataset: str, query: dict) -> None:
    size = _page_size(query)
    feed = app.feeds.get(dataset)
    if query.get("cursor"):
        state = app.decode_cursor(query["cursor"], dataset)
    else:
        since = parse_time(query["updated_since"], "updated_since") if query.get("updated_since") else None
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
        cursor = app.encode_cursor({"d": dataset, "p": int(fresh[-1]) + 1, "b": begin, "c": clock,
                                    "i": int(time.time())})
    rows = feed.rows.slices(np.concatenate([repeated, fresh])) if len(repeated) else feed.rows.slices(fresh)
    body = b"".join([
        b'{"dataset":"', dataset.encode(), b'","as_of":"', iso(clock).encode(), b'","data":[',
        b",".join(rows), b'],"next_cursor":', json.dumps(cursor).encode(), b"}"])
    h.send_with_fault(fault, 200, body)


def _expire_token(h: _Handler, app: SimulatorServer, fault: F.Fault) -> None:
    """The token 'expires' early: revoked, so the client must fetch a new one."""
    app.revoke(h.headers["Authorization"][7:].strip())
    h.send_json(401, {"error": "invalid_token", "message": "token expired; fetch a new one"},
                {"WWW-Authenticate": 'Bearer error="invalid_token"', "X-Simulator-Fault": fault.kind})


def _snapshots(h: _Handler, app: SimulatorServer, dataset: str, query: dict) -> None:
    clock = app.clock
    limit = clock
    if query.get("as_of"):
        raw = query["as_of"]
        limit = parse_time(raw, "as_of") + (DAY - 1 if len(raw.strip()) == 10 else 0)  # a date means that whole day
        limit = min(limit, clock)
    fault = app.faults.decide("listing", f"snapshots {dataset} {limit}")
    if fault and fault.kind == F.TOKEN_EXPIRY:
        return _expire_token(h, app, fault)
    if fault and fault.kind in (F.RESET, F.RATE_LIMIT, F.SERVER_ERROR):
        return h.send_with_fault(fault, 200, b"")  # fail before the (possibly slow) build
    times = [t for t in app.snapshots.times(app.meta["first_period"], app.start_clock, clock) if t <= limit]
    listing = [app.snapshots.listing(dataset, times[-1])] if times else []
    h.send_with_fault(fault, 200, json.dumps({"snapshots": listing}).encode())


def _file(h: _Handler, app: SimulatorServer, rel: str, signature: str) -> None:
    path = app.snapshots.file_path(rel, signature)
    if path is None:
        raise HttpError(404, "not_found", "no such file (file URLs come from a snapshot listing)")
    fault = app.faults.decide("file", f"file {rel}")
    size = path.stat().st_size
    headers = {"Content-Type": "application/gzip", "Content-Length": str(size),
               "Content-Disposition": f'attachment; filename="{path.name}"'}
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


def _admin(h: _Handler, app: SimulatorServer, method: str, rest: list[str], body: bytes) -> None:
    if rest == ["clock"]:
        _require(method, "GET")
        return h.send_json(200, {"clock": iso(app.clock), "start_clock": iso(app.start_clock),
                                 "data_ends": iso(app.data_ends)})
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
    raise HttpError(404, "not_found", "admin endpoints: GET /_sim/clock, POST /_sim/advance, GET /_sim/stats")


# --- commands ------------------------------------------------------------------------------
def serve(data: Path, seed: int, enterprises: int, months: int, host: str = "127.0.0.1", port: int = 8765,
          fault_rate: float = 0.0, drop: Path | None = None) -> None:
    """`creditlake simulator serve`: generate DATA if missing, then serve until interrupted."""
    data = Path(data)
    if not (data / "meta.json").exists():
        from simulator.generator import generate

        print(f"{data}/meta.json missing: generating {enterprises} enterprises x {months} months (seed {seed})",
              flush=True)
        generate(out=data, seed=seed, enterprises=enterprises, months=months)
    try:
        server = SimulatorServer(data, seed=seed, fault_rate=fault_rate, host=host, port=port, drop=drop,
                                 preload=True)
    except OSError as e:
        raise SystemExit(f"cannot listen on {host}:{port}: {e.strerror}; choose another --port") from None
    data_seed = server.meta.get("seed")
    if data_seed is not None and data_seed != seed:
        print(f"note: {data} was generated with seed {data_seed}; --seed {seed} sets faults and secrets only",
              flush=True)
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly when a supervisor terminates us
    server.start()
    print(f"creditlake simulator serving {server.url} (fault rate {fault_rate:g})", flush=True)
    for line in server.env_lines():
        print(line, flush=True)
    print(f"bank drop folder: {server.drop_dir.resolve()}", flush=True)
    print(f"clock: {iso(server.clock)} (advance: creditlake simulator advance --url {server.url} --days 1)",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        server.stop()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def advance(url: str, days: int) -> dict:
    """`creditlake simulator advance`: move a running simulator's clock forward."""
    import requests

    response = requests.post(url.rstrip("/") + "/_sim/advance", json={"days": days}, timeout=600)
    if response.status_code != 200:
        raise SystemExit(f"advance failed: HTTP {response.status_code}: {response.text}")
    result = response.json()
    print(f"clock: {result['clock']}; new bank files: {len(result['drop_files'])}")
    return result

