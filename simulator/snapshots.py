"""Bulk snapshots ("history exports"): every version visible at the snapshot's as_of.

Snapshots exist at 00:00Z on the first day of every month and at the server's start
clock. Each is built on first request, written to DATA/snapshots/<layout>/ and reused
afterwards (faults never change a snapshot's content, so every server of one data folder
shares them). Files are gzip with a zero mtime, so the same data and seed give the same
bytes and the same sha256.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from creditlake.core.contract import DATASETS
from creditlake.simulator.feeds import FeedStore, sorted_batches
from creditlake.simulator.wire import RowBytes, csv_header, csv_lines, wire_columns

MAX_ROWS_PER_FILE = 250_000
UTF8_BOM = b"\xef\xbb\xbf"
_WRITE_CHUNK_ROWS = 20_000
_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def snapshot_format(dataset: str) -> str:
    """csv.gz and jsonl.gz alternate over the contract's dataset order."""
    return "csv.gz" if list(DATASETS).index(dataset) % 2 == 0 else "jsonl.gz"


def csv_with_bom(dataset: str) -> bool:
    """Every other CSV dataset leads with a UTF-8 BOM, as exports from some systems do."""
    csv_sets = [d for d in DATASETS if snapshot_format(d) == "csv.gz"]
    return dataset in csv_sets and csv_sets.index(dataset) % 2 == 1


def stamp(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def month_starts(first_period: str, until: int) -> list[int]:
    """00:00Z of the first day of each month from `first_period` up to `until`."""
    year, month = map(int, first_period.split("-"))
    out = []
    while True:
        ts = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
        if ts > until:
            return out
        out.append(ts)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


class _HashingFile:
    """A write-only file that counts and hashes what goes through it."""

    def __init__(self, path: Path):
        self._file = open(path, "wb")
        self.sha256, self.bytes = hashlib.sha256(), 0

    def write(self, data) -> int:
        self.sha256.update(data)
        self.bytes += len(data)
        return self._file.write(data)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def write_gzip(path: Path, header: bytes, chunks) -> tuple[int, str]:
    """Write header + chunks gzip-compressed (deterministic bytes); return (size, sha256 hex)."""
    sink = _HashingFile(path)
    try:
        # level 1: a few per cent larger than the default 6 but about three times faster to build
        with gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=1) as gz:
            if header:
                gz.write(header)
            for chunk in chunks:
                gz.write(chunk)
    finally:
        sink.close()
    return sink.bytes, sink.sha256.hexdigest()


