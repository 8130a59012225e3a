"""Columnar page store: each feed is loaded once, its rows encoded once, pages are slices.

A feed holds every version the platform will ever serve, sorted by (updated_at, key).
What a client may see at clock C is the versions with updated_at <= C (a correction is a
new version with a newer updated_at, contract section 1.1: nothing appears behind a
cursor), so a page is found with a binary search on updated_at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from creditlake.core.contract import DATASETS
from creditlake.simulator.wire import BATCH_ROWS, RowBytes, batches, json_rows

TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def epoch_seconds(col: pa.Array) -> np.ndarray:
    """RFC 3339 'YYYY-MM-DDTHH:MM:SSZ' strings to int64 seconds; unparsable ones take the previous value."""
    ts = pc.strptime(col, format=TS_FORMAT, unit="s", error_is_null=True)
    ts = pc.fill_null(pc.fill_null_forward(ts), pa.scalar(0, pa.timestamp("s")))
    return ts.cast(pa.int64()).to_numpy(zero_copy_only=False)


def is_sorted(updated_at: pa.ChunkedArray) -> bool:
    ua = updated_at.combine_chunks()
    return len(ua) < 2 or pc.all(pc.greater_equal(ua[1:], ua[:-1])).as_py()


def read_sorted(path: Path, dataset: str) -> pa.Table:
    """The feed sorted by (updated_at, key): the generator writes it so; re-sort only if it did not."""
    table = pq.read_table(path)
    if not is_sorted(table.column("updated_at")):
        keys = [("updated_at", "ascending")] + [(k, "ascending") for k in DATASETS[dataset].key]
        table = table.sort_by(keys)
    return table


def sorted_batches(path: Path, dataset: str) -> Iterator[pa.Table]:
    """The feed in feed order, a slice at a time (a whole feed can be gigabytes)."""
    parquet = pq.ParquetFile(path)
    if not is_sorted(parquet.read(columns=["updated_at"]).column(0)):
        yield from batches(read_sorted(path, dataset))
        return
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        yield pa.Table.from_batches([batch])


@dataclass
class Feed:
    name: str
    updated_at: np.ndarray  # int64 epoch seconds, ascending
    rows: RowBytes  # JSON object per row
    row_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.updated_at)

    def start_after(self, since: int | None) -> int:
        """First position with updated_at > since (updated_since is exclusive)."""
        return 0 if since is None else int(np.searchsorted(self.updated_at, since, side="right"))

    def end_at(self, clock: int) -> int:
        return int(np.searchsorted(self.updated_at, clock, side="right"))

    def visible(self, start: int, clock: int, limit: int) -> np.ndarray:
        """Positions of up to `limit` versions visible at `clock`, from `start` on."""
        end = self.end_at(clock)
        return np.arange(start, max(start, min(start + limit, end)), dtype=np.int64)

    def visible_before(self, begin: int, stop: int, clock: int, count: int) -> np.ndarray:
        """The last `count` positions in [begin, stop): records a previous page already held."""
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        return np.arange(max(begin, stop - count), stop, dtype=np.int64)

    def visible_all(self, clock: int) -> np.ndarray:
        """Positions of every version visible at `clock` (a snapshot's content)."""
        return np.arange(self.end_at(clock), dtype=np.int64)


class FeedStore:
    """Loads feeds/<dataset>.parquet lazily, once, and keeps the encoded rows in memory."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._feeds: dict[str, Feed] = {}
        self._locks = {name: threading.Lock() for name in DATASETS}

    def path(self, dataset: str) -> Path:
        return self.data_dir / "feeds" / f"{dataset}.parquet"

    def get(self, dataset: str) -> Feed:
        feed = self._feeds.get(dataset)
        if feed is not None:
            return feed
        with self._locks[dataset]:
            if dataset not in self._feeds:
                self._feeds[dataset] = self._load(dataset)
            return self._feeds[dataset]

    def _load(self, dataset: str) -> Feed:
        path = self.path(dataset)
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: regenerate the data folder")
        columns = ["updated_at", *(["_row_id"] if "_row_id" in pq.read_schema(path).names else [])]
        table = pq.read_table(path, columns=columns)
        if not is_sorted(table.column("updated_at")):
            table = read_sorted(path, dataset).select(columns)
        updated_at = epoch_seconds(table.column("updated_at").combine_chunks())
        if "_row_id" in table.column_names:
            row_ids = table.column("_row_id").to_numpy().astype(np.int64)
        else:
            row_ids = np.arange(table.num_rows, dtype=np.int64)
        del table
        rows = json_rows(sorted_batches(path, dataset), dataset)
        return Feed(name=dataset, updated_at=updated_at, rows=rows, row_ids=row_ids)
