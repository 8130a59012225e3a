"""Streaming downloads with sha256 checks, the bank's file drop, landing and parsing."""

from __future__ import annotations

import gzip
import hashlib
import json
import os

import pytest

from creditlake.connectors import landing
from creditlake.connectors.bank_drop import land_file, ready_files
from creditlake.connectors.errors import ConnectorError
from creditlake.connectors.http import ChecksumMismatch
from creditlake.connectors.landed import batches, split_manifest
from creditlake.connectors.records import REPLACEMENT
from creditlake.connectors.sources import source

FILE = "/files/tax/taxpayers/0001.csv.gz"


def test_download_verifies_sha256(server, client, tmp_path):
    data = gzip.compress(b"taxpayer_id,updated_at\r\nX,2026-01-01T00:00:00Z\r\n")
    server.script(FILE, ("file", data))
    size = client.download(FILE, tmp_path / "f.csv.gz", hashlib.sha256(data).hexdigest())
    assert size == len(data) and (tmp_path / "f.csv.gz").read_bytes() == data
    assert not list(tmp_path.glob("*.part"))


def test_checksum_mismatch_downloads_again_once(server, client, tmp_path):
    good = b"the real bytes"
    server.script(FILE, ("file", b"corrupted bytes"), ("file", good))
    client.download(FILE, tmp_path / "f", hashlib.sha256(good).hexdigest())
    assert server.count(FILE) == 2


def test_checksum_mismatch_twice_fails_loudly(server, client, tmp_path):
    server.script(FILE, ("file", b"corrupted bytes"))
    with pytest.raises(ChecksumMismatch) as err:
        client.download(FILE, tmp_path / "f", "0" * 64)
    assert server.count(FILE) == 2
    assert "downloaded twice" in str(err.value) and FILE in str(err.value)
    assert not (tmp_path / "f").exists()


def test_download_reset_mid_file_retried(server, client, tmp_path):
    data = os.urandom(100_000)
    server.script(FILE, ("reset",), ("file", data))
    client.download(FILE, tmp_path / "f", hashlib.sha256(data).hexdigest())
    assert (tmp_path / "f").read_bytes() == data


LOANS_HEADER = (
    "loan_id,uscc,product_id,branch_id,contract_date,maturity_date,credit_limit,"
    "outstanding_principal,annual_rate,collateral_type,guarantor,classification,"
    "days_past_due,as_of_date"
)


def _drop(folder, name, rows, companion=True, bom=False, wrong=False):
    text = ("\ufeff" if bom else "") + LOANS_HEADER + "\r\n" + "".join(r + "\r\n" for r in rows)
    data = gzip.compress(text.encode("utf-8", "surrogateescape"))
    (folder / name).write_bytes(data)
    if companion:
        digest = "f" * 64 if wrong else hashlib.sha256(data).hexdigest()
        (folder / f"{name}.sha256").write_text(f"{digest}  {name}\n")


ROW = (
    "L1,91350100MA2Y00010F,P01,B01,2025-01-02,2026-01-02,100000.00,5000.00,0.0435,none,,normal,0,{}"
)


