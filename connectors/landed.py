"""Turn a landed batch (files + manifest) into a creditlake.batch.Batch.

Used right after landing and, identically, to replay a batch the lakehouse never
confirmed (a crash between landing and publishing): the lakehouse always receives
what the landing zone holds, byte for byte.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from creditlake.batch import Batch
from creditlake.contract import Dataset, dataset as contract_dataset
from connectors.landing import read_manifest
from connectors.records import Chunk, build_table, csv_gz_chunks, jsonl_gz_chunks, page_chunks

_RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _chunks(folder: Path, files: list[dict]) -> Iterator[Chunk]:
    for entry in files:
        path, fmt, source = folder / entry["name"], entry["format"], entry.get("source", entry["name"])
        if fmt == "json-page":
            yield from page_chunks(path, source)
        elif fmt == "csv.gz":
            yield from csv_gz_chunks(path, source)
        elif fmt == "jsonl.gz":
            yield from jsonl_gz_chunks(path, source)
        else:
            raise ValueError(f"{path}: unknown landed format {fmt!r}")


def read_landed(dataset: Dataset, folder: Path, files: list[dict],
                extra: dict[str, str] | None = None) -> tuple[pa.Table, list[str], list[str]]:
    return build_table(dataset, _chunks(folder, files), extra)


def newest_cursor(table: pa.Table, column: str, not_after: str) -> str | None:
    """The largest well-formed RFC 3339 cursor value not after `not_after` (bad values,
    e.g. a malformed or future updated_at on a bad record, must not move the watermark)."""
    if table.num_rows == 0 or column not in table.column_names:
        return None
    values = table[column]
    ok = pc.and_(pc.match_substring_regex(values, _RFC3339), pc.less_equal(values, not_after))
    candidates = pc.unique(values.filter(pc.fill_null(ok, False))).to_pylist()
    for value in sorted(candidates, reverse=True):
        try:
            parse_ts(value)
            return value
        except ValueError:
            continue
    return None


def load_batch(manifest_path: Path, table_parts=None) -> Batch:
    """The Batch of a landed batch; `table_parts` reuses a table just built from it."""
    manifest_path = Path(manifest_path)
    manifest = read_manifest(manifest_path)
    ds = contract_dataset(manifest["dataset"])
    if table_parts is None:
        table_parts = read_landed(ds, manifest_path.parent, manifest["files"], manifest.get("extra_columns"))
    table, unknown, missing = table_parts
    return Batch(dataset=ds.name, batch_id=manifest["batch_id"], mode=manifest["mode"], table=table,
                 as_of=parse_ts(manifest["as_of"]), fetched_at=parse_ts(manifest["fetched_at"]),
                 watermark=manifest.get("watermark_to"), landing_manifest=str(manifest_path),
                 unknown_fields=unknown, missing_columns=missing)


def compact(ts: str | None) -> str:
    """'2026-11-01T00:00:00Z' -> '20261101T000000Z' (safe in folder names)."""
    return re.sub(r"[^0-9A-Za-z]", "", ts or "none")
