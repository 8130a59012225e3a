"""Write-audit-publish of one connector batch into Iceberg.

    validate (GX suite of the dataset)  ->  hold the batch, or
    quarantine bad rows  ->  append good new versions to bronze with the watermark  ->  ingest log

Nothing reaches bronze before the batch passed its batch-level checks. Every commit is
tagged with the batch id in its snapshot summary and skipped when already present, and
the three writes happen in that order, so a crash anywhere followed by a replay of the
same batch ends in exactly the state one clean run gives.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.expressions import And, GreaterThanOrEqual, LessThanOrEqual

from creditlake.core import contract, pii, schemas
from creditlake.core.batch import Batch, BatchResult, landed_batch_id, part_count_of
from creditlake.core.crashpoints import crashpoint
from creditlake.lakehouse.catalog import (
    INGEST_LOG,
    PROP_BATCH,
    PROP_DATASET,
    bronze_name,
    commit_with_retry,
    quarantine_name,
    snapshot_with,
    table,
)
from creditlake.lakehouse.read import ingest_log, watermark, watermark_property

log = logging.getLogger(__name__)

# Batch-level hold rules (contract section 3: "row count far from the usual ... most rows bad").
ROW_COUNT_BAND = (0.2, 5.0)  # x the median received of recent published batches
ROW_COUNT_HISTORY, ROW_COUNT_MIN_HISTORY = 5, 3
ROW_COUNT_SLACK = 50  # rows: small feeds swing by tens of rows without meaning anything
PEAK_HISTORY = 31  # batches (~a month of daily runs)
MAX_BAD_SHARE = 0.5
MIN_ROWS_FOR_BAD_SHARE = 20  # one bad row in a two-row daily file is quarantine, not a verdict
FILE_DATE_IN_NAME = re.compile(r"_(\d{4})(\d{2})(\d{2})\.")


def publish(batch: Batch, *, release: bool = False) -> BatchResult:
    """Validate and publish `batch`; idempotent per batch id.

    `release=True` publishes a batch despite failed batch-level checks (an operator's
    decision after looking at a held batch); row-level quarantine still applies.
    """
    started_at = _now()
    clock = time.perf_counter()
    ds = contract.dataset(batch.dataset)
    entries = ingest_log()  # read once: it answers "done already?" and "how many usually?"
    done = _logged(entries, batch, "published")
    if done is not None:
        return BatchResult(
            batch.dataset,
            batch.batch_id,
            "already_published",
            done["received"],
            done["published"],
            done["quarantined"],
            done["duplicates"],
            time.perf_counter() - clock,
            "batch already published: nothing changed",
            json.loads(done["quarantine_reasons"] or "{}"),
            json.loads(done.get("observations") or "{}"),
        )

    from creditlake.expectations.validation import validate

    received = batch.table.num_rows
    table = _with_file_date(batch)
    references, notes = _references(ds, batch)
    bounds = _row_count_bounds(entries, batch)
    checked = validate(
        batch.dataset,
        table,
        batch.as_of,
        references=references,
        reference_notes=notes,
        row_count_bounds=bounds,
        missing_columns=batch.missing_columns,
        batch_rows=batch.batch_rows,
    )
    prepared = checked.prepared
    unknown = sorted(set(batch.unknown_fields) | set(prepared.unknown_fields))
    if unknown:
        log.warning(
            "schema drift in %s batch %s: unknown fields %s (ignored)",
            batch.dataset,
            batch.batch_id,
            ", ".join(unknown),
        )

    hashes = prepared.record_hash
    bad = checked.bad_mask()
    first = _first_occurrence(hashes)
    in_bronze = _isin(hashes, _bronze_hashes(batch.dataset, batch.batch_id, prepared.typed))
    in_quarantine = _isin(hashes, _quarantine_hashes(ds, batch.batch_id))
    duplicate = ~first | (~bad & in_bronze) | (bad & in_quarantine)
    to_quarantine = bad & ~duplicate
    to_publish = ~bad & ~duplicate

    failures = list(checked.batch_failures)
    distinct = int((first).sum())
    bad_distinct = int((bad & first).sum())
    if distinct >= MIN_ROWS_FOR_BAD_SHARE and bad_distinct / distinct > MAX_BAD_SHARE:
        failures.append(
            f"{bad_distinct} of {distinct} distinct records are bad "
            f"({bad_distinct / distinct:.0%} > {MAX_BAD_SHARE:.0%})"
        )
    reasons = _reason_counts(checked, to_quarantine)
    observations = checked.observations(to_publish)
    if failures and not release:
        message = "held back: " + "; ".join(failures)
        log.error("%s batch %s %s", batch.dataset, batch.batch_id, message)
        earlier = _logged(entries, batch, "held")
        if earlier is None or earlier["message"] != message:  # one log row per distinct verdict
            _write_log(
                batch, ds, "held", received, 0, 0, 0, unknown, {}, {}, None, message, started_at
            )
        return BatchResult(
            batch.dataset,
            batch.batch_id,
            "held",
            received,
            0,
            0,
            0,
            time.perf_counter() - clock,
            message,
            {},
        )

    ingested_at = _now()
    _write_quarantine(batch, ds, checked, to_quarantine, ingested_at)
    mark = _write_bronze(batch, prepared, to_publish, ingested_at)
    published, quarantined = int(to_publish.sum()), int(to_quarantine.sum())
    duplicates = received - published - quarantined
    absent = sorted(set(prepared.absent_columns) | set(batch.missing_columns))
    message = "; ".join(
        ([f"released despite: {'; '.join(failures)}"] if failures else [])
        + ([f"unknown fields reported: {', '.join(unknown)}"] if unknown else [])
        + ([f"optional columns absent: {', '.join(absent)}"] if absent else [])
        + notes
    )
    _write_log(
        batch,
        ds,
        "published",
        received,
        published,
        quarantined,
        duplicates,
        unknown,
        reasons,
        observations,
        mark,
        message,
        started_at,
    )
    return BatchResult(
        batch.dataset,
        batch.batch_id,
        "published",
        received,
        published,
        quarantined,
        duplicates,
        time.perf_counter() - clock,
        message,
        reasons,
        observations,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _logged(entries: pa.Table, batch: Batch, status: str) -> dict | None:
    if not entries.num_rows:
        return None
    mask = pc.and_(
        pc.equal(entries["batch_id"], batch.batch_id),
        pc.and_(pc.equal(entries["dataset"], batch.dataset), pc.equal(entries["status"], status)),
    )
    rows = entries.filter(mask).to_pylist()
    return rows[-1] if rows else None


def _with_file_date(batch: Batch) -> pa.Table:
    """Bank rows carry their drop file's business day; take it from the file name if absent."""
    table = batch.table
    if not schemas.is_file_dataset(batch.dataset) or "_file_date" in table.column_names:
        return table
    sources = (
        table["_source"].to_pylist() if "_source" in table.column_names else [None] * table.num_rows
    )
    dates = []
    for source in sources:
        match = FILE_DATE_IN_NAME.search(source or "")
        dates.append("-".join(match.groups()) if match else None)
    return table.append_column("_file_date", pa.array(dates, pa.string()))


