"""Turn a landed batch (files + manifest) into creditlake.core.batch.Batch parts.

Used right after landing and, identically, to replay a batch the lakehouse never
confirmed (a crash between landing and publishing): the lakehouse always receives
what the landing zone holds, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from creditlake.connectors.landing import Staging, parse_ts, read_manifest
from creditlake.connectors.records import (
    Chunk,
    build_table,
    csv_gz_chunks,
    jsonl_gz_chunks,
    page_chunks,
)
from creditlake.connectors.split import Split, part_count, split_landed
from creditlake.core.batch import Batch, part_id
from creditlake.core.contract import Dataset
from creditlake.core.contract import dataset as contract_dataset
from creditlake.core.crashpoints import crashpoint


def _chunks(folder: Path, files: list[dict]) -> Iterator[Chunk]:
    for entry in files:
        path, fmt, source = (
            folder / entry["name"],
            entry["format"],
            entry.get("source", entry["name"]),
        )
        if fmt == "json-page":
            yield from page_chunks(path, source)
        elif fmt == "csv.gz":
            yield from csv_gz_chunks(path, source)
        elif fmt == "jsonl.gz":
            yield from jsonl_gz_chunks(path, source)
        else:
            raise ValueError(f"{path}: unknown landed format {fmt!r}")


def read_landed(
    dataset: Dataset, folder: Path, files: list[dict], extra: dict[str, str] | None = None
) -> tuple[pa.Table, list[str], list[str]]:
    """A small landed batch as one table (tests and tools; ingestion streams it: `split_files`)."""
    return build_table(dataset, _chunks(folder, files), extra)


def split_files(
    dataset: Dataset,
    platform: str,
    folder: Path,
    files: list[dict],
    extra: dict[str, str] | None = None,
    cursor_not_after: str | None = None,
) -> Split:
    """Stream landed files into parts of bounded size (see connectors.split)."""
    return split_landed(
        dataset, platform, _chunks(folder, files), part_count(files), cursor_not_after, extra
    )


def split_manifest(manifest_path: Path) -> Split:
    """The parts of a landed batch, cut again from its files (a replay cuts the same parts)."""
    manifest = read_manifest(manifest_path)
    return split_files(
        contract_dataset(manifest["dataset"]),
        manifest["platform"],
        Path(manifest_path).parent,
        manifest["files"],
        manifest.get("extra_columns"),
    )


def commit_split(stage: Staging, split: Split, batch_id: str, manifest: dict) -> Path:
    """Make a staged batch visible, its manifest completed with what the split counted (rows,
    fields seen); returns the manifest path. On failure the spilled parts are removed."""
    try:
        manifest = {
            **manifest,
            "rows": split.rows,
            "unknown_fields": split.unknown_fields,
            "missing_columns": split.missing_columns,
        }
        crashpoint("connectors.landing.before_manifest")
        return stage.commit(batch_id, manifest)
    except BaseException:
        split.close()
        raise


def batches(manifest_path: Path, split: Split) -> Iterator[Batch]:
    """One Batch per part of a landed batch, in order; only the last carries the watermark,
    so a crash between parts never moves it past rows not yet committed."""
    manifest = read_manifest(manifest_path)
    count = len(split.paths)
    for index in range(count):
        last = index == count - 1
        yield Batch(
            dataset=manifest["dataset"],
            batch_id=part_id(manifest["batch_id"], index + 1, count),
            mode=manifest["mode"],
            table=split.part(index),
            as_of=parse_ts(manifest["as_of"]),
            fetched_at=parse_ts(manifest["fetched_at"]),
            watermark=manifest.get("watermark_to") if last else None,
            scope=manifest.get("scope"),
            landing_manifest=str(manifest_path),
            unknown_fields=manifest.get("unknown_fields") or [],
            missing_columns=manifest.get("missing_columns") or [],
            batch_rows=manifest.get("rows"),
        )


def compact(ts: str | None) -> str:
    """'2026-11-01T00:00:00Z' -> '20261101T000000Z' (safe in folder names)."""
    return re.sub(r"[^0-9A-Za-z]", "", ts or "none")
