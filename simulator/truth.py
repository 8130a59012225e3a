"""What the generated folder is known to contain: for tests, benchmarks and backtests only.

The pipeline never reads DIR/truth. Tests compare what the lakehouse ended up with against
these counts and tables (e.g. every planted bad record quarantined with its reason).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from creditlake.core.contract import DATASETS
from creditlake.simulator.generator import API_DATASETS, BANK_DATASETS, dataset_path


def load_meta(data_dir: Path) -> dict:
    return json.loads((Path(data_dir) / "meta.json").read_text(encoding="utf-8"))


def load_feed(data_dir: Path, dataset: str, columns: list[str] | None = None) -> pa.Table:
    """A generated feed (API dataset) or bank file table, every version, hidden columns included."""
    return pq.read_table(dataset_path(Path(data_dir), dataset), columns=columns)


def load_enterprises(data_dir: Path) -> pa.Table:
    """One row per simulated enterprise: distressed, onset/arrears/default periods, chains..."""
    return pq.read_table(Path(data_dir) / "truth" / "enterprises.parquet")


def load_identity(data_dir: Path) -> pa.Table:
    """(source, source_id, uscc, uscc_missing) for legacy numbers, utility accounts and
    buyer-name-only invoices."""
    return pq.read_table(Path(data_dir) / "truth" / "identity.parquet")


def load_bad_records(data_dir: Path, dataset: str | None = None) -> pa.Table:
    """(dataset, _row_id, key, reason, detail) of every planted bad row."""
    table = pq.read_table(Path(data_dir) / "truth" / "bad_records.parquet")
    return table if dataset is None else table.filter(pc.equal(table.column("dataset"), dataset))


def _rfc3339(clock: datetime) -> str:
    if clock.tzinfo is None:
        raise ValueError("clock must be timezone-aware (UTC)")
    return clock.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_counts(data_dir: Path, clock: datetime) -> dict[str, dict[str, int]]:
    """Per dataset: distinct good record versions (key, updated_at) visible at `clock`, and the
    bad rows visible then. Bank datasets count by `_file_date` <= the clock's date and key
    versions by (key, _file_date)."""
    data_dir = Path(data_dir)
    stamp = _rfc3339(clock)
    bad_all = load_bad_records(data_dir)
    counts = {}
    for dataset in API_DATASETS + BANK_DATASETS:
        bank = dataset in BANK_DATASETS
        version = "_file_date" if bank else "updated_at"
        key = list(DATASETS[dataset].key)
        table = load_feed(data_dir, dataset, columns=key + [version, "_row_id"])
        limit = stamp[:10] if bank else stamp  # both sortable as strings
        table = table.filter(pc.less_equal(table.column(version), limit))
        bad_ids = bad_all.filter(pc.equal(bad_all.column("dataset"), dataset)).column("_row_id")
        is_bad = pc.is_in(table.column("_row_id"), value_set=bad_ids.combine_chunks())
        good = table.filter(pc.invert(is_bad))
        distinct = good.group_by(key + [version], use_threads=False).aggregate([]).num_rows
        counts[dataset] = {"good": distinct, "bad": int(pc.sum(is_bad).as_py() or 0)}
    return counts