def _references(ds: contract.Dataset, batch: Batch) -> tuple[dict[str, pa.Array], list[str]]:
    """Known values of referenced keys: every version the platform sent of the referenced
    dataset, published or quarantined. A reading for an account whose record was quarantined
    refers to an account that exists: it is published, and the marts count it as an orphan;
    only a reference to a key the platform never sent is unresolvable (contract section 3)."""
    known, notes = {}, []
    for f in ds.fields:
        if not f.references:
            continue
        target, column = f.references
        tbl = table(bronze_name(target))
        quarantined = _quarantined_keys(contract.dataset(target), column)
        if (tbl is None or tbl.current_snapshot() is None) and not len(quarantined):
            notes.append(
                f"reference check of {f.name} skipped: bronze.{target} is empty "
                f"(publish {target} before {ds.name})"
            )
            continue
        values = [quarantined]
        if tbl is not None and tbl.current_snapshot() is not None:
            values.append(tbl.scan(selected_fields=(column,)).to_arrow()[column].combine_chunks())
        known[f.name] = pc.unique(pa.concat_arrays([v.cast(pa.string()) for v in values]))
    return known, notes


def _quarantined_keys(target: contract.Dataset, column: str) -> pa.Array:
    """`column` of the quarantined records of `target` that carry it (their record_key)."""
    tbl = table(quarantine_name(target.platform))
    if tbl is None or tbl.current_snapshot() is None:
        return pa.array([], pa.string())
    found = tbl.scan(
        row_filter=f"dataset == '{target.name}'", selected_fields=("record_key",)
    ).to_arrow()
    keys = {
        json.loads(k).get(column)
        for k in pc.unique(found["record_key"].combine_chunks()).to_pylist()
        if k
    }
    return pa.array(sorted(k for k in keys if isinstance(k, str) and k.strip()), pa.string())


