"""Pull a platform dataset over HTTP and land it: incremental pages or a bulk snapshot.

Each function returns the landed batch's manifest path and its parts (connectors.split,
cut while landing so the files are parsed once), or None when there was nothing to land.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from creditlake.connectors.errors import ConnectorError
from creditlake.connectors.http import PlatformClient, without_query
from creditlake.connectors.landed import commit_split, compact, split_files
from creditlake.connectors.landing import (
    MANIFEST,
    Staging,
    dataset_dir,
    is_published,
    now_utc,
    parse_ts,
    rfc3339,
)
from creditlake.connectors.settings import page_size
from creditlake.connectors.sources import INCREMENTAL, SNAPSHOT, Source
from creditlake.connectors.split import Split
from creditlake.core.crashpoints import crashpoint

log = logging.getLogger(__name__)


class _Progress:
    def advance(self, dataset: str, pages: int = 0, rows: int = 0, bytes: int = 0) -> None:  # noqa: A002
        pass


def _check_page(doc) -> None:
    if not (isinstance(doc, dict) and isinstance(doc.get("data"), list) and "next_cursor" in doc):
        raise ValueError("not a page: expected an object with 'data' and 'next_cursor'")


def _check_listing(doc) -> None:
    if not (isinstance(doc, dict) and isinstance(doc.get("snapshots"), list)):
        raise ValueError("not a snapshot listing: expected an object with 'snapshots'")


def _normalise_ts(value: str | None, fallback: datetime) -> str:
    try:
        return rfc3339(parse_ts(value)) if value else rfc3339(fallback)
    except ValueError:
        return rfc3339(fallback)


def _later(current: datetime | None, value) -> datetime | None:
    """The later of two as-of times. A server need not pin its clock for a whole pull (a
    cursor lives 15 minutes): records on later pages may be newer than the first page's
    as_of, and must not be judged future-dated against it."""
    try:
        moment = parse_ts(value) if isinstance(value, str) and value else None
    except ValueError:
        moment = None
    if moment is None or (current is not None and current >= moment):
        return current
    return moment


def incremental_since(watermark: str | None, start_from: str, lookback: timedelta) -> str:
    """Where the next pull starts: the committed watermark (updated_since is exclusive and
    records are ordered by updated_at, contract section 1.1), minus an optional lookback for
    a platform known to commit records late (re-read records are recognised as duplicates)."""
    if not watermark:
        return start_from
    return rfc3339(parse_ts(watermark) - lookback)


def pull_incremental(
    client: PlatformClient, src: Source, since: str, previous: str | None, progress=None
) -> tuple[Path, Split] | None:
    progress = progress or _Progress()
    fetched_at = now_utc()
    with Staging(src.platform, src.name) as stage:
        cursor, page_no, as_of = None, 0, None
        size = page_size(src.page_size)
        while True:
            params = {"updated_since": since, "page_size": size}
            if cursor:
                params["cursor"] = cursor
            page = client.get_json(src.path, params, check=_check_page)
            page_no += 1
            rows = len(page.doc["data"])
            stage.write(
                f"page-{page_no:05d}.json",
                page.body,
                source=page.url,
                rows=rows,
                format="json-page",
            )
            progress.advance(src.name, pages=1, rows=rows, bytes=len(page.body))
            as_of = _later(as_of, page.doc.get("as_of"))
            crashpoint("connectors.page_landed")
            previous_cursor, cursor = cursor, page.doc.get("next_cursor")
            if not cursor:
                break
            if cursor == previous_cursor:  # a server bug would otherwise loop for ever
                raise ConnectorError(
                    f"{client.platform}: {page.url} returned its own cursor as next_cursor; "
                    "the pull cannot advance"
                )
        as_of = rfc3339(as_of or fetched_at)
        split = split_files(
            src.contract, src.platform, stage.dir, stage.files, cursor_not_after=as_of
        )
        if split.rows == 0:
            split.close()
            return None
        batch_id = (
            f"{src.name}-{INCREMENTAL}-{compact(since)}-{compact(as_of)}-{split.content_digest[:8]}"
        )
        manifest_path = commit_split(
            stage,
            split,
            batch_id,
            {
                "mode": INCREMENTAL,
                "format": "json-pages",
                "request": {
                    "method": "GET",
                    "url": client.url(src.path),
                    "params": {"updated_since": since, "page_size": size},
                    "pages": page_no,
                },
                "fetched_at": rfc3339(fetched_at),
                "as_of": as_of,
                "watermark_from": since,
                "watermark_to": split.newest_cursor or previous,
            },
        )
    crashpoint("connectors.landed")
    return manifest_path, split


def server_clock(client: PlatformClient, src: Source) -> datetime:
    """The platform's own 'now' (its pages carry as_of): snapshots are listed by its date."""
    probe = client.get_json(
        src.path, {"updated_since": rfc3339(datetime.now(UTC)), "page_size": 1}, check=_check_page
    )
    as_of = probe.doc.get("as_of")
    if not as_of:
        raise ConnectorError(f"{client.platform}: {probe.url} returned no as_of")
    return parse_ts(as_of)


