"""One ingestion DAG per platform, generated from the declarative source registry.

Each DAG maps one task over the platform's datasets (pull -> land -> validate -> publish,
all inside connectors.ingest), one mapped task per dependency level of the registry (a
meter reading refers to its account, so accounts load first), emits an Asset event for
each bronze table once its pull is done (held batches are alerted, not waited for), and ends with a freshness check that raises an
alert when a dataset's last good pull is older than its SLA, and fails the run then or when a pull
of the run failed. Wrong credentials or settings fail a pull at once, without retries. Re-running any interval is
harmless: pulls resume from the committed watermark with a lookback, and publishing is
idempotent per batch id, so a backfill ends in the same state as the daily runs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from creditlake.connectors.sources import load_levels
from creditlake.core.contract import Platform
from creditlake.orchestration.assets import bronze_alias, bronze_asset
from creditlake.orchestration.defaults import START_DATE, default_args, fail_without_retry, tags

# API platforms publish overnight; the bank's core system drops its files by 02:00.
SCHEDULE = CronDataIntervalTimetable("0 3 * * *", timezone="UTC")


def dag_id(platform: Platform) -> str:
    return "ingest_" + platform.slug


def ingestion_dag(platform: Platform):
    alias = bronze_alias(platform)
    datasets = [d.name for d in platform.datasets]
    source = (
        "the bank's file drop"
        if platform.is_file_drop
        else f"the {platform.name} platform ({platform.prefix})"
    )

    @dag(
        dag_id=dag_id(platform),
        description=f"Pull, validate and publish every dataset of {source} to Iceberg bronze",
        schedule=SCHEDULE,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,  # runs of one platform share watermarks: one at a time
        default_args=default_args(),
        tags=tags("ingestion", platform.name),
        params={
            "mode": Param(
                "incremental",
                enum=["incremental", "snapshot"],
                description="snapshot reloads history from the platform's bulk export "
                "(API platforms only; the bank's drop is always read by file)",
            )
        },
        doc_md=__doc__,
    )
    def ingestion():
        @task(outlets=[alias], map_index_template="{{ dataset }}", max_active_tis_per_dagrun=2)
        def pull_validate_publish(dataset: str, *, outlet_events=None, params=None) -> dict:
            return ingest_and_announce(
                platform, dataset, (params or {}).get("mode", "incremental"), outlet_events[alias]
            )

        levels = {
            ("pull_validate_publish" if level == 0 else f"pull_validate_publish_level{level}"): [
                src.name for src in sources
            ]
            for level, sources in enumerate(load_levels(platform.name))
        }

        @task(trigger_rule="all_done", retries=0)
        def check_freshness(*, ti=None) -> dict:
            return check_platform_freshness(platform, datasets, failed_pulls(ti, levels))

        previous = None
        for task_id, names in levels.items():
            mapped = pull_validate_publish.override(task_id=task_id).expand(dataset=names)
            if previous is not None:
                previous >> mapped
            previous = mapped
        previous >> check_freshness()

    return ingestion()


def ingest_and_announce(platform: Platform, dataset: str, mode: str, alias_events) -> dict:
    """The body of one mapped task: ingest one dataset, alert on held batches, emit its Asset event."""
    from creditlake.connectors.ingest import run_ingest
    from creditlake.orchestration.alerts import raise_alert
    from creditlake.orchestration.freshness import record_attempt, record_pull

    record_attempt(dataset)
    if platform.is_file_drop:
        mode = "incremental"  # the drop has no bulk export; new files are read either way
    with (
        fail_without_retry()
    ):  # wrong credentials or settings: fail now, with the connector's message
        results = run_ingest(platform.name, dataset, mode=mode)
    summary = {
        "dataset": dataset,
        "batches": len(results),
        "received": 0,
        "published": 0,
        "quarantined": 0,
        "held": 0,
        "quarantine_reasons": {},
    }
    for result in results:
        summary["received"] += result.received
        summary["published"] += result.published
        summary["quarantined"] += result.quarantined
        for reason, n in result.quarantine_reasons.items():
            summary["quarantine_reasons"][reason] = summary["quarantine_reasons"].get(reason, 0) + n
        if result.status == "held":
            # A held batch is a data-quality stop, not a crash: a retry cannot fix it. It is
            # alerted here; the freshness SLA escalates if nobody releases it.
            summary["held"] += 1
            raise_alert(
                "batch_held",
                "warning",
                f"{platform.name}/{dataset}",
                f"batch {result.batch_id} held back: {result.message}",
            )
    record_pull(dataset, [r.status for r in results])
    # The table is as current as good data allows (also when nothing was new, or a batch
    # was held: the marts build on what was published, and freshness tracks the hold).
    alias_events.add(
        bronze_asset(dataset), extra={k: summary[k] for k in ("published", "quarantined", "held")}
    )
    return summary


def failed_pulls(ti, levels: dict[str, list[str]]) -> dict[str, str]:
    """dataset -> state, for this run's pulls that did not succeed (from Airflow's own record)."""
    states = ti.get_task_states(dag_id=ti.dag_id, task_ids=list(levels), run_ids=[ti.run_id]).get(
        ti.run_id, {}
    )
    failed = {}
    for task_id, names in levels.items():
        for index, dataset in enumerate(
            names
        ):  # expand() maps the list in order: map_index = position
            state = states.get(f"{task_id}_{index}")
            if state not in ("success", "skipped"):
                failed[dataset] = str(state)
    return failed


def check_platform_freshness(
    platform: Platform, datasets: list[str], failed: dict[str, str] | None = None
) -> dict:
    """Alert on datasets past their SLA; fail (the run goes red) on those or on a failed pull.

    The check is the DAG's only leaf and runs whatever its upstream did (all_done), so without
    the second condition a run whose every pull failed (wrong credentials, say) would end
    green for as long as the SLA lasts.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from creditlake.orchestration.alerts import freshness_breaches, freshness_sla, raise_alert
    from creditlake.orchestration.freshness import freshness

    sla = freshness_sla(platform.name)
    breaches = freshness_breaches(freshness(datasets), sla, datetime.now(UTC))
    for dataset, why in breaches.items():
        raise_alert("freshness_breach", "error", f"{platform.name}/{dataset}", why)
    problems = []
    if failed:  # each failed task raised its own task_failed alert, with the reason
        problems.append(
            f"{len(failed)} pull(s) did not succeed in this run (their task logs say why): "
            + ", ".join(f"{d} {s}" for d, s in sorted(failed.items()))
        )
    if breaches:
        problems.append(
            f"{len(breaches)} dataset(s) past the freshness SLA: "
            + "; ".join(f"{d}: {w}" for d, w in breaches.items())
        )
    if problems:
        raise AirflowFailException("; ".join(problems))
    return {"sla_hours": sla.total_seconds() / 3600, "datasets": len(datasets)}
