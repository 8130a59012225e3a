"""The Iceberg catalog: SQLite under the warehouse by default, PostgreSQL when configured.

CREDITLAKE_CATALOG_URI   e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/creditlake
                         (default sqlite:///WAREHOUSE/catalog.db)
data files               file://WAREHOUSE/iceberg/<namespace>/<table>/...
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import lru_cache

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.table import Table

from creditlake.core import contract
from creditlake.core.config import env, warehouse_dir

NAMESPACES = ("bronze", "quarantine", "ops", "model")
INGEST_LOG = "ops.ingest_log"
# creditlake.model's fitted scorecards, recalibrated warning thresholds and its gate's decisions
MODEL_TABLES = (
    "scorecard_bins",
    "score_grades",
    "scorecards",
    "scorecard_decisions",
    "warning_thresholds",
)
# Snapshot-summary properties that tie a commit to the batch that made it.
PROP_BATCH, PROP_DATASET, PROP_WATERMARK = (
    "creditlake.batch_id",
    "creditlake.dataset",
    "creditlake.watermark",
)


def bronze_name(dataset: str) -> str:
    return f"bronze.{dataset}"


def quarantine_name(platform: str) -> str:
    return f"quarantine.{contract.platform(platform).slug}"


def catalog_uri() -> str:
    return env("CREDITLAKE_CATALOG_URI") or f"sqlite:///{warehouse_dir() / 'catalog.db'}"


def catalog() -> Catalog:
    """The catalog for the current settings (cached per URI and warehouse)."""
    return _catalog(catalog_uri(), str(warehouse_dir()))


@lru_cache(maxsize=8)
def _catalog(uri: str, warehouse: str) -> Catalog:
    from pathlib import Path

    Path(warehouse, "iceberg").mkdir(parents=True, exist_ok=True)
    cat = SqlCatalog("creditlake", uri=uri, warehouse=f"file://{warehouse}/iceberg")
    for namespace in NAMESPACES:
        cat.create_namespace_if_not_exists(namespace)
    return cat


def table(name: str, schema: pa.Schema | None = None) -> Table | None:
    """Load `name`; create it from `schema` when missing (None when missing and no schema)."""
    cat = catalog()
    try:
        return _evolved(cat.load_table(name), schema)
    except NoSuchTableError:
        if schema is None:
            return None
    try:
        return cat.create_table(name, schema=schema)
    except TableAlreadyExistsError:  # another worker created it meanwhile
        return cat.load_table(name)


def _evolved(tbl: Table, schema: pa.Schema | None) -> Table:
    """A table made before a release added columns to `schema` gains them (older rows: null)."""
    if schema is not None and set(schema.names) - set(tbl.schema().column_names):
        with tbl.update_schema() as update:
            update.union_by_name(schema)
    return tbl


def snapshot_with(tbl: Table, **props: str) -> bool:
    """True if a snapshot of `tbl` carries all of `props` in its summary."""
    for snap in tbl.snapshots():
        extra = snap.summary.additional_properties if snap.summary else {}
        if all(extra.get(k) == v for k, v in props.items()):
            return True
    return False


def commit_with_retry(
    name: str, schema: pa.Schema, write: Callable[[Table], None], attempts: int = 8
) -> None:
    """Run `write(table)` on a freshly loaded table, retrying optimistic-commit conflicts.

    Several Airflow workers append to the same quarantine and ingest-log tables at once;
    Iceberg lets one commit win and the others reload and try again.
    """
    for attempt in range(attempts):
        tbl = table(name, schema)
        try:
            write(tbl)
            return
        except CommitFailedException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt + random.random() * 0.1)
