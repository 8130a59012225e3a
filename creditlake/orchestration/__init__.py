"""Airflow orchestration: DAG factories, shared task settings, alerts and the Airflow home.

DAG files under dags/ are thin: they call the factories here. Factories import only
Airflow's task SDK and the contract (pure data); connectors, GX, dbt and pyiceberg are
imported inside the task callables, so parsing a DAG file does no I/O and stays fast.
"""
