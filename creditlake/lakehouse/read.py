"""Reading the lakehouse: bronze versions, newest versions, quarantine, ingest log, watermarks."""

from __future__ import annotations

import pyarrow as pa

from creditlake.core import contract, schemas
from creditlake.lakehouse.catalog import (
    INGEST_LOG,
    PROP_WATERMARK,
    bronze_name,
    quarantine_name,
    table,
)


def _read(
    name: str,
    schema: pa.Schema,
    snapshot_id: int | None = None,
    row_filter: str | None = None,
    columns: tuple[str, ...] = ("*",),
) -> pa.Table:
    tbl = table(name)
    if tbl is None or tbl.current_snapshot() is None:
        empty = schema if columns == ("*",) else pa.schema([schema.field(c) for c in columns])
        return empty.empty_table()
    scan = tbl.scan(
        snapshot_id=snapshot_id,
        selected_fields=columns,
        **({"row_filter": row_filter} if row_filter else {}),
    )
    return scan.to_arrow()


def read_bronze(dataset: str, snapshot_id: int | None = None) -> pa.Table:
    """Every version of every record of `dataset` (as of `snapshot_id`, default current)."""
    return _read(bronze_name(dataset), schemas.bronze_schema(dataset), snapshot_id)


def latest(dataset: str) -> pa.Table:
    """The newest version per key (by updated_at / file date, then ingestion time)."""
    import duckdb

    versions = read_bronze(dataset)
    key = ", ".join(f'"{k}"' for k in schemas.identity(dataset))
    order = f'"{schemas.version_column(dataset)}" DESC NULLS LAST, _ingested_at DESC, _record_hash'
    with duckdb.connect() as con:
        con.register("versions", versions)
        return con.sql(
            f"SELECT * FROM versions QUALIFY row_number() OVER "
            f"(PARTITION BY {key} ORDER BY {order}) = 1"
        ).to_arrow_table()


def ingest_log() -> pa.Table:
    return _read(INGEST_LOG, schemas.INGEST_LOG)


def quarantine(platform: str) -> pa.Table:
    contract.platform(platform)  # clear error on a typo
    return _read(quarantine_name(platform), schemas.QUARANTINE)


def watermark_property(scope: str | None = None) -> str:
    """The snapshot property holding the watermark of `scope` (a bank's drop; None: the dataset)."""
    return f"{PROP_WATERMARK}.{scope}" if scope else PROP_WATERMARK


def watermark(dataset: str, scope: str | None = None) -> str | None:
    """The cursor committed with the newest bronze snapshot that carries one (for `scope`)."""
    return watermarks(dataset).get(watermark_property(scope))


def watermarks(dataset: str) -> dict[str, str]:
    """Every watermark property of `dataset`'s bronze table, each as its newest snapshot has it."""
    contract.dataset(dataset)
    tbl = table(bronze_name(dataset))
    found: dict[str, str] = {}
    snap = tbl.current_snapshot() if tbl is not None else None
    while snap is not None:
        props = snap.summary.additional_properties if snap.summary else {}
        for name, value in props.items():
            if value and (name == PROP_WATERMARK or name.startswith(PROP_WATERMARK + ".")):
                found.setdefault(name, value)
        snap = tbl.snapshot_by_id(snap.parent_snapshot_id) if snap.parent_snapshot_id else None
    return found
