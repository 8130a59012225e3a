"""A second, minimal server of the feed contract, written from its text alone (section 1, 5).

It shares no code with simulator/ and reads nothing from creditlake: it serves the records
of tests/contract_world.py (datasets and fields from tests/contract_text.py) on 127.0.0.1 for all five platforms, each under a base URL of its
own (`{root}/gw/<platform>`, so a base with a path is exercised too):

    POST {base}/oauth/token                              form fields; wrong credentials 401
    GET  {base}{prefix}/{dataset}?updated_since&page_size&cursor
    GET  {base}{prefix}/{dataset}/snapshots?as_of=<date>
    GET  {base}/files/<dataset>/<snapshot>/<file>        csv.gz (some with a BOM) or jsonl.gz

and writes the bank's file drop (loans_/repayments_YYYYMMDD.csv.gz, each `.sha256` companion
written last; the newest repayments file has none yet). Deviations from the contract can be
switched on to see that a checker notices them:

    token_under_prefix   the token endpoint only at {base}{prefix}/oauth/token
    inclusive_since      updated_since includes records AT that instant
    unordered_pages      each page's records in reverse order

Within the contract it also varies what a real platform may vary: tokens revoked after
`token_uses` calls (a 401 mid-run), gzip-encoded pages when the client accepts them, the tax
platform's JSON written with \\u escapes only, cursors with '+', '/' and '=' in them.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import hmac
import io
import json
import re
import secrets
import threading
import time
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from contract_text import BANK_DATASETS, PLATFORMS, SCHEMA, UTC, platform_of
from contract_world import AS_OF, BANK_DAYS, SNAPSHOT_TIMES, Row, World, build_world

TOKEN_TTL = 3600
MAX_PAGE_SIZE = 5000
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class HttpError(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}


def wire_bytes(value: str) -> bytes:
    """Text to bytes; '\\udcXX' surrogates become the raw byte XX (invalid UTF-8 on purpose)."""
    return value.encode("utf-8", "surrogateescape")


def json_line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def csv_text(rows: list[Row], columns: list[str]) -> str:
    """RFC 4180: header row, CRLF, quoting where needed; null and absent are an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            ["" if row.record.get(c) is None else _cell(row.record[c]) for c in columns]
        )
    return out.getvalue()


