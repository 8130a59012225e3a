"""HTTP server speaking the feed contract for every platform on one port.

`SimulatorServer` runs in-process (tests start it on port 0); `serve` is the
`creditlake simulator serve` command and `advance` the `creditlake simulator advance`
command. It owns the clock, tokens and cursors; HTTP routing is in simulator.server_http,
pages come from simulator.feeds, bulk files from simulator.snapshots, the bank's files
from creditlake.simulator.bankdrop and every fault decision from simulator.faults. See docs/simulator.md.
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
import threading
import time
from pathlib import Path

from creditlake.core.contract import API_PLATFORMS, Platform
from creditlake.simulator import faults as F
from creditlake.simulator.bankdrop import BankDrop
from creditlake.simulator.feeds import FeedStore
from creditlake.simulator.gen_stories import DEFAULT_PROFILE, DEFAULT_RATE
from creditlake.simulator.server_http import DAY, Handler, HttpError, HTTPServer, parse_time
from creditlake.simulator.snapshots import SnapshotStore, iso

TOKEN_TTL_SECONDS = 3600
CURSOR_TTL_SECONDS = 3600  # the contract promises at least 15 minutes
SNAPSHOT_LAYOUT = "exports"  # the cache folder's name: a new one when the files' content changes


def default_credentials(platform: Platform, seed: int) -> tuple[str, str]:
    """client_id/secret: CREDITLAKE_<PLATFORM>_CLIENT_ID/_SECRET, else deterministic demo values."""
    client_id = os.environ.get(platform.env_prefix + "_CLIENT_ID") or f"{platform.name}-client"
    secret = (
        os.environ.get(platform.env_prefix + "_CLIENT_SECRET") or f"{platform.name}-secret-{seed}"
    )
    return client_id, secret


class SimulatorServer:
    """The simulated platforms over one data folder; `start()` serves in a background thread."""

    def __init__(
        self,
        data_dir: Path | str,
        seed: int = 7,
        fault_rate: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        drop: Path | str | None = None,
        token_ttl: int = TOKEN_TTL_SECONDS,
        quiet: bool = True,
        preload: bool = False,
        snapshot_dir: Path | str | None = None,
        banks: tuple[str, ...] = (),
    ):
        self.data_dir = Path(data_dir)
        meta_path = self.data_dir / "meta.json"
        if not meta_path.exists():
            raise FileNotFoundError(
                f"{meta_path} is missing: run `creditlake simulator generate --out {data_dir}`"
            )
        self.meta = json.loads(meta_path.read_text())
        self.seed, self.fault_rate, self.token_ttl, self.quiet = seed, fault_rate, token_ttl, quiet
        self.start_clock = parse_time(self.meta["start_clock"], "start_clock")
        self.clock = self.start_clock
        self.data_ends = self.start_clock + int(self.meta.get("future_days", 60)) * DAY
        self.faults = F.FaultPlan(seed, fault_rate)
        self.feeds = FeedStore(self.data_dir)
        self._key = hashlib.sha256(f"creditlake-simulator/{seed}".encode()).digest()
        self.snapshots = SnapshotStore(
            Path(snapshot_dir) if snapshot_dir else self.data_dir / "snapshots",
            self.feeds,
            SNAPSHOT_LAYOUT,
            self._key,
        )
        self.drop_dir = Path(drop) if drop else self.data_dir / "drop"
        self.bank = BankDrop(self.data_dir, self.drop_dir, banks)
        self.credentials = {p.name: default_credentials(p, seed) for p in API_PLATFORMS}
        self._tokens: dict[
            str, tuple[frozenset[str], float]
        ] = {}  # token -> (platforms, wall-clock expiry)
        self._lock = threading.Lock()
        self._httpd = HTTPServer((host, port), Handler)
        self._httpd.app = self
        self._thread: threading.Thread | None = None
        self._preload = preload

    # --- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"

    def start(self) -> SimulatorServer:
        self.bank.write_through(iso(self.clock)[:10])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="simulator",
            daemon=True,
        )
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

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def advance(self, days: int) -> dict:
        """Move the simulated clock forward; drop the bank files that became due."""
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise HttpError(
                400, "invalid_request", f"days must be a positive integer, got {days!r}"
            )
        with self._lock:
            self.clock += days * DAY
            clock = self.clock
        written = self.bank.write_through(iso(clock)[:10])
        return {
            "clock": iso(clock),
            "data_ends": iso(self.data_ends),
            "drop_files": sorted(p.name for p in written),
        }

    def env_lines(self) -> list[str]:
        """Shell lines a user pastes to point the connectors at this server."""
        lines = []
        for p in API_PLATFORMS:
            client_id, secret = self.credentials[p.name]
            lines += [
                f"export {p.env_prefix}_BASE_URL={self.url}",
                f"export {p.env_prefix}_CLIENT_ID={client_id}",
                f"export {p.env_prefix}_CLIENT_SECRET={secret}",
            ]
        lines.append(f"export CREDITLAKE_BANK_DROP={self.drop_dir.resolve()}")
        if self.bank.banks:
            lines.append(f"export CREDITLAKE_BANKS={','.join(self.bank.banks)}")
        return lines

    # --- tokens and cursors ----------------------------------------------------------
    def issue_token(self, platforms: list[str]) -> str:
        """A token for the platforms whose credentials the client presented."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (frozenset(platforms), time.time() + self.token_ttl)
        return token

    def check_token(self, header: str | None, platform: str) -> str:
        if not header or not header.lower().startswith("bearer "):
            raise HttpError(
                401, "invalid_token", "missing bearer token", {"WWW-Authenticate": "Bearer"}
            )
        token = header[7:].strip()
        with self._lock:
            entry = self._tokens.get(token)
            if entry and entry[1] < time.time():
                del self._tokens[token]
                entry = None
        if entry is None or platform not in entry[0]:
            raise HttpError(
                401,
                "invalid_token",
                "token unknown, expired or revoked; fetch a new one",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def encode_cursor(self, state: dict) -> str:
        body = (
            base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode())
            .decode()
            .rstrip("=")
        )
        return body + "." + hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:24]

    def decode_cursor(self, cursor: str, dataset: str) -> dict:
        body, _, signature = cursor.partition(".")
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:24]
        try:
            if not hmac.compare_digest(signature, expected):
                raise ValueError
            state = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            if not isinstance(state, dict) or not all(
                isinstance(state.get(k), int) for k in "pbci"
            ):
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise HttpError(400, "invalid_cursor", "cursor is not one this server issued") from None
        if state.get("d") != dataset:
            raise HttpError(
                400,
                "invalid_cursor",
                f"cursor belongs to dataset {state.get('d')!r}, not {dataset!r}",
            )
        if time.time() - state["i"] > CURSOR_TTL_SECONDS:
            raise HttpError(400, "cursor_expired", "cursor expired; restart from updated_since")
        return state


