"""The dbt DAG two ways on the same bronze, in the same run, on a real local Airflow
(scheduler + LocalExecutor, parallelism 4, PostgreSQL metadata database):

    single : one task running `dbt build` in-process (creditlake.transform.build)   <- baseline
    watcher: astronomer-cosmos watcher mode: one Airflow task per model/test, dbt run once

(dag.test() cannot compare them: it runs tasks one at a time, and a watcher sensor that
starts before its producer waits forever.) Needs a warehouse with bronze data: the demo's
(.demo/warehouse, after `make demo`) or CREDITLAKE_BENCH_WAREHOUSE; it is copied first.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from creditlake.core.config import PROJECT_ROOT, demo_dir, env

DAG_FILE = '''"""Airflow DAG file for the bench: both dbt DAG variants."""
from creditlake.orchestration.transform_dag import transform_dag
from creditlake.devtools.transform_watcher import watcher_dag

transform_dbt = transform_dag()
transform_dbt_watcher = watcher_dag()
'''
VARIANTS = ("transform_dbt", "transform_dbt_watcher")


def main(scale: str = "small") -> None:
    source = Path(env("CREDITLAKE_BENCH_WAREHOUSE", str(demo_dir() / "warehouse")))
    if not (source / "catalog.db").exists():
        print(
            f"   no bronze in {source}: run `make demo` first (or set CREDITLAKE_BENCH_WAREHOUSE)"
        )
        return
    import os

    from creditlake.devtools.cluster import AirflowCluster, fresh_postgres_database

    root = PROJECT_ROOT / ".bench" / "dbt_dag"
    shutil.rmtree(root, ignore_errors=True)
    (root / "dags").mkdir(parents=True)
    (root / "dags" / "transform_variants.py").write_text(DAG_FILE)
    shutil.copytree(source, root / "warehouse", ignore=shutil.ignore_patterns("landing"))
    settings = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "CREDITLAKE_WAREHOUSE": str(root / "warehouse"),
        "CREDITLAKE_PII_KEY": env("CREDITLAKE_PII_KEY", "bench-pii-key"),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt_project"),
    }
    os.environ.update(settings)
    from creditlake.transform import run_dbt

    run_dbt(["parse"], show_progress=False)  # the manifest cosmos renders the watcher DAG from
    rounds = 2 if scale == "full" else 1
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    with fresh_postgres_database("creditlake_bench") as database:
        cluster = AirflowCluster(root / "airflow", database, settings).start()
        try:
            cluster.wait_for(
                "both DAGs parsed", lambda: set(VARIANTS) <= cluster.parsed_dags(), timeout=300
            )
            for dag_id in VARIANTS:
                cluster.cli("dags", "unpause", "-y", dag_id)
            for i in range(rounds):
                for dag_id in VARIANTS:  # alternate, so neither always runs on a warm cache
                    times[dag_id].append(_timed_run(cluster, dag_id, i))
            tasks = cluster.sql(
                "select count(distinct task_id) from task_instance where dag_id = %s",
                ("transform_dbt_watcher",),
            )[0][0]
        finally:
            cluster.stop()
    single, watcher = min(times["transform_dbt"]), min(times["transform_dbt_watcher"])
    print(f"   dbt DAG, single `dbt build` task          : {single:7.1f} s  (baseline)")
    print(
        f"   dbt DAG, cosmos watcher mode ({tasks} tasks): {watcher:7.1f} s  ({watcher / single:.2f}x the baseline)"
    )


def _timed_run(cluster, dag_id: str, i: int) -> float:
    run_id = f"bench_{i}_{int(time.time())}"
    cluster.cli("dags", "trigger", dag_id, "-r", run_id)
    query = "select state, extract(epoch from end_date - start_date) from dag_run where run_id = %s and dag_id = %s"

    def finished():
        rows = cluster.sql(query, (run_id, dag_id))
        return rows if rows and rows[0][0] in ("success", "failed") else None

    ((state, seconds),) = cluster.wait_for(f"{dag_id} run", finished, timeout=1800, interval=1.0)
    if state != "success":
        raise RuntimeError(f"{dag_id} run {run_id} {state}; logs under {cluster.home / 'logs'}")
    return float(seconds)


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "small")
