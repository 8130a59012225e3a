"""Parsing landed files into the Batch table: nothing is lost, nothing crashes."""

from __future__ import annotations

import gzip
import json

from creditlake.connectors.landed import read_landed
from creditlake.connectors.records import REPLACEMENT
from creditlake.core.contract import dataset

DS = dataset("penalties")
HEADER = "penalty_id,uscc,decided_on,authority,category,amount,updated_at"


def _read(tmp_path, name, data: bytes, fmt: str):
    (tmp_path / name).write_bytes(gzip.compress(data))
    return read_landed(DS, tmp_path, [{"name": name, "format": fmt}])


def test_csv_rfc4180_quotes_newlines_and_empty_cells(tmp_path):
    text = (
        HEADER + '\r\nP1,U1,2026-01-01,"Court, ""East""","other",,2026-01-02T00:00:00Z\r\n'
        'P2,U2,2026-01-01,"line one\nline two",tax,"",2026-01-02T00:00:00Z\r\n'
    )
    table, unknown, missing = _read(tmp_path, "a.csv.gz", text.encode(), "csv.gz")
    rows = table.to_pylist()
    assert (
        rows[0]["authority"] == 'Court, "East"' and rows[0]["amount"] is None
    )  # empty cell = absent
    assert (
        rows[1]["authority"] == "line one\nline two" and rows[1]["amount"] == ""
    )  # quoted "" kept
    assert json.loads(rows[1]["_raw"])["authority"] == "line one\nline two"  # control chars escaped
    assert unknown == [] and missing == []


def test_csv_invalid_bytes_and_surplus_cells_kept(tmp_path):
    data = (
        (HEADER + "\r\nP1,U1,2026-01-01,").encode()
        + b"\xffAuth"
        + b",tax,1.00,2026-01-02T00:00:00Z\r\n"
    )
    data += b"P2,U2,2026-01-01,A,tax,1.00,2026-01-02T00:00:00Z,EXTRA\r\n"
    table, unknown, _ = _read(tmp_path, "b.csv.gz", data, "csv.gz")
    rows = table.to_pylist()
    assert len(rows) == 2
    assert rows[0]["authority"] == REPLACEMENT + "Auth"
    assert (
        "\\udcff" in rows[0]["_raw"] and json.loads(rows[0]["_raw"])["authority"] == "\\udcffAuth"
    )
    assert unknown == ["__column_8"] and "EXTRA" in rows[1]["_raw"]


def test_jsonl_bad_line_becomes_a_row_not_an_error(tmp_path):
    good = {
        "penalty_id": "P1",
        "uscc": "U1",
        "amount": 12.5,
        "flag": True,
        "updated_at": "2026-01-02T00:00:00Z",
    }
    data = (json.dumps(good) + "\n{not json\n").encode()
    table, unknown, missing = _read(tmp_path, "c.jsonl.gz", data, "jsonl.gz")
    rows = table.to_pylist()
    assert rows[0]["amount"] == "12.5" and unknown == ["flag"]
    assert rows[1]["penalty_id"] is None and rows[1]["_raw"] == "{not json"
    assert "category" in missing and "penalty_id" not in missing
