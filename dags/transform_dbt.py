"""Airflow DAG file: dbt build of the marts, scheduled on the bronze Assets."""

from creditlake.orchestration.transform import transform_dag

transform_dbt = transform_dag()