def test_bank_drop_takes_complete_files_in_date_order(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    _drop(drop, "loans_20261103.csv.gz", [ROW.format("2026-11-03")])
    _drop(drop, "loans_20261102.csv.gz", [ROW.format("2026-11-02")], bom=True)
    _drop(drop, "loans_20261104.csv.gz", [ROW.format("2026-11-04")], companion=False)
    _drop(drop, "loans_20261105.csv.gz", [ROW.format("2026-11-05")])
    _drop(drop, "repayments_20261102.csv.gz", [])
    ready = ready_files(drop, "loans", None)
    # the 4th has no companion: it and everything after it wait
    assert [f.file_date for f in ready] == ["2026-11-02", "2026-11-03"]
    assert [f.file_date for f in ready_files(drop, "loans", "2026-11-02")] == ["2026-11-03"]


def test_bank_drop_rejects_a_file_that_does_not_match_its_companion(tmp_path):
    _drop(tmp_path, "loans_20261102.csv.gz", [ROW.format("2026-11-02")], wrong=True)
    with pytest.raises(ConnectorError, match="does not match its companion"):
        ready_files(tmp_path, "loans", None)


def test_bank_file_landed_with_manifest_and_parsed(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    bad = ROW.format("2026-11-02").replace("P01", "P\udcff1")  # an invalid UTF-8 byte
    _drop(drop, "loans_20261102.csv.gz", [ROW.format("2026-11-02"), bad], bom=True)
    (drop_file,) = ready_files(drop, "loans", None)
    manifest_path, parts = land_file(source("bank", "loans"), "bank", drop_file)
    manifest = json.loads(manifest_path.read_text())
    assert (
        manifest["batch_id"].startswith("loans-bank-file-20261102-") and manifest["scope"] == "bank"
    )
    assert manifest["watermark_to"] == "2026-11-02" and manifest["rows"] == 2
    (entry,) = manifest["files"]
    assert entry["sha256"] == drop_file.sha256
    assert (manifest_path.parent / entry["name"]).read_bytes() == drop_file.path.read_bytes()
    with parts:
        (batch,) = batches(manifest_path, parts)
    table = batch.table.to_pydict()
    assert table["loan_id"] == ["L1", "L1"] and table["_file_date"] == ["2026-11-02"] * 2
    assert table["_bank_id"] == ["bank"] * 2 and batch.scope == "bank"
    assert table["guarantor"] == [None, None]  # empty cell = absent
    assert table["product_id"][1] == f"P{REPLACEMENT}1"
    assert "\\udcff" in table["_raw"][1]
    # replay from the landing zone gives the same batch
    with split_manifest(manifest_path) as again_parts:
        (again,) = batches(manifest_path, again_parts)
    assert again.table.equals(batch.table) and again.batch_id == batch.batch_id


def test_prune_landing_keeps_unpublished_batches(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    for day in ("20261102", "20261103"):
        _drop(drop, f"loans_{day}.csv.gz", [ROW.format(day)])
    manifests = [
        land_file(source("bank", "loans"), "bank", f)[0] for f in ready_files(drop, "loans", None)
    ]
    for m in manifests:  # pretend both were fetched 40 days ago
        doc = json.loads(m.read_text())
        doc["fetched_at"] = "2020-01-01T00:00:00Z"
        m.write_text(json.dumps(doc))
    landing.mark_published(manifests[0], {"status": "published"})
    removed = landing.prune_landing(30)
    assert removed == [manifests[0].parent]
    assert manifests[1].exists()
    assert landing.unpublished_batches("bank", "loans") == [manifests[1]]


def test_a_held_drop_file_waits_and_the_runbooks_release_publishes_it(tmp_path, monkeypatch):
    from creditlake.connectors.ingest import publish_landed, run_ingest

    drop = tmp_path / "drop"
    drop.mkdir()
    monkeypatch.setenv("CREDITLAKE_BANK_DROP", str(drop))

    def rows(day: str, bad: int) -> list[str]:
        good = [ROW.replace("L1,", f"L{i},").format(day) for i in range(25)]
        return [r.replace("MA2Y00010F", "MA2Y00010X") if i < bad else r for i, r in enumerate(good)]

    _drop(drop, "loans_20261102.csv.gz", rows("2026-11-02", 0))
    _drop(drop, "loans_20261103.csv.gz", rows("2026-11-03", 20))  # most rows bad: held
    _drop(drop, "loans_20261104.csv.gz", rows("2026-11-04", 0))
    first = run_ingest("bank", "loans")
    assert [r.status for r in first] == ["published", "held"]  # the 4th waits behind the held 3rd
    held = landing.dataset_dir("bank", "loans") / first[1].batch_id / landing.MANIFEST
    assert landing.publish_status(held.parent) == "held"

    released = publish_landed(held, release=True)
    assert [r.status for r in released] == ["published"]
    assert (released[0].published, released[0].quarantined) == (5, 20)
    assert landing.publish_status(held.parent) == "published"
    assert [(r.status, r.published) for r in run_ingest("bank", "loans")] == [("published", 25)]


def test_each_bank_drops_into_its_own_folder_and_keeps_its_own_watermark(tmp_path, monkeypatch):
    """Contract section 5: banks sharing a deployment drop into folders named by bank_id; a
    bank's loan ids are its own, and one bank's late file is not skipped because another
    bank is further on."""
    from creditlake import lakehouse
    from creditlake.connectors.errors import ConfigError
    from creditlake.connectors.ingest import run_ingest

    drop = tmp_path / "drop"
    for bank in ("bank_a", "bank-b"):
        (drop / bank).mkdir(parents=True)
    monkeypatch.setenv("CREDITLAKE_BANK_DROP", str(drop))
    monkeypatch.setenv("CREDITLAKE_BANKS", "bank_a, bank-b")
    _drop(drop / "bank_a", "loans_20261102.csv.gz", [ROW.format("2026-11-02")])
    _drop(drop / "bank_a", "loans_20261103.csv.gz", [ROW.format("2026-11-03")])
    _drop(drop / "bank-b", "loans_20261102.csv.gz", [ROW.format("2026-11-02")])  # the same row
    first = run_ingest("bank", "loans")
    assert [(r.status, r.published) for r in first] == [("published", 1)] * 3
    assert (lakehouse.watermark("loans", "bank_a"), lakehouse.watermark("loans", "bank-b")) == (
        "2026-11-03",
        "2026-11-02",
    )

    _drop(drop / "bank-b", "loans_20261103.csv.gz", [ROW.format("2026-11-03")])  # b is a day late
    assert [(r.status, r.published) for r in run_ingest("bank", "loans")] == [("published", 1)]
    newest = lakehouse.latest("loans").to_pylist()
    assert sorted((r["_bank_id"], r["loan_id"], str(r["as_of_date"])) for r in newest) == [
        ("bank-b", "L1", "2026-11-02"),
        ("bank-b", "L1", "2026-11-03"),
        ("bank_a", "L1", "2026-11-02"),
        ("bank_a", "L1", "2026-11-03"),
    ]
    assert run_ingest("bank", "loans") == []  # nothing new in either folder

    monkeypatch.setenv("CREDITLAKE_BANKS", "bank_a,bank_c")
    with pytest.raises(ConfigError, match="bank_c's drop folder .*bank_c does not exist"):
        run_ingest("bank", "loans")
    monkeypatch.setenv("CREDITLAKE_BANKS", "../elsewhere")
    with pytest.raises(ConfigError, match="bank_id '../elsewhere' must be"):
        run_ingest("bank", "loans")


def test_a_lakehouse_from_before_per_bank_drops_resumes_its_one_bank(tmp_path, monkeypatch):
    """An upgrade keeps its place: the release before per-bank drops stored one unscoped
    watermark (and landed files without a scope); a single-bank deployment goes on from it."""
    from lakehouse_batches import good_batch

    from creditlake import lakehouse
    from creditlake.connectors.ingest import run_ingest

    drop = tmp_path / "drop"
    drop.mkdir()
    monkeypatch.setenv("CREDITLAKE_BANK_DROP", str(drop))
    old = good_batch("loans", 3, batch_id="loans_20261102", mode="file", watermark="2026-11-02")
    old.table = old.table.append_column("_file_date", [["2026-11-02"] * 3])
    assert lakehouse.publish(old).published == 3  # committed with no scope, as before
    assert (lakehouse.watermark("loans"), lakehouse.watermark("loans", "bank")) == (
        "2026-11-02",
        None,
    )
    _drop(drop, "loans_20261102.csv.gz", [ROW.format("2026-11-02")])  # the old release took it
    _drop(drop, "loans_20261103.csv.gz", [ROW.format("2026-11-03")])
    assert [(r.status, r.published) for r in run_ingest("bank", "loans")] == [("published", 1)]
    assert lakehouse.watermark("loans", "bank") == "2026-11-03"