class SnapshotStore:
    def __init__(self, cache_dir: Path, feeds: FeedStore, variant: str, url_key: bytes):
        self.root = Path(cache_dir) / variant
        self.feeds, self.variant, self._url_key = feeds, variant, url_key

    def times(self, first_period: str, start_clock: int, clock: int) -> list[int]:
        """Every snapshot time up to `clock`: month starts, and the start clock (never later than clock)."""
        return sorted({*month_starts(first_period, clock), min(start_clock, clock)})

    def sign(self, rel: str) -> str:
        return hmac.new(self._url_key, rel.encode(), hashlib.sha256).hexdigest()[:32]

    def file_path(self, rel: str, signature: str) -> Path | None:
        """The file behind a /files/ URL, or None if the URL was not issued by this server."""
        if not hmac.compare_digest(self.sign(rel), signature) or ".." in rel.split("/"):
            return None
        path = self.root.parent / rel
        return path if path.is_file() else None

    def listing(self, dataset: str, as_of: int) -> dict:
        """The snapshot entry of the contract (built first if needed)."""
        manifest = self._manifest(dataset, as_of)
        files = []
        for f in manifest["files"]:
            rel = f"{self.variant}/{dataset}/{stamp(as_of)}/{f['name']}"
            files.append(
                {
                    "url": f"/files/{rel}?sig={self.sign(rel)}",
                    "format": f["format"],
                    "rows": f["rows"],
                    "bytes": f["bytes"],
                    "sha256": f["sha256"],
                }
            )
        return {"snapshot_id": f"{dataset}-{stamp(as_of)}", "as_of": iso(as_of), "files": files}

    def _manifest(self, dataset: str, as_of: int) -> dict:
        folder = self.root / dataset / stamp(as_of)
        manifest_path = folder / "manifest.json"
        with _GUARD:  # one build per snapshot folder, even with several servers in this process
            lock = _LOCKS.setdefault(str(folder.resolve()), threading.Lock())
        with lock:
            if not manifest_path.exists():
                self._build(dataset, as_of, folder)
            return json.loads(manifest_path.read_text())

    def _build(self, dataset: str, as_of: int, folder: Path) -> None:
        feed = self.feeds.get(dataset)
        positions = feed.visible_all(as_of)
        fmt = snapshot_format(dataset)
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}-{threading.get_ident()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if fmt == "csv.gz":
            # CSV is encoded from the feed a slice at a time, never the whole snapshot at once
            first = next(sorted_batches(self.feeds.path(dataset), dataset), None)
            columns = (
                wire_columns(first, dataset) if first is not None else DATASETS[dataset].field_names
            )
            parts = _Parts(
                tmp, fmt, (UTF8_BOM if csv_with_bom(dataset) else b"") + csv_header(columns)
            )
            visible = np.zeros(len(feed), dtype=bool)
            visible[positions] = True
            offset = 0
            for table in sorted_batches(self.feeds.path(dataset), dataset):
                chosen = np.flatnonzero(visible[offset : offset + table.num_rows])
                offset += table.num_rows
                if len(chosen):
                    lines = csv_lines([table.take(chosen)], dataset)
                    parts.write(lines, np.arange(len(chosen), dtype=np.int64), contiguous=True)
        else:
            parts = _Parts(tmp, fmt, b"")
            parts.write(feed.rows, positions, contiguous=False)
        files = parts.close()
        (tmp / "manifest.json").write_text(
            json.dumps(
                {"dataset": dataset, "as_of": iso(as_of), "variant": self.variant, "files": files},
                indent=1,
            )
        )
        try:  # a complete folder appears at once; another process may have won the race
            tmp.rename(folder)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not (folder / "manifest.json").exists():
                raise


class _Parts:
    """Writes rows into part-NNNNN.<fmt> files of at most MAX_ROWS_PER_FILE rows each."""

    def __init__(self, folder: Path, fmt: str, header: bytes):
        self.folder, self.fmt, self.header = folder, fmt, header
        self.files: list[dict] = []
        self._sink: _HashingFile | None = None
        self._gz: gzip.GzipFile | None = None
        self._rows = 0

    def _open(self) -> None:
        name = f"part-{len(self.files):05d}.{self.fmt}"
        self._sink = _HashingFile(self.folder / name)
        # level 1: a few per cent larger than the default 6 but about three times faster to build
        self._gz = gzip.GzipFile(
            filename="", mode="wb", fileobj=self._sink, mtime=0, compresslevel=1
        )
        self._gz.write(self.header)
        self.files.append({"name": name, "format": self.fmt, "rows": 0})
        self._rows = 0

    def _finish(self) -> None:
        self._gz.close()
        self._sink.close()
        self.files[-1].update(
            rows=self._rows, bytes=self._sink.bytes, sha256=self._sink.sha256.hexdigest()
        )
        self._gz = self._sink = None

    def write(self, rows: RowBytes, positions: np.ndarray, contiguous: bool) -> None:
        """Rows at `positions`; `contiguous` rows carry their own line ends and sit back to back."""
        while len(positions):
            if self._gz is None:
                self._open()
            room = MAX_ROWS_PER_FILE - self._rows
            now, positions = positions[:room], positions[room:]
            for first in range(0, len(now), _WRITE_CHUNK_ROWS):
                part = now[first : first + _WRITE_CHUNK_ROWS]
                if contiguous:
                    self._gz.write(rows.span(int(part[0]), int(part[-1]) + 1))
                else:
                    self._gz.write(b"\n".join(rows.slices(part)) + b"\n")
            self._rows += len(now)
            if self._rows == MAX_ROWS_PER_FILE:
                self._finish()

    def close(self) -> list[dict]:
        if self._gz is None and not self.files:
            self._open()  # an empty snapshot is one file holding just the header
        if self._gz is not None:
            self._finish()
        return self.files
