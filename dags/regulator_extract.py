"""Airflow DAG file: Monthly regulator extracts (inclusive-finance report, loan-level extract)."""

from creditlake.orchestration.regulator_extract_dag import extract_dag

regulator_extract = extract_dag()
