"""A landed batch, read once and cut into parts of bounded size for validation and publishing.

A big pull (a 10-million-row snapshot, a year of meter readings) does not fit in memory as
one table. The landed files are streamed chunk by chunk and each record goes to the part
its key hashes to (md5 of the trimmed key text), so every copy and every version of a
record lands in the same part: the in-batch checks (duplicates across pages, conflicting
versions of one key) see all of them, exactly as in one big batch. Parts are spilled to
Arrow IPC files in a hidden folder beside the landed batches (they hold personal data,
like the landing zone, and a crashed run's leftovers are removed with its staging folders).

The number of parts follows from the manifest alone (rows the platform declared, or the
bytes landed), so a replay of the same landed batch cuts exactly the same parts.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import uuid
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.connectors.landing import STAGING_PREFIX, dataset_dir, parse_ts, rfc3339
from creditlake.connectors.records import Chunk, FieldsSeen, finished_tables
from creditlake.core.batch import NOT_UTF8
from creditlake.core.config import env
from creditlake.core.contract import TS, Dataset
from creditlake.core.crashpoints import crashpoint
from creditlake.core.values import UTC_TS, parse, text

MAX_PART_ROWS = "250000"  # default of CREDITLAKE_MAX_PART_ROWS: ~150 MB per part in memory
BYTES_PER_ROW_GUESS = 40  # compressed bytes per record, when a file does not declare its rows
COALESCE_ROWS = 100_000  # small chunks (JSON pages) are cut into parts together
_IPC = pa.ipc.IpcWriteOptions(compression="lz4")


def part_count(files: list[dict]) -> int:
    """How many parts a landed batch is cut into: from its manifest only (deterministic)."""
    rows = sum(
        int(f.get("rows") or 0) or int(f.get("bytes") or 0) // BYTES_PER_ROW_GUESS for f in files
    )
    return max(1, math.ceil(rows / int(env("CREDITLAKE_MAX_PART_ROWS", MAX_PART_ROWS))))


@dataclass
class Split:
    """A landed batch read once: its parts on disk and what the whole batch holds."""

    workdir: Path
    paths: list[Path]
    rows: int = 0
    unknown_fields: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    newest_cursor: str | None = None
    content_digest: str = ""

    def __post_init__(self) -> None:
        # removed when closed, or at the latest when dropped: spilled parts hold personal data
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.workdir), True)

    def part(self, index: int) -> pa.Table:
        with pa.memory_map(str(self.paths[index])) as source:
            return pa.ipc.open_file(source).read_all().combine_chunks()

    def close(self) -> None:
        self._cleanup()

    def __enter__(self) -> Split:
        return self

    def __exit__(self, *_) -> None:
        self.close()


def split_landed(
    dataset: Dataset,
    platform: str,
    chunks: Iterable[Chunk],
    count: int,
    cursor_not_after: str | None = None,
    extra: dict[str, str] | None = None,
) -> Split:
    """Stream `chunks` into `count` parts; also the batch's row count, fields seen, newest
    well-formed cursor (not after `cursor_not_after`) and content digest."""
    workdir = dataset_dir(platform, dataset.name) / f"{STAGING_PREFIX}parts-{uuid.uuid4().hex}"
    workdir.mkdir(parents=True)
    split = Split(workdir, [workdir / f"part-{i:05d}.arrow" for i in range(count)])
    try:
        _fill(split, dataset, chunks, count, cursor_not_after, extra)
    except BaseException:
        split.close()
        raise
    return split


def _fill(
    split: Split,
    dataset: Dataset,
    chunks: Iterable[Chunk],
    count: int,
    cursor_not_after: str | None,
    extra: dict[str, str] | None,
) -> None:
    import duckdb

    fields = FieldsSeen(dataset)
    digests: list[np.ndarray] = []
    cursors: list[str] = []
    writers: list[pa.ipc.RecordBatchFileWriter | None] = [None] * count
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        for table in _coalesced(finished_tables(dataset, chunks, fields, extra)):
            split.rows += table.num_rows
            bucket, digest = _bucket_and_digest(con, dataset, table, count)
            digests.append(digest)
            if cursor_not_after and dataset.cursor in table.column_names:
                newest = newest_cursor(table[dataset.cursor], cursor_not_after)
                if newest:
                    cursors.append(newest)
            order = np.argsort(bucket, kind="stable")  # keeps the received order within a part
            ordered = table.take(pa.array(order))
            bounds = np.searchsorted(bucket[order], np.arange(count + 1))
            for index in range(count):
                start, stop = int(bounds[index]), int(bounds[index + 1])
                if stop > start:
                    writers[index] = writers[index] or pa.ipc.new_file(
                        str(split.paths[index]), table.schema, options=_IPC
                    )
                    writers[index].write_table(ordered.slice(start, stop - start))
        schema = _schema(dataset, extra)
        for index, writer in enumerate(writers):
            if writer is None:  # an empty part still exists: a replay must find every part
                writer = pa.ipc.new_file(str(split.paths[index]), schema, options=_IPC)
            writer.close()
    finally:
        con.close()
    crashpoint("connectors.split_written")
    split.unknown_fields, split.missing_columns = fields.unknown, fields.missing
    split.newest_cursor = max(cursors) if cursors else None
    split.content_digest = _digest(digests)


def _schema(dataset: Dataset, extra: dict[str, str] | None) -> pa.Schema:
    names = list(dataset.field_names) + ["_source", "_raw", NOT_UTF8] + list(extra or {})
    return pa.schema([(name, pa.string()) for name in names])


def _coalesced(tables: Iterable[pa.Table]) -> Iterator[pa.Table]:
    pending: list[pa.Table] = []
    rows = 0
    for table in tables:
        pending.append(table)
        rows += table.num_rows
        if rows >= COALESCE_ROWS:
            yield pa.concat_tables(pending, promote_options="permissive")
            pending, rows = [], 0
    if pending:
        yield pa.concat_tables(pending, promote_options="permissive")


def _bucket_and_digest(
    con, dataset: Dataset, table: pa.Table, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: its part (md5 of the trimmed key text) and a 64-bit digest of its `_raw`."""
    keys = [pc.fill_null(pc.utf8_trim_whitespace(table[name]), "") for name in dataset.key]
    key_text = (
        pc.binary_join_element_wise(*keys, "\x1f") if keys else pa.array([""] * table.num_rows)
    )
    frame = pa.table({"k": key_text, "r": table["_raw"]})
    con.register("frame", frame)
    try:
        result = con.sql(
            f"SELECT CAST(CAST('0x' || md5(k)[1:8] AS UBIGINT) % {int(count)} AS INTEGER) AS b, "
            "CAST('0x' || md5(r)[1:16] AS UBIGINT) AS d FROM frame"
        ).to_arrow_table()
    finally:
        con.unregister("frame")
    return result["b"].to_numpy(), result["d"].to_numpy()


def _digest(parts: list[np.ndarray]) -> str:
    """sha256 of the batch's distinct records: the same window and data give the same
    digest, whatever duplicates or page boundaries the platform produced."""
    values = np.unique(np.concatenate(parts)) if parts else np.array([], dtype=np.uint64)
    return hashlib.sha256(values.astype("<u8").tobytes()).hexdigest()


def newest_cursor(values: pa.Array | pa.ChunkedArray, not_after: str) -> str | None:
    """The latest cursor value (any RFC 3339 spelling) not after `not_after`, as
    YYYY-MM-DDTHH:MM:SSZ truncated to the second (so watermarks compare as text, and a pull
    from it re-reads rather than skips the rest of that second). Bad values, e.g. a malformed
    or future updated_at on a bad record, never move the watermark."""
    stamps, ok = parse(TS, text(values))
    limit = pa.scalar(parse_ts(not_after), UTC_TS)
    eligible = stamps.filter(pc.and_(pc.fill_null(ok, False), pc.less_equal(stamps, limit)))
    newest = pc.max(eligible).as_py() if len(eligible) else None
    return rfc3339(newest) if newest else None
