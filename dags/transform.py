"""Airflow DAG file: dbt build of the marts, scheduled on the bronze Assets."""

from creditlake.orchestration.transform_dag import transform_dag

transform_dbt = transform_dag()