def _received_per_landed_batch(entries: pa.Table, batch: Batch, exclude: str) -> list[int]:
    """Rows received by each fully published landed batch of the batch's dataset, mode and
    scope (each bank has its own size), oldest first (the parts of one landed batch add up;
    one still being published is left out)."""
    mask = pc.and_(
        pc.equal(entries["dataset"], batch.dataset),
        pc.and_(pc.equal(entries["mode"], batch.mode), pc.equal(entries["status"], "published")),
    )
    scope = (
        entries["scope"]
        if "scope" in entries.column_names
        else pa.nulls(entries.num_rows, pa.string())
    )
    mask = pc.and_(
        mask,
        pc.is_null(scope)
        if batch.scope is None
        else pc.fill_null(pc.equal(scope, batch.scope), False),
    )
    totals: dict[str, list] = {}  # landed id -> [received, parts seen, parts expected, finished]
    for row in entries.filter(mask).select(["batch_id", "received", "finished_at"]).to_pylist():
        landed = landed_batch_id(row["batch_id"])
        if landed == exclude:
            continue
        total = totals.setdefault(
            landed, [0, 0, part_count_of(row["batch_id"]), row["finished_at"]]
        )
        total[0] += row["received"]
        total[1] += 1
        total[3] = max(total[3], row["finished_at"])
    complete = [t for t in totals.values() if t[1] >= t[2]]
    return [t[0] for t in sorted(complete, key=lambda t: t[3])]


def _row_count_bounds(entries: pa.Table, batch: Batch) -> tuple[int, int] | None:
    if not entries.num_rows:
        return None
    history = _received_per_landed_batch(entries, batch, landed_batch_id(batch.batch_id))
    recent = history[-ROW_COUNT_HISTORY:]
    if len(recent) < ROW_COUNT_MIN_HISTORY:
        return None
    median = statistics.median(recent)
    low, high = ROW_COUNT_BAND
    if batch.mode == "snapshot":
        return (max(0, int(low * median) - ROW_COUNT_SLACK), int(high * median) + ROW_COUNT_SLACK)
    # Daily pulls and daily bank files peak once a month (filings, readings, month-end
    # positions) and a quiet day is legitimately small: only a batch far above the largest
    # of the last month is suspicious (a snapshot far below the usual is a cut-off export).
    peak = max(history[-PEAK_HISTORY:])
    return (0, int(high * max(median, peak)) + ROW_COUNT_SLACK)


def _first_occurrence(hashes: pa.Array) -> np.ndarray:
    n = len(hashes)
    first = np.zeros(n, dtype=bool)
    if n:
        idx = (
            pa.table({"h": hashes, "i": pa.array(np.arange(n))})
            .group_by("h")
            .aggregate([("i", "min")])
        )
        first[idx["i_min"].to_numpy()] = True
    return first


def _isin(values: pa.Array, known: pa.Array) -> np.ndarray:
    if not len(known) or not len(values):
        return np.zeros(len(values), dtype=bool)
    return pc.fill_null(pc.is_in(values, value_set=known), False).to_numpy(zero_copy_only=False)


