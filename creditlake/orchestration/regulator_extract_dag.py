"""The monthly regulator-extract DAG.

Runs on the 3rd of each month for the month before (the bank's month-end file arrives on
the 1st; two days leave room for a late drop). The period comes from the data interval,
so a backfill of past months, or clearing a run, re-creates exactly the recorded files:
run_extract reads bronze at the snapshot ids recorded in the period's manifest.
"""

from __future__ import annotations

from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from creditlake.orchestration.defaults import START_DATE, default_args, fail_without_retry, tags

SCHEDULE = CronDataIntervalTimetable("0 6 3 * *", timezone="UTC")


def period_for(data_interval_end) -> str:
    """The reporting month: the calendar month before the one the interval ends in."""
    year, month = data_interval_end.year, data_interval_end.month - 1
    if month == 0:
        year, month = year - 1, 12
    return f"{year:04d}-{month:02d}"


def extract_dag():
    @dag(
        dag_id="regulator_extract",
        description="Monthly inclusive-finance report and loan-level extract for the regulator",
        schedule=SCHEDULE,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(),
        tags=tags("extract", "regulator"),
        params={
            "period": Param(
                None,
                type=["null", "string"],
                pattern=r"^\d{4}-\d{2}$",
                description="override the reporting month (YYYY-MM)",
            ),
            "refresh": Param(
                False,
                type="boolean",
                description="read current snapshots instead of the recorded ones",
            ),
        },
        doc_md=__doc__,
    )
    def regulator_extract():
        @task
        def extract(*, data_interval_end=None, params=None) -> dict:
            from airflow.sdk.exceptions import AirflowFailException

            from creditlake.extracts.inclusive_finance import ExtractError
            from creditlake.extracts.run import run_extract

            period = (params or {}).get("period") or period_for(data_interval_end)
            try:
                with (
                    fail_without_retry()
                ):  # configuration (extract, PII key, catalog): retrying won't help
                    result = run_extract(
                        period, refresh=bool((params or {}).get("refresh")), deliver=False
                    )
            except ExtractError as exc:  # the period's data is missing: retrying won't bring it
                raise AirflowFailException(str(exc)) from exc
            return {
                "period": result.period,
                "reused_snapshots": result.reused_snapshots,
                "folders": {k: str(v) for k, v in result.folders.items()},
                "checks": {c["item"]: c["result"] for c in result.checks},
            }

        @task
        def deliver(summary: dict) -> list[dict]:
            """Separate from extract: a failed delivery retries without recomputing anything."""
            import json
            from pathlib import Path

            from creditlake.extracts.config import load_config
            from creditlake.extracts.deliver import post_extract

            with (
                fail_without_retry()
            ):  # a bad endpoint setting; the POST's own failures are retried
                config = load_config()
            if not config.endpoint:
                return []  # drop folder only
            done = []
            for folder in summary["folders"].values():
                manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
                done.append(post_extract(Path(folder), manifest, config.endpoint, config.token))
            return done

        deliver(extract())

    return regulator_extract()
