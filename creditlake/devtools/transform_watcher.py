"""The dbt DAG rendered by astronomer-cosmos in watcher mode: one task per model and test.

Watcher mode runs `dbt build` once (the producer task, dbt in-process via dbtRunner) and
turns each model's task into a sensor that succeeds when dbt reports that node done, so
dbt's start-up (~4 s) is paid once, not once per model. It is measured against the single
`dbt build` task of creditlake.orchestration.transform_dag by bench/bench_dbt_dag.py; the DAG
shipped in dags/ is the faster one (see docs/runbook.md for the figures and the reason).

Cosmos renders the graph from dbt's manifest when the DAG is parsed, so this factory reads
WAREHOUSE/marts/dbt/target/manifest.json (written by `dbt parse`) at parse time.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, task

from creditlake.orchestration.assets import MARTS
from creditlake.orchestration.defaults import DUCKDB_POOL, START_DATE, default_args, tags


def watcher_dag(dag_id: str = "transform_dbt_watcher", schedule=None) -> DAG:
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    from creditlake.core.config import warehouse_dir
    from creditlake.transform import dbt_project

    # Where creditlake.transform.dbt_args puts dbt's artefacts (`dbt parse` writes the manifest).
    target = warehouse_dir() / "marts" / "dbt" / "target"
    project = dbt_project()
    with DAG(
        dag_id=dag_id,
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(retries=1),
        tags=tags("dbt", "transform", "cosmos"),
        doc_md=__doc__,
    ) as dag:

        @task(pool=DUCKDB_POOL)
        def export_bronze_views() -> dict:
            from creditlake.lakehouse import export_bronze_views as export
            from creditlake.transform import dbt_env, marts_db

            dbt_env()
            return {k: str(v) for k, v in export(marts_db()).items()}

        models = DbtTaskGroup(
            group_id="dbt",
            project_config=ProjectConfig(project, manifest_path=target / "manifest.json"),
            profile_config=ProfileConfig(
                profile_name="creditlake",
                target_name="dev",
                profiles_yml_filepath=project / "profiles.yml",
            ),
            execution_config=ExecutionConfig(
                execution_mode=ExecutionMode.WATCHER, invocation_mode=InvocationMode.DBT_RUNNER
            ),
            render_config=RenderConfig(
                load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.AFTER_EACH
            ),
            # Consumers poke instead of deferring (no triggerer needed); the producer holds
            # the DuckDB writer slot for the whole build.
            operator_args={
                "pool": DUCKDB_POOL,
                "deferrable": False,
                "poke_interval": 1,
                "install_deps": False,
                "execution_timeout": timedelta(hours=2),
            },
        )

        @task(pool=DUCKDB_POOL, outlets=[MARTS])
        def publish_marts() -> str:
            from creditlake.transform import marts_db, publish, published_db

            return str(publish(marts_db(), published_db()))

        export_bronze_views() >> models >> publish_marts()
    return dag
