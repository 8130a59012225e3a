"""Run the DAGs of one simulated day in order with dag.test(): the demo's and the tests' driver.

dag.test() executes real task instances in this process against the configured metadata
database, so every run, task try, XCom and Asset event is recorded as if the scheduler had
run it. Asset-triggered and time-triggered DAGs are run here in the order the scheduler
would reach: every ingestion DAG, then the dbt DAG (whose Assets are then all updated), then
the scorecard retraining (on the published marts it made), then maintenance; the monthly
extract when asked.

`main` prints its progress as `PROGRESS {json}` lines and its result as one `RESULTS {json}`
line: `creditlake demo` runs it in a child process, shows those lines and sends every other
line (Airflow's and dbt's own output) to its log file.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

from creditlake.core.config import PROJECT_ROOT

log = logging.getLogger("creditlake.runner")

INGESTION_HOUR = 3  # the ingestion DAGs' cron hour: their run for a day is at 03:00


class DagRunFailed(Exception):
    pass


def progress(event: str, **fields) -> None:
    """One machine-readable progress line on stdout (flushed: the reader shows it at once)."""
    print("PROGRESS " + json.dumps({"event": event, **fields}, default=str), flush=True)


class DagRunner:
    def __init__(self, dags_folder: str | None = None):
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dags_folder or str(PROJECT_ROOT / "dags"))
        if bag.import_errors:
            raise DagRunFailed(f"DAG import errors: {bag.import_errors}")
        self.dags = bag.dags
        self.results: dict[str, str] = {}  # "dag_id@date" -> final state
        self.timings: dict[str, float] = {}

    def ingestion_dag_ids(self) -> list[str]:
        return sorted(d for d in self.dags if d.startswith("ingest_"))

    def run(
        self, dag_id: str, logical_date: datetime, conf: dict | None = None, check: bool = True
    ) -> str:
        started = time.perf_counter()
        date = f"{logical_date:%Y-%m-%d}"
        progress("dag_start", dag_id=dag_id, date=date)
        run = self.dags[dag_id].test(logical_date=logical_date, run_conf=conf)
        seconds = time.perf_counter() - started
        state = str(getattr(run.state, "value", run.state))
        key = f"{dag_id}@{date}"
        self.results[key] = state
        self.timings[dag_id] = self.timings.get(dag_id, 0.0) + seconds
        log.info("%s: %s in %.1f s", key, state, seconds)
        progress("dag_end", dag_id=dag_id, date=date, state=state, seconds=round(seconds, 1))
        if check and state != "success":
            # dag.test() writes the task logs to this process's output, not AIRFLOW_HOME/logs
            raise DagRunFailed(f"{key} ended {state}; its task logs are in this run's output")
        return state

    def run_day(self, clock: datetime, transform: bool = True, maintenance: bool = True) -> None:
        """All DAG runs of the simulated day that `clock` starts."""
        day = clock.replace(hour=INGESTION_HOUR, minute=0, second=0, microsecond=0)
        for dag_id in self.ingestion_dag_ids():
            self.run(dag_id, day)
        if transform:
            self.run("transform_dbt", day + timedelta(minutes=30))
            self.run("retrain_scorecard", day + timedelta(hours=1))
        if maintenance:
            self.run("maintenance", day.replace(hour=23))

    def run_extract(self, clock: datetime, period: str) -> str:
        return self.run(
            "regulator_extract",
            clock.replace(hour=6, minute=0, second=0, microsecond=0),
            conf={"period": period},
        )


def main(argv: list[str] | None = None) -> int:
    """`python -m creditlake.devtools.runner --start 2026-11-01 --days 2 [--extract 2026-10]`

    Runs the DAGs for a sequence of days in this process (Airflow must be configured by
    the environment, see airflow_home.airflow_env); prints progress lines and one JSON line
    of results.
    """
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--start", required=True, help="first simulated day, YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--extract", help="also run the regulator extract for this period")
    parser.add_argument("--sim-url", help="advance this simulator one day between days")
    parser.add_argument("--only", nargs="*", help="run only these DAG ids (in the usual order)")
    parser.add_argument(
        "--migrate",
        action="store_true",
        help="first create or upgrade the metadata database and the pools",
    )
    args = parser.parse_args(argv)

    if args.migrate:
        import os

        from creditlake.devtools.airflow_home import migrate

        progress("step_start", step="airflow_db")
        started = time.perf_counter()
        migrate(dict(os.environ))
        progress("step_end", step="airflow_db", seconds=round(time.perf_counter() - started, 1))
    progress("step_start", step="parse_dags")
    started = time.perf_counter()
    runner = DagRunner()
    progress("step_end", step="parse_dags", seconds=round(time.perf_counter() - started, 1))
    clock = datetime.fromisoformat(args.start).replace(tzinfo=UTC)
    ok = True
    try:
        for day in range(args.days):
            if day and args.sim_url:
                import requests

                requests.post(
                    args.sim_url + "/_sim/advance", json={"days": 1}, timeout=600
                ).raise_for_status()
            if day:
                clock += timedelta(days=1)
            progress("day", date=f"{clock:%Y-%m-%d}", day=day + 1, days=args.days)
            if args.only:
                at = clock.replace(hour=INGESTION_HOUR)
                for dag_id in args.only:
                    runner.run(dag_id, at)
            else:
                runner.run_day(clock)
        if args.extract:
            progress("extract", period=args.extract)
            runner.run_extract(clock, args.extract)
    except DagRunFailed as exc:
        print(f"FAILED: {exc}", flush=True)
        ok = False
    print(
        "RESULTS " + json.dumps({"results": runner.results, "timings": runner.timings}), flush=True
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
