"""Airflow DAG file: Ingestion DAGs, one per platform of the source registry (ingest_commerce, ingest_tax, ...)."""

from creditlake.core.contract import PLATFORMS
from creditlake.orchestration.ingestion_dag import dag_id, ingestion_dag

for _platform in PLATFORMS.values():
    globals()[dag_id(_platform)] = ingestion_dag(_platform)
