"""Alerts data engineers see: failed tasks, held batches, sources past their freshness SLA,
and a score whose population shifted.

Each alert is logged at ERROR/WARNING (visible in the task log and the Airflow UI) and
appended as one JSON line to WAREHOUSE/ops/alerts.jsonl, the file the runbook and the demo
summary read. A deployment adds its pager here (one place) via CREDITLAKE_ALERT_WEBHOOK.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from creditlake.core import contract
from creditlake.core.config import env, warehouse_dir

log = logging.getLogger("creditlake.alerts")

# How old a source's last successful pull may be before it breaches its SLA.
# API platforms are pulled daily (26 h leaves room for a late run); the bank drops
# files on business days only, so a weekend must not page anyone.
DEFAULT_FRESHNESS_SLA = {
    "commerce": timedelta(hours=26),
    "tax": timedelta(hours=26),
    "social-security": timedelta(hours=26),
    "utility": timedelta(hours=26),
    "supply-chain": timedelta(hours=26),
    "bank": timedelta(days=4),
}


@dataclass
class Alert:
    kind: str  # "task_failed" | "batch_held" | "freshness_breach" | "score_drift"
    level: str  # "error" | "warning"
    subject: str  # dag.task, or platform/dataset
    message: str
    at: str = ""


def alerts_file() -> Path:
    return warehouse_dir() / "ops" / "alerts.jsonl"


def raise_alert(kind: str, level: str, subject: str, message: str) -> Alert:
    alert = Alert(kind, level, subject, message, datetime.now(UTC).isoformat(timespec="seconds"))
    log.log(
        logging.ERROR if level == "error" else logging.WARNING,
        "ALERT %s %s: %s",
        kind,
        subject,
        message,
    )
    path = alerts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:  # one short line per write: appends stay whole
        out.write(json.dumps(asdict(alert), ensure_ascii=False) + "\n")
    _post_webhook(alert)
    return alert


def read_alerts() -> list[Alert]:
    path = alerts_file()
    if not path.exists():
        return []
    return [
        Alert(**json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _post_webhook(alert: Alert) -> None:
    url = env("CREDITLAKE_ALERT_WEBHOOK")
    if not url:
        return
    import requests

    try:
        requests.post(url, json=asdict(alert), timeout=10).raise_for_status()
    except requests.RequestException as exc:  # the alert is already logged and on file
        log.warning("alert webhook %s failed: %s", url, exc)


def on_task_failure(context) -> None:
    """Airflow on_failure_callback: a task ran out of retries."""
    ti = context.get("ti") or context.get("task_instance")
    subject = f"{ti.dag_id}.{ti.task_id}" if ti is not None else "unknown task"
    if ti is not None and getattr(ti, "map_index", -1) not in (-1, None):
        subject += f"[{ti.map_index}]"
    exc = context.get("exception")
    raise_alert(
        "task_failed", "error", subject, f"{type(exc).__name__}: {exc}" if exc else "task failed"
    )


def freshness_sla(platform: str) -> timedelta:
    """SLA for a platform; CREDITLAKE_FRESHNESS_SLA_HOURS_<PLATFORM> overrides the default."""
    override = os.environ.get(
        "CREDITLAKE_FRESHNESS_SLA_HOURS_" + contract.platform(platform).slug.upper()
    )
    if override:
        return timedelta(hours=float(override))
    return DEFAULT_FRESHNESS_SLA[platform]


def freshness_breaches(state: dict, sla: timedelta, now: datetime) -> dict[str, str]:
    """Datasets whose last good pull (or, never good, first attempt) is older than `sla`.

    `state` maps dataset -> creditlake.orchestration.freshness.Freshness.
    """
    hours = lambda delta: f"{delta / timedelta(hours=1):.1f} h"  # noqa: E731
    breaches = {}
    for dataset, f in sorted(state.items()):
        if f.last_success is not None:
            if now - f.last_success > sla:
                breaches[dataset] = (
                    f"last good pull {f.last_success.isoformat(timespec='minutes')}, "
                    f"{hours(now - f.last_success)} ago (SLA {hours(sla)})"
                )
        elif f.first_attempt is not None and now - f.first_attempt > sla:
            breaches[dataset] = (
                f"no good pull since the first attempt {hours(now - f.first_attempt)} ago "
                f"(SLA {hours(sla)}): held batches waiting for review?"
            )
    return breaches


def check_score_drift(db: Path) -> Alert | None:
    """A score_drift warning when the newest month of the published marts' rpt_score_stability
    says the score's population shifted (PSI above 0.25, the mart's own rule)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        newest = con.execute(
            "select period, psi, stability, scored from marts.rpt_score_stability "
            "where psi is not null order by month desc limit 1"
        ).fetchone()
    if newest is None or newest[2] != "shifted":
        return None
    period, psi, _, scored = newest
    return raise_alert(
        "score_drift",
        "warning",
        f"rpt_score_stability/{period}",
        f"the score's population shifted in {period}: PSI {psi:.2f} against the month before "
        f"({scored} enterprises); see rpt_characteristic_stability for the characteristics that moved",
    )
