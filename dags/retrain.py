"""Airflow DAG file: the monthly scorecard retraining, scheduled on the published marts."""

from creditlake.orchestration.retrain_dag import retrain_dag

retrain_scorecard = retrain_dag()
