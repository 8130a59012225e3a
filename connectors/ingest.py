"""The one ingestion entry point: the `creditlake ingest` command and the Airflow tasks call it.

For each dataset of a platform (datasets another refers to first):
1. replay: publish every landed batch the lakehouse has not confirmed (a crash between
   landing and publishing loses nothing and duplicates nothing: publish is idempotent
   per batch id);
2. pull: incremental pages since the watermark minus the lookback, or the newest bulk
   snapshot, or the bank's new drop files;
3. land the exact bytes with a manifest, cutting them into parts of bounded size
   (connectors.split: a 10-million-row snapshot never sits in memory at once);
4. publish each part through creditlake.lakehouse (validate, quarantine, bronze, ingest
   log); only the last part moves the watermark, and a held part stops the rest.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

from creditlake.connectors import landing
from creditlake.connectors.api import incremental_since, pull_incremental, pull_snapshot
from creditlake.connectors.bank_drop import land_file, ready_files
from creditlake.connectors.errors import ConnectorError
from creditlake.connectors.http import PlatformClient
from creditlake.connectors.landed import batches, split_manifest
from creditlake.connectors.settings import bank_drops, lookback, platform_settings, start_from
from creditlake.connectors.sources import FILE, INCREMENTAL, MODES, Source, platform_sources, source
from creditlake.connectors.split import Split
from creditlake.core.batch import BatchResult
from creditlake.core.crashpoints import crashpoint

log = logging.getLogger(__name__)


class Progress:
    """What a caller may observe; the CLI draws a progress bar from it. Does nothing here."""

    def start(self, dataset: str, mode: str) -> None: ...

    def advance(self, dataset: str, pages: int = 0, rows: int = 0, bytes: int = 0) -> None: ...  # noqa: A002

    def published(
        self, dataset: str, result: BatchResult
    ) -> None: ...  # one batch (or part) answered

    def done(self, dataset: str, results: list[BatchResult]) -> None: ...


def _lakehouse():
    # Imported when used: the lakehouse pulls in pyiceberg and Great Expectations.
    from creditlake import lakehouse

    return lakehouse


def run_ingest(
    platform: str,
    dataset: str | None = None,
    mode: str = INCREMENTAL,
    progress: Progress | None = None,
) -> list[BatchResult]:
    """Ingest one dataset or every dataset of `platform`; returns one result per batch."""
    sources = [source(platform, dataset)] if dataset else platform_sources(platform)
    results: list[BatchResult] = []
    for src in sources:
        results.extend(ingest_dataset(platform, src.name, mode, progress))
    return results


def ingest_dataset(
    platform: str, dataset: str, mode: str = INCREMENTAL, progress: Progress | None = None
) -> list[BatchResult]:
    """Replay unconfirmed landed batches of one dataset, then pull, land and publish."""
    if mode not in MODES:
        raise ConnectorError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    src = source(platform, dataset)
    progress = progress or Progress()
    progress.start(dataset, FILE if src.contract.is_file_drop else mode)
    lakehouse = _lakehouse()
    results, held_scopes = [], set()
    for manifest in _replayable(src):
        replayed = publish_landed(manifest, lakehouse=lakehouse, progress=progress)
        results.extend(replayed)
        if any(r.status == "held" for r in replayed):
            held_scopes.add(landing.read_manifest(manifest).get("scope"))
    if src.contract.is_file_drop:
        results.extend(_ingest_drop(lakehouse, src, progress, held_scopes))
    else:
        results.extend(_ingest_api(lakehouse, src, mode, progress))
    progress.done(dataset, results)
    return results


def _replayable(src: Source) -> list[Path]:
    removed = landing.remove_stale_staging(src.platform, src.name)
    if removed:
        log.info(
            "%s/%s: removed %d unfinished landing folder(s) of a crashed run",
            src.platform,
            src.name,
            removed,
        )
    manifests = landing.unpublished_batches(src.platform, src.name)
    for manifest in manifests:
        log.info("%s/%s: replaying landed batch %s", src.platform, src.name, manifest.parent.name)
    return manifests


def _ingest_api(lakehouse, src: Source, mode: str, progress: Progress) -> list[BatchResult]:
    with PlatformClient(platform_settings(src.platform), src.prefix) as client:
        if mode == INCREMENTAL:
            watermark = lakehouse.watermark(src.name)
            since = incremental_since(watermark, start_from(), lookback())
            landed = pull_incremental(client, src, since, watermark, progress)
        else:
            landed = pull_snapshot(client, src, progress)
    if landed is None:
        return [
            BatchResult(src.name, "", "empty", 0, 0, 0, 0, 0.0, "no records since the watermark")
        ]
    return _publish_landed(lakehouse, *landed, progress)


def _ingest_drop(lakehouse, src: Source, progress: Progress, held_banks: set) -> list[BatchResult]:
    """Each bank's new files in date order; a bank with a held day waits, the others go on."""
    results = []
    drops = bank_drops()
    for bank, folder in drops:
        # A file landed before drops were per bank has no scope: it holds every bank.
        if bank in held_banks or None in held_banks:
            log.error("bank %s: a landed %s file is held; later files wait", bank, src.name)
            continue
        since = lakehouse.watermark(src.name, bank)
        if since is None and len(drops) == 1:  # a lakehouse from before per-bank watermarks:
            since = lakehouse.watermark(src.name)  # its one bank's watermark was unscoped
        for drop_file in ready_files(folder, src.name, since):
            results.extend(
                _publish_landed(lakehouse, *land_file(src, bank, drop_file, progress), progress)
            )
            if results[-1].status == "held":
                # Later days would move the watermark past the held file; they wait until
                # an operator fixes or releases it.
                log.error(
                    "bank %s: %s held; later %s files wait", bank, drop_file.path.name, src.name
                )
                break
    return results


