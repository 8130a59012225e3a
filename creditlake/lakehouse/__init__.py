"""The lakehouse side of ingestion: validated, pseudonymised, versioned Iceberg tables.

    publish(batch) -> BatchResult          write-audit-publish of one connector batch
    watermark(dataset, scope=None)         cursor committed with the bronze data (scope: a bank's drop)
    catalog()                              the pyiceberg catalog (bronze, quarantine, ops)
    read_bronze / latest / ingest_log / quarantine      readers (pyarrow tables)
    export_bronze_views(duckdb_path)       DuckDB views over current snapshots, for dbt
    expire_snapshots / compact             maintenance

Importing the package costs about 0.6 s (pyiceberg, pyarrow) and never imports Great
Expectations (validation imports it when a batch is published). Airflow DAG files
import it inside their task functions, not at module top.
"""

from creditlake.lakehouse.catalog import catalog
from creditlake.lakehouse.maintenance import compact, expire_snapshots
from creditlake.lakehouse.publish import publish
from creditlake.lakehouse.read import ingest_log, latest, quarantine, read_bronze, watermark
from creditlake.lakehouse.views import export_bronze_views

__all__ = [
    "publish",
    "watermark",
    "catalog",
    "read_bronze",
    "latest",
    "ingest_log",
    "quarantine",
    "export_bronze_views",
    "expire_snapshots",
    "compact",
]
