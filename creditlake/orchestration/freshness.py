"""How fresh each dataset is: the input of the freshness SLA check.

A dataset's age is the time since its last good pull: a batch published (or confirmed
already published) in the lakehouse's ingest log, or a pull that succeeded with nothing
new (no log row is written then, yet the source is fresh). A dataset that never had a
good pull ages from its first attempt, so a batch held back on day one is not a breach
at once, but becomes one if nobody releases it within the SLA. The ingestion task keeps
its own record per dataset in WAREHOUSE/ops/pulls/<dataset>.json.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from creditlake.core.config import warehouse_dir

SUCCESS = ("published", "already_published", "empty")


@dataclass
class Freshness:
    last_success: datetime | None = None
    first_attempt: datetime | None = None


def _path(dataset: str) -> Path:
    return warehouse_dir() / "ops" / "pulls" / f"{dataset}.json"


def _load(dataset: str) -> dict:
    path = _path(dataset)
    return json.loads(path.read_text()) if path.exists() else {}


def _save(dataset: str, record: dict) -> None:
    path = _path(dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, sort_keys=True))
    os.replace(tmp, path)


def record_attempt(dataset: str, when: datetime | None = None) -> None:
    record = _load(dataset)
    if "first_attempt" not in record:
        record["first_attempt"] = (when or datetime.now(UTC)).isoformat()
        _save(dataset, record)


def record_pull(dataset: str, statuses: list[str], when: datetime | None = None) -> None:
    """Remember a pull that reached its source and had nothing held back."""
    record = _load(dataset)
    record["last_statuses"] = statuses
    if all(s in SUCCESS for s in statuses):
        record["last_success"] = (when or datetime.now(UTC)).isoformat()
    _save(dataset, record)


def freshness(datasets: list[str]) -> dict[str, Freshness]:
    """Last good pull and first attempt per dataset, from the ingest log and the pull records."""
    from creditlake.lakehouse.read import ingest_log

    out = {d: Freshness() for d in datasets}

    def see(dataset: str, when: datetime | None, good: bool) -> None:
        if dataset not in out or when is None:
            return
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        f = out[dataset]
        if good and (f.last_success is None or when > f.last_success):
            f.last_success = when
        if f.first_attempt is None or when < f.first_attempt:
            f.first_attempt = when

    log = ingest_log()
    for dataset, status, when in zip(
        log.column("dataset").to_pylist(),
        log.column("status").to_pylist(),
        log.column("finished_at").to_pylist(),
    ):
        see(dataset, when, status in SUCCESS)
    for dataset in datasets:
        record = _load(dataset)
        for key, good in (("last_success", True), ("first_attempt", False)):
            if key in record:
                see(dataset, datetime.fromisoformat(record[key]), good)
    return out
