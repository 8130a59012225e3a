"""A real Airflow: scheduler, dag-processor and api-server on a fresh PostgreSQL database.

Each component runs in its own process group and is ended as a group (LocalExecutor
workers are its children). The database is created for the test and dropped after it.
"""

from __future__ import annotations

import pytest

from creditlake.devtools.cluster import AirflowCluster, fresh_postgres_database


@pytest.fixture
def postgres_database():
    import psycopg2

    try:
        with fresh_postgres_database() as name:
            yield name
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) is needed: {exc}")


@pytest.fixture
def airflow_cluster(tmp_path, postgres_database):
    clusters: list[AirflowCluster] = []

    def start(extra_env: dict[str, str]) -> AirflowCluster:
        cluster = AirflowCluster(tmp_path / "airflow", postgres_database, extra_env)
        clusters.append(cluster)
        return cluster.start()

    yield start
    for cluster in clusters:
        cluster.stop()


from airflow_world import ENTERPRISES, MONTHS, SEED, sim_data, simulator  # noqa: E402, F401  (fixtures)
