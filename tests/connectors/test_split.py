"""Cutting a landed batch into parts: every record of a key in one part, the same parts
on every replay, and the whole batch's row count, fields, cursor and digest."""

from __future__ import annotations

import gzip
import json

import pyarrow.compute as pc

from creditlake.connectors.landed import read_landed, split_files
from creditlake.connectors.split import part_count
from creditlake.core.contract import dataset

DS = dataset("taxpayers")
HEADER = "taxpayer_id,taxpayer_kind,credit_rating,rating_year,updated_at,vip\n"


def _csv(path, rows):
    with gzip.open(path, "wt", encoding="utf-8", newline="") as out:
        out.write(HEADER + "".join(rows))


def _land(tmp_path):
    """Two files; key T7 appears in both (a conflicting pair split across files)."""
    first = [f"T{i},general,A,2024,2026-10-0{1 + i % 5}T00:00:00Z,\n" for i in range(40)]
    second = [f"T{i},general,B,2024,2026-10-0{1 + i % 5}T00:00:00Z,x\n" for i in range(7, 30)]
    second.append("T99,general,A,2024,2027-01-01T00:00:00Z,\n")  # future: not a cursor
    _csv(tmp_path / "a.csv.gz", first)
    _csv(tmp_path / "b.csv.gz", second)
    return [
        {"name": "a.csv.gz", "format": "csv.gz", "rows": 40},
        {"name": "b.csv.gz", "format": "csv.gz", "rows": 24},
    ]


def test_parts_keep_each_key_together_and_replay_cuts_the_same_parts(tmp_path, monkeypatch):
    monkeypatch.setenv("CREDITLAKE_WAREHOUSE", str(tmp_path / "warehouse"))
    monkeypatch.setenv("CREDITLAKE_MAX_PART_ROWS", "20")
    files = _land(tmp_path)
    assert part_count(files) == 4  # ceil(64 / 20), from the manifest alone
    whole, unknown, missing = read_landed(DS, tmp_path, files)
    with split_files(DS, "tax", tmp_path, files, cursor_not_after="2026-11-01T00:00:00Z") as split:
        parts = [split.part(i) for i in range(len(split.paths))]
        assert split.rows == whole.num_rows == 64 == sum(p.num_rows for p in parts)
        assert (split.unknown_fields, split.missing_columns) == (unknown, missing) == (["vip"], [])
        assert split.newest_cursor == "2026-10-05T00:00:00Z"
        where = {}
        for number, part in enumerate(parts):
            for key in set(part["taxpayer_id"].to_pylist()):
                assert where.setdefault(key, number) == number, key  # one part per key
        assert sorted(pc.unique(whole["_raw"]).to_pylist()) == sorted(
            r for p in parts for r in p["_raw"].to_pylist()
        )
        with split_files(DS, "tax", tmp_path, files) as again:
            assert all(again.part(i).equals(parts[i]) for i in range(len(parts)))
            assert again.content_digest == split.content_digest
        workdir = split.workdir
        assert workdir.parent == tmp_path / "warehouse" / "landing" / "tax" / "taxpayers"
    assert not workdir.exists()  # spilled parts hold personal data: gone once published


def test_digest_ignores_duplicates_and_order(tmp_path, monkeypatch):
    monkeypatch.setenv("CREDITLAKE_WAREHOUSE", str(tmp_path / "warehouse"))
    records = [
        {"taxpayer_id": f"T{i}", "credit_rating": "A", "updated_at": "2026-10-01T00:00:00Z"}
        for i in range(5)
    ]
    pages = {
        "p1.json": records[:3],
        "p2.json": records[2:],
        "q1.json": records[::-1],
        "r1.json": records[:4],
    }
    for name, data in pages.items():
        (tmp_path / name).write_text(json.dumps({"data": data, "next_cursor": None}))

    def digest(*names):
        files = [{"name": n, "format": "json-page", "rows": len(pages[n])} for n in names]
        with split_files(DS, "tax", tmp_path, files) as split:
            return split.content_digest

    assert digest("p1.json", "p2.json") == digest("q1.json") != digest("r1.json")