def pull_snapshot(
    client: PlatformClient, src: Source, progress=None, as_of_date: str | None = None
) -> tuple[Path, Split | None]:
    """Land the newest snapshot as of the platform's date. If it is already landed and
    published, returns its manifest and None (nothing to parse or publish again)."""
    progress = progress or _Progress()
    fetched_at = now_utc()
    day = as_of_date or server_clock(client, src).date().isoformat()
    listing = client.get_json(src.snapshots_path, {"as_of": day}, check=_check_listing)
    snapshots = listing.doc["snapshots"]
    if not snapshots:
        raise ConnectorError(
            f"{client.platform}: no snapshot of {src.name} as of {day} ({listing.url})"
        )
    snap = max(
        snapshots, key=lambda s: _later(None, s.get("as_of")) or datetime.min.replace(tzinfo=UTC)
    )
    files = snap.get("files") or []
    as_of = _normalise_ts(snap.get("as_of"), fetched_at)
    ident = hashlib.sha256(
        "|".join([str(snap.get("snapshot_id"))] + [f["sha256"] for f in files]).encode()
    )
    batch_id = f"{src.name}-{SNAPSHOT}-{compact(as_of)}-{ident.hexdigest()[:8]}"
    landed = dataset_dir(src.platform, src.name) / batch_id
    if is_published(landed):
        return landed / MANIFEST, None
    with Staging(src.platform, src.name) as stage:
        for number, entry in enumerate(files, 1):
            # keep the platform's file name (prefixed: names only need be unique per batch)
            remote = PurePosixPath(urlparse(entry["url"]).path).name or f"file.{entry['format']}"
            name = f"{number:05d}-{remote}"
            size = client.download(
                entry["url"],
                stage.path(name),
                entry["sha256"],
                on_bytes=lambda n: progress.advance(src.name, bytes=n),
            )
            stage.add(
                name,
                entry["sha256"].lower(),
                size,
                source=without_query(entry["url"]),
                format=entry["format"],
                rows=entry.get("rows"),
            )
            progress.advance(src.name, pages=1, rows=int(entry.get("rows") or 0))
            crashpoint("connectors.snapshot_file_landed")
        split = split_files(
            src.contract, src.platform, stage.dir, stage.files, cursor_not_after=as_of
        )
        declared = sum(int(f.get("rows") or 0) for f in files)
        if declared and declared != split.rows:
            log.warning(
                "%s/%s: snapshot declares %d rows, files hold %d",
                src.platform,
                src.name,
                declared,
                split.rows,
            )
        manifest_path = commit_split(
            stage,
            split,
            batch_id,
            {
                "mode": SNAPSHOT,
                "format": "files",
                "request": {
                    "method": "GET",
                    "url": listing.url,
                    "snapshot_id": snap.get("snapshot_id"),
                },
                "rows_declared": declared,
                "fetched_at": rfc3339(fetched_at),
                "as_of": as_of,
                "watermark_from": None,
                "watermark_to": split.newest_cursor,
            },
        )
    crashpoint("connectors.landed")
    return manifest_path, split
