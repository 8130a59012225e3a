"""Airflow DAG file: Daily Iceberg maintenance and landing-zone retention."""

from creditlake.orchestration.maintenance_dag import maintenance_dag

maintenance = maintenance_dag()
