"""What a connector hands to validation and publishing: one batch of one dataset.

A batch is everything one pull received for one dataset in one window (all pages of an
incremental pull, all files of a snapshot, or one dropped file), or one part of it when
it is too big to hold at once (cut by key, so each part is self-contained). Values are kept as
received (strings, nulls); typing happens in validation, so a malformed value is
quarantined with its raw text instead of failing the load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

NOT_UTF8, NOT_UTF8_SEPARATOR = "_not_utf8", "\x1f"


@dataclass
class Batch:
    dataset: str
    batch_id: str  # deterministic for the window: re-running it yields the same id
    mode: str  # "incremental" | "snapshot" | "file"
    # One row per record received (duplicates included): the contract's fields as
    # received (pa.string, null when absent), plus lineage columns `_source` (page URL or
    # file name), `_raw` (the record's JSON text as received) and `_not_utf8` (the fields
    # whose bytes were not UTF-8, joined by NOT_UTF8_SEPARATOR; they hold U+FFFD per bad
    # byte, and a U+FFFD the platform sent is valid text).
    table: pa.Table
    as_of: datetime  # the platform's as-of time for the batch (future-date checks)
    fetched_at: datetime
    watermark: str | None  # cursor value to store once this batch is committed
    # The bank whose drop file this is (contract section 5: one drop folder per bank): the
    # watermark and the usual row counts are kept per bank. None for platform pulls.
    scope: str | None = None
    landing_manifest: str | None = None  # path of the landed batch's manifest
    unknown_fields: list[str] = field(default_factory=list)  # schema drift, reported
    missing_columns: list[str] = field(default_factory=list)  # absent from every record
    # A big landed batch is published in parts (connectors.split): the rows of the whole
    # landed batch, which the row-count check judges. None: this batch is the whole.
    batch_rows: int | None = None


@dataclass
class BatchResult:
    dataset: str
    batch_id: str
    status: str  # "published" | "held" | "already_published"
    received: int
    published: int
    quarantined: int
    duplicates: int
    seconds: float
    message: str = ""
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    observations: dict[str, int] = field(default_factory=dict)  # "rule:field" -> published rows


PART_SUFFIX = re.compile(r"\.p(\d+)of(\d+)$")


def part_id(landed_id: str, number: int, count: int) -> str:
    """The batch id of part `number` of `count`; a batch of one part keeps the landed id."""
    return landed_id if count == 1 else f"{landed_id}.p{number:03d}of{count:03d}"


def landed_batch_id(batch_id: str) -> str:
    """The landed batch a part belongs to."""
    return PART_SUFFIX.sub("", batch_id)


def part_count_of(batch_id: str) -> int:
    """How many parts the landed batch of `batch_id` was cut into."""
    match = PART_SUFFIX.search(batch_id)
    return int(match.group(2)) if match else 1
