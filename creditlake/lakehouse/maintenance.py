"""Table maintenance for the maintenance DAG: expire old snapshots, compact small files.

pyiceberg 0.12 offers snapshot expiry (`table.maintenance.expire_snapshots()`) but no
rewrite-data-files action, so compaction reads the current snapshot and overwrites the
table with it in one commit (copy-on-write): same rows, a few large files. Old data
files stay on disk (pyiceberg does not delete files), so DuckDB views pinned to an older
snapshot keep working until the files are cleaned up by an orphan-file sweep.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pyiceberg.expressions import AlwaysTrue

from creditlake.core import contract
from creditlake.lakehouse.catalog import NAMESPACES, bronze_name, catalog, commit_with_retry, table
from creditlake.lakehouse.read import watermarks

SMALL_FILE_BYTES = 64 * 1024 * 1024


def all_tables() -> list[str]:
    cat = catalog()
    return sorted(".".join(ident) for ns in NAMESPACES for ident in cat.list_tables(ns))


def expire_snapshots(older_than_days: float = 7, retain_last: int = 5) -> dict[str, int]:
    """Expire snapshots older than the cutoff beyond the newest `retain_last`, per table.

    The current snapshot is never expired, and it carries the watermark (publish and
    compaction both write it), so cursors survive expiry. Returns table -> expired count.
    """
    if retain_last < 1:
        raise ValueError("retain_last must be at least 1: the current snapshot holds the watermark")
    cutoff_ms = (datetime.now(UTC) - timedelta(days=older_than_days)).timestamp() * 1000
    expired: dict[str, int] = {}
    for name in all_tables():
        tbl = table(name)
        snaps = sorted(tbl.snapshots(), key=lambda s: s.timestamp_ms)
        keep = {s.snapshot_id for s in snaps[-retain_last:]}
        if tbl.current_snapshot() is not None:
            keep.add(tbl.current_snapshot().snapshot_id)
        # Tagged snapshots (e.g. `extract-YYYY-MM`, read by a regulator extract) stay so that
        # re-running that extract reads the same data; Iceberg refuses to expire them anyway.
        keep |= {ref.snapshot_id for ref in tbl.metadata.refs.values()}
        old = [
            s.snapshot_id for s in snaps if s.snapshot_id not in keep and s.timestamp_ms < cutoff_ms
        ]
        if old:
            tbl.maintenance.expire_snapshots().by_ids(old).commit()
        expired[name] = len(old)
    return expired


def _table_name(name: str) -> str:
    return name if "." in name else bronze_name(contract.dataset(name).name)


def compact(dataset: str, min_files: int = 8) -> dict[str, int]:
    """Rewrite a table's data files into few large ones when it has at least `min_files`
    small files. `dataset` is a contract dataset (bronze) or a full name like ops.ingest_log."""
    name = _table_name(dataset)
    tbl = table(name)
    if tbl is None or tbl.current_snapshot() is None:
        return {"files_before": 0, "files_after": 0, "rows": 0}
    files = list(tbl.scan().plan_files())
    small = [t for t in files if t.file.file_size_in_bytes < SMALL_FILE_BYTES]
    if len(small) < min_files:
        return {
            "files_before": len(files),
            "files_after": len(files),
            "rows": sum(t.file.record_count for t in files),
        }
    result: dict[str, int] = {}

    def write(current) -> None:
        data = current.scan().to_arrow()
        props = {"creditlake.operation": "compact"}
        if name.startswith("bronze."):
            props.update(watermarks(name.split(".", 1)[1]))
        current.overwrite(data, overwrite_filter=AlwaysTrue(), snapshot_properties=props)
        result["rows"] = data.num_rows

    commit_with_retry(name, table(name).schema().as_arrow(), write)
    after = list(table(name).scan().plan_files())
    return {"files_before": len(files), "files_after": len(after), "rows": result["rows"]}