# --- commands ------------------------------------------------------------------------------
def serve(
    data: Path,
    seed: int,
    enterprises: int,
    months: int,
    host: str = "127.0.0.1",
    port: int = 8765,
    fault_rate: float = 0.0,
    drop: Path | None = None,
    banks: tuple[str, ...] = (),
    profile: str = DEFAULT_PROFILE,
    default_rate: float = DEFAULT_RATE,
) -> None:
    """`creditlake simulator serve`: generate DATA if missing (profile and default_rate are
    generate()'s), then serve until interrupted."""
    data = Path(data)
    if not (data / "meta.json").exists():
        from creditlake.simulator.generator import generate

        print(
            f"{data}/meta.json missing: generating {enterprises} enterprises x {months} months (seed {seed})",
            flush=True,
        )
        generate(
            out=data,
            seed=seed,
            enterprises=enterprises,
            months=months,
            profile=profile,
            default_rate=default_rate,
        )
    try:
        server = SimulatorServer(
            data,
            seed=seed,
            fault_rate=fault_rate,
            host=host,
            port=port,
            drop=drop,
            preload=True,
            banks=banks,
        )
    except OSError as e:
        raise SystemExit(
            f"cannot listen on {host}:{port}: {e.strerror}; choose another --port"
        ) from None
    data_seed = server.meta.get("seed")
    if data_seed is not None and data_seed != seed:
        print(
            f"note: {data} was generated with seed {data_seed}; --seed {seed} sets faults and secrets only",
            flush=True,
        )
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly when a supervisor terminates us
    server.start()
    print(f"creditlake simulator serving {server.url} (fault rate {fault_rate:g})", flush=True)
    for line in server.env_lines():
        print(line, flush=True)
    print(f"bank drop folder: {server.drop_dir.resolve()}", flush=True)
    print(
        f"clock: {iso(server.clock)} (advance: creditlake simulator advance --url {server.url} --days 1)",
        flush=True,
    )
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
