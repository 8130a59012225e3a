"""Incremental pages and snapshots pulled from a loopback server, landed and parsed."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import timedelta

import pytest
from faultserver import SECRET, page

from creditlake.connectors.api import incremental_since, pull_incremental, pull_snapshot
from creditlake.connectors.errors import ConnectorError
from creditlake.connectors.landed import batches
from creditlake.connectors.landing import landing_root
from creditlake.connectors.records import REPLACEMENT
from creditlake.connectors.sources import source

SRC = source("tax", "taxpayers")
PATH = "/tax/v1/taxpayers"
R1 = {
    "taxpayer_id": "91350100M000100Y",
    "taxpayer_kind": "general",
    "credit_rating": "A",
    "rating_year": 2025,
    "updated_at": "2026-10-01T08:00:00Z",
}
R2 = {**R1, "taxpayer_id": "91350100M000101W", "updated_at": "2026-10-02T08:00:00Z", "vip": True}
R3 = {**R1, "taxpayer_id": "\udcff91350100M000102U", "updated_at": "2026-10-03T08:00:00Z"}
BAD_TS = {**R1, "taxpayer_id": "X", "updated_at": "2026-99-99T00:00:00Z"}
FUTURE = {**R1, "taxpayer_id": "Y", "updated_at": "2027-01-01T00:00:00Z"}


def _script(server):
    server.script(
        PATH,
        ("json", 200, page([R1, R2, BAD_TS], next_cursor="c2")),
        ("json", 429, {}, {"Retry-After": "0"}),
        ("json", 200, page([R2, R3, FUTURE], next_cursor=None)),
    )


def test_incremental_pages_landed_exactly_and_parsed(server, client):
    _script(server)
    since = "1970-01-01T00:00:00Z"
    manifest_path, parts = pull_incremental(client, SRC, since, None)
    folder = manifest_path.parent
    manifest = json.loads(manifest_path.read_text())
    assert manifest["mode"] == "incremental" and manifest["rows"] == 6
    assert manifest["as_of"] == "2026-11-01T00:00:00Z" and manifest["watermark_from"] == since
    # malformed and future updated_at never move the watermark
    assert manifest["watermark_to"] == "2026-10-03T08:00:00Z"
    assert [f["name"] for f in manifest["files"]] == ["page-00001.json", "page-00002.json"]
    for entry in manifest["files"]:
        assert hashlib.sha256((folder / entry["name"]).read_bytes()).hexdigest() == entry["sha256"]
    second = json.loads((folder / "page-00002.json").read_bytes())
    assert second["data"][1]["taxpayer_id"].startswith("\udcff")
    with parts:
        (batch,) = batches(manifest_path, parts)
    assert batch.batch_id == folder.name
    assert batch.batch_id.startswith("taxpayers-incremental-19700101T000000Z-20261101T000000Z-")
    assert batch.unknown_fields == ["vip"] and batch.missing_columns == []
    cols = batch.table.to_pydict()
    assert cols["rating_year"][0] == "2025"  # numbers as received, as text
    assert cols["taxpayer_id"][4] == REPLACEMENT + "91350100M000102U"
    assert "\\udcff" in cols["_raw"][4]
    assert cols["_source"][0].endswith("updated_since=1970-01-01T00%3A00%3A00Z&page_size=2000")
    assert batch.watermark == "2026-10-03T08:00:00Z"


def test_same_window_same_batch_id_and_landing_kept_once(server, client):
    _script(server)
    first, parts = pull_incremental(client, SRC, "1970-01-01T00:00:00Z", None)
    parts.close()
    _script(server)
    second, parts = pull_incremental(client, SRC, "1970-01-01T00:00:00Z", None)
    parts.close()
    assert first == second
    assert len([p for p in first.parent.parent.iterdir()]) == 1  # no staging leftovers


def test_landing_holds_no_secret_or_token(server, client):
    _script(server)
    pull_incremental(client, SRC, "1970-01-01T00:00:00Z", None)
    blobs = b"".join(p.read_bytes() for p in landing_root().rglob("*") if p.is_file())
    assert SECRET.encode() not in blobs and b"tok-" not in blobs and b"Bearer" not in blobs


def test_empty_window_lands_nothing(server, client):
    server.script(PATH, ("json", 200, page([], next_cursor=None)))
    assert pull_incremental(client, SRC, "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z") is None
    assert not list(landing_root().rglob("manifest.json"))


def test_next_pull_starts_at_the_watermark_or_a_configured_lookback_before_it():
    assert (
        incremental_since("2026-10-10T12:00:00Z", "1970-01-01T00:00:00Z", timedelta(0))
        == "2026-10-10T12:00:00Z"
    )
    assert (
        incremental_since("2026-10-10T12:00:00Z", "1970-01-01T00:00:00Z", timedelta(days=3))
        == "2026-10-07T12:00:00Z"
    )
    assert incremental_since(None, "2020-01-01T00:00:00Z", timedelta(0)) == "2020-01-01T00:00:00Z"


def _gz_csv(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"))


def test_snapshot_files_streamed_verified_and_parsed(server, client):
    csv_bytes = _gz_csv(
        "\ufefftaxpayer_id,taxpayer_kind,credit_rating,rating_year,updated_at\r\n"
        'A1,general,A,2025,2026-10-01T00:00:00Z\r\n"A,2",small_scale,B,2024,2026-10-02T00:00:00Z\r\n'
    )
    jsonl_bytes = gzip.compress((json.dumps({**R1, "taxpayer_id": "J1"}) + "\n").encode())
    files = [
        {
            "url": "/files/tax/taxpayers/s1/part-1.csv.gz",
            "format": "csv.gz",
            "rows": 2,
            "bytes": len(csv_bytes),
            "sha256": hashlib.sha256(csv_bytes).hexdigest(),
        },
        {
            "url": "/files/tax/taxpayers/s1/part-2.jsonl.gz",
            "format": "jsonl.gz",
            "rows": 1,
            "bytes": len(jsonl_bytes),
            "sha256": hashlib.sha256(jsonl_bytes).hexdigest(),
        },
    ]
    server.script(PATH, ("json", 200, page([], as_of="2026-11-01T00:00:00Z")))
    server.script(
        PATH + "/snapshots",
        ("reset",),
        (
            "json",
            200,
            {"snapshots": [{"snapshot_id": "s1", "as_of": "2026-11-01T00:00:00Z", "files": files}]},
        ),
    )
    server.script(files[0]["url"], ("json", 503, {}), ("file", csv_bytes))
    server.script(files[1]["url"], ("file", jsonl_bytes))
    manifest_path, parts = pull_snapshot(client, SRC)
    with parts:
        (batch,) = batches(manifest_path, parts)
    assert batch.mode == "snapshot" and batch.table.num_rows == 3
    assert batch.table["taxpayer_id"].to_pylist() == ["A1", "A,2", "J1"]
    assert batch.watermark == "2026-10-02T00:00:00Z"
    landed = sorted(p.name for p in manifest_path.parent.iterdir())
    assert landed == ["00001-part-1.csv.gz", "00002-part-2.jsonl.gz", "manifest.json"]
    assert (manifest_path.parent / "00001-part-1.csv.gz").read_bytes() == csv_bytes
    assert any("as_of=2026-11-01" in p for _, p in server.requests)


def test_no_snapshot_is_a_clear_error(server, client):
    server.script(PATH, ("json", 200, page([])))
    server.script(PATH + "/snapshots", ("json", 200, {"snapshots": []}))
    with pytest.raises(ConnectorError, match="tax: no snapshot of taxpayers as of 2026-11-01"):
        pull_snapshot(client, SRC)
