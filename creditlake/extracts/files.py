"""Write extract tables as CSV and Parquet, byte for byte reproducibly, and their manifest."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_table(table: pa.Table, folder: Path, stem: str) -> list[dict]:
    """`stem`.csv and `stem`.parquet in `folder`; returns their manifest entries.

    Each file is written to a temporary name and renamed, so a reader of the drop folder
    never sees half a file. Output depends only on the table's content: no timestamps.
    """
    entries = []
    for suffix, write in ((".csv", _write_csv), (".parquet", _write_parquet)):
        path = folder / (stem + suffix)
        tmp = path.with_name(path.name + ".tmp")
        write(table, tmp)
        os.replace(tmp, path)
        entries.append(
            {
                "name": path.name,
                "format": suffix[1:],
                "rows": table.num_rows,
                "bytes": path.stat().st_size,
                "sha256": sha256_file(path),
            }
        )
    return entries


def _write_csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True, quoting_style="needed"))


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd", write_statistics=True, store_schema=True)


def write_manifest(folder: Path, manifest: dict) -> Path:
    path = folder / "manifest.json"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    os.replace(tmp, path)
    return path