def _publish_landed(
    lakehouse, manifest: Path, split: Split | None, progress: Progress
) -> list[BatchResult]:
    if split is None:  # landed and confirmed by an earlier run
        done = landing.read_manifest(manifest)
        return [
            BatchResult(
                done["dataset"],
                done["batch_id"],
                "already_published",
                done.get("rows", 0),
                0,
                0,
                0,
                0.0,
                "landed and published before",
            )
        ]
    return publish_landed(manifest, split, lakehouse=lakehouse, progress=progress)


def publish_landed(
    manifest: Path,
    split: Split | None = None,
    *,
    release: bool = False,
    lakehouse=None,
    progress: Progress | None = None,
) -> list[BatchResult]:
    """Publish a landed batch part by part (parts already published are skipped by the
    lakehouse) and record its answer in the landing zone. `release=True` is the operator's
    decision to publish a held batch despite its batch-level checks (see the runbook)."""
    lakehouse = lakehouse or _lakehouse()
    progress = progress or Progress()
    results: list[BatchResult] = []
    with split or split_manifest(manifest) as parts:
        for batch in batches(manifest, parts):
            results.append(_publish(lakehouse, batch, release))
            progress.published(batch.dataset, results[-1])
            if results[-1].status == "held":
                break  # later parts wait: the last one would move the watermark past it
    landing.mark_published(manifest, _whole(landing.read_manifest(manifest), results))
    return results


def _whole(manifest: dict, results: list[BatchResult]) -> BatchResult:
    """The landed batch's answer: held if a part was held, else published (or already)."""
    statuses = {r.status for r in results}
    status = (
        "held"
        if "held" in statuses
        else "already_published"
        if statuses == {"already_published"}
        else "published"
    )
    reasons: Counter[str] = Counter()
    observations: Counter[str] = Counter()
    for result in results:
        reasons.update(result.quarantine_reasons)
        observations.update(result.observations)
    messages = list(dict.fromkeys(r.message for r in results if r.message))
    return BatchResult(
        manifest["dataset"],
        manifest["batch_id"],
        status,
        sum(r.received for r in results),
        sum(r.published for r in results),
        sum(r.quarantined for r in results),
        sum(r.duplicates for r in results),
        sum(r.seconds for r in results),
        "; ".join(messages),
        dict(sorted(reasons.items())),
        dict(sorted(observations.items())),
    )


def _publish(lakehouse, batch, release: bool = False) -> BatchResult:
    started = time.perf_counter()
    if batch.unknown_fields:
        log.warning(
            "%s: batch %s carries fields the contract does not list: %s",
            batch.dataset,
            batch.batch_id,
            ", ".join(batch.unknown_fields),
        )
    crashpoint("connectors.before_publish")
    result = lakehouse.publish(batch, release=release)
    crashpoint("connectors.after_publish")
    if not result.seconds:
        result.seconds = time.perf_counter() - started
    log.info(
        "%s: batch %s %s: received %d, published %d, quarantined %d, duplicates %d",
        batch.dataset,
        batch.batch_id,
        result.status,
        result.received,
        result.published,
        result.quarantined,
        result.duplicates,
    )
    return result