def _bronze_hashes(dataset: str, batch_id: str, typed: pa.Table) -> pa.Array:
    """Record hashes already in bronze from other batches, within the batch's version range."""
    tbl = table(bronze_name(dataset))
    if tbl is None or tbl.current_snapshot() is None or not typed.num_rows:
        return pa.array([], pa.string())
    before = _before_sibling_parts(tbl, batch_id)
    if before == NOTHING_BEFORE:
        return pa.array([], pa.string())
    version = schemas.version_column(dataset)
    low, high = pc.min_max(typed[version]).values()
    scan_filter = {"snapshot_id": before} if before is not None else {}
    if low.is_valid and high.is_valid:  # file stats prune everything outside the window
        scan_filter["row_filter"] = And(
            GreaterThanOrEqual(version, _literal(low)), LessThanOrEqual(version, _literal(high))
        )
    found = tbl.scan(selected_fields=("_record_hash", "_batch_id"), **scan_filter).to_arrow()
    found = found.filter(pc.not_equal(found["_batch_id"], batch_id))
    return pc.unique(found["_record_hash"].combine_chunks())


NOTHING_BEFORE = -1


def _before_sibling_parts(tbl, batch_id: str) -> int | None:
    """For a part: the bronze snapshot from before its landed batch's first part. Parts of
    one landed batch never share a record (they are cut by key), so a part is compared with
    what bronze held before them; without this, each part would re-read its siblings and a
    40-part snapshot would cost quadratic time. None: compare with the current snapshot."""
    landed = landed_batch_id(batch_id)
    if landed == batch_id:
        return None
    snapshots = tbl.snapshots()
    siblings = [
        snap
        for snap in snapshots
        if (snap.summary.additional_properties if snap.summary else {})
        .get(PROP_BATCH, "")
        .startswith(f"{landed}.p")
    ]
    if not siblings:
        return None
    first = min(siblings, key=lambda snap: snap.sequence_number or 0)
    if first.parent_snapshot_id is None:
        return NOTHING_BEFORE
    expired = first.parent_snapshot_id not in {snap.snapshot_id for snap in snapshots}
    return None if expired else first.parent_snapshot_id


def _literal(scalar: pa.Scalar):
    value = scalar.as_py()
    return value.isoformat() if hasattr(value, "isoformat") else value


def _quarantine_hashes(ds: contract.Dataset, batch_id: str) -> pa.Array:
    tbl = table(quarantine_name(ds.platform))
    if tbl is None or tbl.current_snapshot() is None:
        return pa.array([], pa.string())
    found = tbl.scan(selected_fields=("dataset", "batch_id", "record_hash")).to_arrow()
    found = found.filter(
        pc.and_(pc.equal(found["dataset"], ds.name), pc.not_equal(found["batch_id"], batch_id))
    )
    return pc.unique(found["record_hash"].combine_chunks())


def _reason_counts(checked, rows: np.ndarray) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in np.flatnonzero(rows):
        for reason in {r for r, _ in checked.reasons[int(row)]}:
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def _props(batch: Batch, **extra: str) -> dict[str, str]:
    return {PROP_BATCH: batch.batch_id, PROP_DATASET: batch.dataset, **extra}


def _write_quarantine(
    batch: Batch, ds: contract.Dataset, checked, rows: np.ndarray, at: datetime
) -> None:
    idx = np.flatnonzero(rows)
    if not len(idx):
        return
    prepared = checked.prepared
    frame = prepared.frame
    fields = [f for f in ds.field_names if f in frame.columns]
    raws = batch.table["_raw"] if "_raw" in batch.table.column_names else None
    sources = batch.table["_source"] if "_source" in batch.table.column_names else None
    key = pii.pii_key() if pii._has_pii(ds.name) else None
    records = []
    picked = frame[fields].iloc[idx].to_dict("records")  # one take, not a lookup per cell
    for row, values in zip(idx.tolist(), picked):
        values = {f: _plain(v) for f, v in values.items()}
        raw = raws[row].as_py() if raws is not None else None
        records.append(
            {
                "dataset": ds.name,
                "batch_id": batch.batch_id,
                "row_number": row,
                "record_key": json.dumps({k: values.get(k) for k in ds.key}, ensure_ascii=False),
                "reason_codes": checked.reason_codes(row),
                "reason_detail": checked.reason_detail(row),
                "raw": pii.pseudonymise_raw(ds.name, raw, values, key),
                "source": sources[row].as_py() if sources is not None else None,
                "record_hash": prepared.record_hash[row].as_py(),
                "quarantined_at": at,
            }
        )
    data = pa.Table.from_pylist(records, schema=schemas.QUARANTINE)
    name = quarantine_name(ds.platform)

    def write(tbl) -> None:
        if snapshot_with(tbl, **_props(batch)):
            return
        crashpoint("lakehouse.quarantine.before_commit")
        tbl.append(data, snapshot_properties=_props(batch))
        crashpoint("lakehouse.quarantine.after_commit")

    commit_with_retry(name, schemas.QUARANTINE, write)


