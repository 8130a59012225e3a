"""The dbt DAG two ways on the same bronze, in the same run, through Airflow's dag.test():

    single : one task running `dbt build` in-process (creditlake.transform.build)   <- baseline
    watcher: astronomer-cosmos watcher mode, one Airflow task per model and test, dbt run once

Needs a warehouse with bronze data: the demo's (.demo/warehouse, after `make demo`), or
CREDITLAKE_BENCH_WAREHOUSE. It is copied, so the original is not touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from creditlake.config import PROJECT_ROOT, demo_dir, env

DAG_FILE = '''"""Airflow DAG file for the bench: both dbt DAG variants."""
from creditlake.orchestration.transform import transform_dag
from creditlake.orchestration.transform_watcher import watcher_dag

transform_dbt = transform_dag()
transform_dbt_watcher = watcher_dag()
'''


def main(scale: str = "small") -> None:
    source = Path(env("CREDITLAKE_BENCH_WAREHOUSE", str(demo_dir() / "warehouse")))
    if not (source / "catalog.db").exists():
        print(f"   no bronze in {source}: run `make demo` first (or set CREDITLAKE_BENCH_WAREHOUSE)")
        return
    from creditlake.orchestration.airflow_home import airflow_env, migrate

    root = PROJECT_ROOT / ".bench" / "dbt_dag"
    shutil.rmtree(root, ignore_errors=True)
    (root / "dags").mkdir(parents=True)
    (root / "dags" / "transform_variants.py").write_text(DAG_FILE)
    shutil.copytree(source, root / "warehouse", ignore=shutil.ignore_patterns("landing"))
    settings = {**airflow_env(root / "airflow"), "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
                "CREDITLAKE_WAREHOUSE": str(root / "warehouse"),
                "CREDITLAKE_PII_KEY": env("CREDITLAKE_PII_KEY", "bench-pii-key"),
                "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt_project")}
    migrate(settings)
    rounds = "2" if scale == "full" else "1"
    log = root / "measure.log"
    with log.open("w") as out:
        done = subprocess.run([sys.executable, "-m", "bench.bench_dbt_dag", "--measure", rounds],
                              env={**os.environ, **settings}, stdout=out, stderr=subprocess.STDOUT)
    lines = [line for line in log.read_text().splitlines() if line.startswith("TIMES ")]
    if done.returncode != 0 or not lines:
        print(f"   failed ({done.returncode}); see {log}")
        return
    times = json.loads(lines[-1][6:])
    single, watcher = min(times["transform_dbt"]), min(times["transform_dbt_watcher"])
    print(f"   dbt DAG, single `dbt build` task : {single:7.1f} s  (baseline)")
    print(f"   dbt DAG, cosmos watcher ({times['tasks']} tasks): {watcher:7.1f} s  ({watcher / single:.2f}x the baseline)")


def _measure(rounds: int) -> None:
    """Child process: Airflow is configured by the environment set by main()."""
    from datetime import datetime, timedelta, timezone

    from creditlake.orchestration.runner import DagRunner
    from creditlake.transform import run_dbt

    run_dbt(["parse"], show_progress=False)  # the manifest cosmos renders the DAG from
    runner = DagRunner(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    times: dict[str, list[float]] = {"transform_dbt": [], "transform_dbt_watcher": []}
    at = datetime(2026, 11, 1, 4, tzinfo=timezone.utc)
    for i in range(rounds):
        for dag_id in times:  # alternate, so neither always runs on a warm cache
            started = time.perf_counter()
            runner.run(dag_id, at + timedelta(hours=i))
            times[dag_id].append(time.perf_counter() - started)
    print("TIMES " + json.dumps({**times, "tasks": len(runner.dags["transform_dbt_watcher"].tasks)}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        _measure(int(sys.argv[2]))
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "small")