def _cell(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parse_rfc3339(value: str) -> datetime:
    match = _RFC3339.match(value.strip())
    if not match:
        raise ValueError(value)
    return datetime.fromisoformat(value.strip().upper().replace("Z", "+00:00")).astimezone(UTC)


class ContractServer:
    def __init__(
        self,
        world: World | None = None,
        *,
        drop_dir: Path | str | None = None,
        token_under_prefix: bool = False,
        inclusive_since: bool = False,
        unordered_pages: bool = False,
        repeat_across_pages: bool = True,
        token_uses: int | None = None,
    ):
        self.world = world or build_world()
        self.token_under_prefix, self.inclusive_since = token_under_prefix, inclusive_since
        self.unordered_pages, self.repeat_across_pages = unordered_pages, repeat_across_pages
        self.token_uses = token_uses
        self.credentials = {
            p: (f"{p}-independent-client", f"{p}-secret-{secrets.token_hex(6)}") for p in PLATFORMS
        }
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status)
        self._tokens: dict[str, list] = {}  # token -> [platform, expiry, calls left]
        self._key = secrets.token_bytes(16)
        self._lock = threading.Lock()
        self.files: dict[str, bytes] = {}  # path under a base -> bytes
        self.listings = {name: self._snapshots(name) for name in self._api_datasets()}
        self.drop_dir = Path(drop_dir) if drop_dir else None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def do_POST(self) -> None:
                server._handle(self, "POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.root = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> ContractServer:
        if self.drop_dir is not None:
            write_drop(self.world, self.drop_dir)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ContractServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def base_url(self, platform: str) -> str:
        return f"{self.root}/gw/{platform}"

    def env(self) -> dict[str, str]:
        """CREDITLAKE_<PLATFORM>_BASE_URL/_CLIENT_ID/_CLIENT_SECRET (+ the drop folder)."""
        out = {}
        for platform, (client_id, secret) in self.credentials.items():
            stem = "CREDITLAKE_" + platform.upper().replace("-", "_")
            out.update(
                {
                    f"{stem}_BASE_URL": self.base_url(platform),
                    f"{stem}_CLIENT_ID": client_id,
                    f"{stem}_CLIENT_SECRET": secret,
                }
            )
        if self.drop_dir is not None:
            out["CREDITLAKE_BANK_DROP"] = str(self.drop_dir)
        return out

    @staticmethod
    def _api_datasets() -> list[str]:
        return [d for _, names in PLATFORMS.values() for d in names]

    # -- snapshots (section 1.2) ------------------------------------------------------------------
    def _snapshots(self, dataset: str) -> list[dict]:
        out = []
        for number, moment in enumerate(SNAPSHOT_TIMES):
            rows = self.world.snapshot_rows(dataset, moment)
            snapshot_id = f"{dataset}-{moment:%Y%m%d}"
            half = (len(rows) + 1) // 2
            parts = [("csv.gz", rows[:half]), ("jsonl.gz", rows[half:])]
            files = []
            for index, (fmt, part) in enumerate(p for p in parts if p[1]):
                if fmt == "csv.gz":
                    columns = [f for f, _, _ in SCHEMA[dataset][1]]
                    columns += sorted(
                        {k for r in part for k in r.record} - set(columns)
                    )  # unknown fields too
                    bom = "\ufeff" if (number + len(dataset)) % 2 else ""
                    data = wire_bytes(bom + csv_text(part, columns))
                else:
                    data = wire_bytes("".join(json_line(r.record) + "\n" for r in part))
                body = gzip.compress(data, mtime=0)
                url = f"/files/{dataset}/{snapshot_id}/part-{index:02d}.{fmt}"
                self.files[url] = body
                files.append(
                    {
                        "url": url,
                        "format": fmt,
                        "rows": len(part),
                        "bytes": len(body),
                        "sha256": hashlib.sha256(body).hexdigest(),
                    }
                )
            out.append(
                {
                    "snapshot_id": snapshot_id,
                    "as_of": f"{moment:%Y-%m-%dT%H:%M:%SZ}",
                    "files": files,
                }
            )
        return out

    # -- HTTP -------------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        split = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            status, payload, ctype = self._route(h, method, split.path, query, body)
            headers = {}
            if ctype == "application/json" and "gzip" in (h.headers.get("Accept-Encoding") or ""):
                payload, headers = gzip.compress(payload, mtime=0), {"Content-Encoding": "gzip"}
        except HttpError as e:
            status, payload, ctype = (
                e.status,
                json.dumps({"error": e.error, "message": e.message}).encode(),
                "application/json",
            )
            headers = e.headers
        with self._lock:
            self.requests.append((method, split.path, status))
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(payload)

    def _route(self, h, method: str, path: str, query: dict, body: bytes) -> tuple[int, bytes, str]:
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["gw"] or len(parts) < 2 or parts[1] not in PLATFORMS:
            raise HttpError(404, "not_found", f"no platform at {path!r}")
        platform, rest = parts[1], parts[2:]
        prefix = [p for p in PLATFORMS[platform][0].split("/") if p]
        token_path = prefix + ["oauth", "token"] if self.token_under_prefix else ["oauth", "token"]
        if rest == token_path:
            _require(method, "POST")
            return self._token(h, platform, body)
        if rest[:1] == ["files"]:
            _require(method, "GET")
            self._check_token(h, platform)
            data = self.files.get("/" + "/".join(rest))
            if data is None:
                raise HttpError(404, "not_found", "no such file")
            return 200, data, "application/gzip"
        if rest[: len(prefix)] == prefix:
            tail = rest[len(prefix) :]
            names = PLATFORMS[platform][1]
            if len(tail) in (1, 2) and tail[0] in names and tail[1:] in ([], ["snapshots"]):
                _require(method, "GET")
                self._check_token(h, platform)
                if len(tail) == 2:
                    return 200, self._listing(tail[0], query), "application/json"
                return 200, self._page(tail[0], query), "application/json"
        raise HttpError(404, "not_found", f"no resource {path!r} on {platform}")

    def _token(self, h, platform: str, body: bytes) -> tuple[int, bytes, str]:
        if "application/x-www-form-urlencoded" not in (h.headers.get("Content-Type") or ""):
            raise HttpError(400, "invalid_request", "the token request takes form fields")
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            raise HttpError(400, "unsupported_grant_type", "grant_type must be client_credentials")
        client_id, secret = self.credentials[platform]
        if not (
            hmac.compare_digest(form.get("client_id", ""), client_id)
            and hmac.compare_digest(form.get("client_secret", ""), secret)
        ):
            raise HttpError(401, "invalid_client", "wrong client credentials")
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._tokens[token] = [platform, time.time() + TOKEN_TTL, self.token_uses]
        doc = {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_TTL}
        return 200, json.dumps(doc).encode(), "application/json"

    def _check_token(self, h, platform: str) -> None:
        header = h.headers.get("Authorization") or ""
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        with self._lock:
            entry = self._tokens.get(token)
            if entry is not None and entry[2] is not None:
                entry[2] -= 1
                if entry[2] < 0:  # revoked: the client must fetch a new token
                    entry = self._tokens.pop(token)
                    entry[1] = 0
        if entry is None or entry[0] != platform or entry[1] < time.time():
            raise HttpError(
                401,
                "invalid_token",
                "missing, unknown or expired token",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )

    # -- pages (section 1.1) ----------------------------------------------------------------------
    def _page(self, dataset: str, query: dict) -> bytes:
        raw_size = query.get("page_size", "1000")
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_PAGE_SIZE:
            raise HttpError(
                400, "invalid_request", f"page_size must be 1..{MAX_PAGE_SIZE}, got {raw_size!r}"
            )
        size = int(raw_size)
        since_text = query.get("updated_since")
        if query.get("cursor"):
            state = self._decode_cursor(query["cursor"], dataset)
            since, position = state["s"], state["p"]
        else:
            try:
                since = parse_rfc3339(since_text).isoformat() if since_text else None
            except ValueError:
                raise HttpError(
                    400, "invalid_request", f"updated_since={since_text!r} is not RFC 3339"
                ) from None
            position = 0
        rows = self._selected(dataset, since)
        repeat = self.repeat_across_pages and position > 0 and size > 1 and position % 3 == 1
        fresh = rows[position : position + size - repeat]
        data = ([rows[position - 1]] if repeat else []) + fresh
        if self.unordered_pages:
            data.reverse()
        end = position + len(fresh)
        cursor = (
            self._encode_cursor({"d": dataset, "s": since, "p": end}) if end < len(rows) else None
        )
        ascii_only = (
            platform_of(dataset) == "tax"
        )  # JSON with \\u escapes for every non-ASCII character
        records = ",".join(
            json.dumps(r.record) if ascii_only else json_line(r.record) for r in data
        )
        head = json.dumps({"dataset": dataset, "as_of": f"{AS_OF:%Y-%m-%dT%H:%M:%SZ}"})[:-1]
        return wire_bytes(f'{head},"data":[{records}],"next_cursor":{json.dumps(cursor)}}}')

    def _selected(self, dataset: str, since: str | None) -> list[Row]:
        rows = self.world.rows[dataset]
        if since is None:
            return rows
        moment = datetime.fromisoformat(since)
        if self.inclusive_since:
            return [r for r in rows if r.version >= moment]
        return [r for r in rows if r.version > moment]

    def _encode_cursor(self, state: dict) -> str:
        body = base64.b64encode(
            json.dumps(state).encode()
        ).decode()  # '+', '/', '=': URL-encoded by clients
        return body + "." + hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:16]

    def _decode_cursor(self, cursor: str, dataset: str) -> dict:
        body, _, signature = cursor.partition(".")
        if not hmac.compare_digest(
            signature, hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:16]
        ):
            raise HttpError(400, "invalid_cursor", "not a cursor of this server")
        state = json.loads(base64.b64decode(body))
        if state["d"] != dataset:
            raise HttpError(400, "invalid_cursor", "the cursor belongs to another dataset")
        return state

    def _listing(self, dataset: str, query: dict) -> bytes:
        limit = None
        if query.get("as_of"):
            try:
                limit = datetime.combine(
                    date.fromisoformat(query["as_of"]), datetime.min.time(), UTC
                ) + timedelta(days=1)
            except ValueError:
                raise HttpError(400, "invalid_request", "as_of must be a date YYYY-MM-DD") from None
        listed = [
            s for s in self.listings[dataset] if limit is None or parse_rfc3339(s["as_of"]) < limit
        ]
        return json.dumps({"snapshots": listed}).encode()


def _require(method: str, allowed: str) -> None:
    if method != allowed:
        raise HttpError(405, "method_not_allowed", f"use {allowed}", {"Allow": allowed})


def write_drop(world: World, folder: Path) -> list[Path]:
    """The bank's files (section 5), each day's file first and its companion last."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for dataset in BANK_DATASETS:
        columns = [f for f, _, _ in SCHEMA[dataset][1]]
        for number, day in enumerate(BANK_DAYS):
            rows = [r for r in world.rows[dataset] if r.version == day]
            name = f"{dataset}_{day:%Y%m%d}.csv.gz"
            data = gzip.compress(
                wire_bytes(("\ufeff" if number == 1 else "") + csv_text(rows, columns)), mtime=0
            )
            (folder / name).write_bytes(data)
            written.append(folder / name)
            if day not in world.incomplete_days(dataset):
                (folder / f"{name}.sha256").write_text(
                    f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                )
    return written


__all__ = ["ContractServer", "write_drop"]
