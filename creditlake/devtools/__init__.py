"""What the demo, the tests and the bench use and a deployment does not: Airflow homes and
clusters made for a run, the day-by-day runner, the demo supervisor and its summary."""
