"""DuckDB views over the current Iceberg snapshots: how dbt reads bronze.

dbt-duckdb cannot read our SQL catalog directly, so each run pins the current snapshot
of every table: schema `bronze` gets one view per table over read_parquet() of exactly
that snapshot's data files, and bronze._snapshots records which snapshot was exported.
Tables that do not exist yet get an empty view of the right columns, so sources resolve.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from creditlake.core import contract, schemas
from creditlake.lakehouse.catalog import (
    INGEST_LOG,
    MODEL_TABLES,
    bronze_name,
    quarantine_name,
    table,
)

DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.bool_(): "BOOLEAN",
    pa.float64(): "DOUBLE",
    pa.large_string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.date32(): "DATE",
    schemas.UTC_TS: "TIMESTAMPTZ",
}


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    return DUCKDB_TYPES[t]


def exported_tables() -> dict[str, tuple[str, pa.Schema]]:
    """DuckDB view name -> (Iceberg table, schema)."""
    views = {ds: (bronze_name(ds), schemas.bronze_schema(ds)) for ds in contract.DATASETS}
    for p in contract.PLATFORMS.values():
        views[f"quarantine_{p.slug}"] = (
            quarantine_name(p.name),
            schemas.QUARANTINE,
        )
    views["ingest_log"] = (INGEST_LOG, schemas.INGEST_LOG)
    for name in MODEL_TABLES:
        views[f"model_{name}"] = (f"model.{name}", getattr(schemas, name.upper()))
    return views


def _files(name: str) -> tuple[int | None, list[str]]:
    tbl = table(name)
    if tbl is None or tbl.current_snapshot() is None:
        return None, []
    files = [task.file.file_path.removeprefix("file://") for task in tbl.scan().plan_files()]
    return tbl.current_snapshot().snapshot_id, files


def _select(schema: pa.Schema, files: list[str]) -> str:
    cols = ", ".join(f'CAST("{f.name}" AS {_duck_type(f.type)}) AS "{f.name}"' for f in schema)
    if not files:
        nulls = ", ".join(f'NULL AS "{f.name}"' for f in schema)
        return f"SELECT {cols} FROM (SELECT {nulls}) WHERE false"
    listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"SELECT {cols} FROM read_parquet([{listing}], union_by_name = true)"


def export_bronze_views(duckdb_path: str | Path) -> dict[str, int | None]:
    """(Re)create schema `bronze` views in `duckdb_path`; returns view -> snapshot id."""
    import duckdb

    Path(duckdb_path).parent.mkdir(parents=True, exist_ok=True)
    pinned: dict[str, int | None] = {}
    statements = ["CREATE SCHEMA IF NOT EXISTS bronze"]
    for view, (name, schema) in exported_tables().items():
        snapshot_id, files = _files(name)
        pinned[view] = snapshot_id
        statements.append(f'CREATE OR REPLACE VIEW bronze."{view}" AS {_select(schema, files)}')
    statements.append(
        "CREATE OR REPLACE TABLE bronze._snapshots (table_name VARCHAR, "
        "snapshot_id BIGINT, exported_at TIMESTAMPTZ)"
    )
    with duckdb.connect(str(duckdb_path)) as con:
        con.execute("BEGIN")
        for sql in statements:
            con.execute(sql)
        con.executemany(
            "INSERT INTO bronze._snapshots VALUES (?, ?, now())",
            [[view, sid] for view, sid in pinned.items()],
        )
        con.execute("COMMIT")
    return pinned