def _plain(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _write_bronze(batch: Batch, prepared, rows: np.ndarray, at: datetime) -> str | None:
    """Append the new versions with the watermark in the same commit; returns the watermark."""
    schema = schemas.bronze_schema(batch.dataset)
    keep = pa.array(rows)
    typed = prepared.typed.filter(keep)
    n = typed.num_rows
    sources = (
        batch.table["_source"].filter(keep)
        if "_source" in batch.table.column_names
        else pa.nulls(n, pa.string())
    )
    data = typed.append_column("_batch_id", pa.array([batch.batch_id] * n, pa.string()))
    data = data.append_column("_ingested_at", pa.array([at] * n, schemas.UTC_TS))
    data = data.append_column("_source", sources.cast(pa.string()))
    data = data.append_column("_record_hash", prepared.record_hash.filter(keep))
    data = data.select(schema.names).cast(schema)
    name = bronze_name(batch.dataset)
    committed: list[str | None] = []

    def write(tbl) -> None:
        previous = watermark(batch.dataset, batch.scope)
        if snapshot_with(tbl, **_props(batch)):
            committed.append(previous)
            return
        mark = max((m for m in (previous, batch.watermark) if m), default=None)
        props = _props(batch, **({watermark_property(batch.scope): mark} if mark else {}))
        crashpoint("lakehouse.bronze.before_commit")
        tx = tbl.transaction()
        tx.append(data, snapshot_properties=props)
        crashpoint("lakehouse.bronze.mid_write")  # data files written, nothing committed
        tx.commit_transaction()
        crashpoint("lakehouse.bronze.after_commit")
        committed.append(mark)

    commit_with_retry(name, schema, write)
    return committed[-1]


def _write_log(
    batch: Batch,
    ds: contract.Dataset,
    status: str,
    received: int,
    published: int,
    quarantined: int,
    duplicates: int,
    unknown: list[str],
    reasons: dict[str, int],
    observations: dict[str, int],
    mark: str | None,
    message: str,
    started_at: datetime,
) -> None:
    row = {
        "dataset": batch.dataset,
        "platform": ds.platform,
        "batch_id": batch.batch_id,
        "mode": batch.mode,
        "status": status,
        "received": received,
        "published": published,
        "quarantined": quarantined,
        "duplicates": duplicates,
        "unknown_fields": ",".join(unknown) or None,
        "quarantine_reasons": json.dumps(reasons, sort_keys=True),
        "watermark": mark,
        "as_of": batch.as_of,
        "message": message or None,
        "started_at": started_at,
        "finished_at": _now(),
        "landing_manifest": batch.landing_manifest,
        "observations": json.dumps(observations, sort_keys=True),
        "scope": batch.scope,
    }
    data = pa.Table.from_pylist([row], schema=schemas.INGEST_LOG)
    props = _props(batch, **{"creditlake.status": status})

    def write(tbl) -> None:
        if status == "published" and snapshot_with(tbl, **props):
            return
        crashpoint("lakehouse.ingest_log.before_commit")
        tbl.append(data, snapshot_properties=props)
        crashpoint("lakehouse.ingest_log.after_commit")

    commit_with_retry(INGEST_LOG, schemas.INGEST_LOG, write)
