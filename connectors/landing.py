"""The raw landing zone: the exact bytes received, per batch, with a manifest.

    WAREHOUSE/landing/<platform>/<dataset>/<batch_id>/
        page-00001.json ...            (incremental pages, bytes as received)
        <snapshot or bank file names>  (as downloaded / copied)
        manifest.json                  (request without secrets, sha256 and rows per file,
                                        fetched_at, as_of, mode, watermark_from/to)
        published.json                 (the lakehouse's answer: published, already_published
                                        or held; written after publish returned)

A batch is staged in a hidden folder and becomes visible by one rename, manifest
included: a batch folder without a manifest never exists, so a crash at any point
leaves either nothing or a complete batch that the next run publishes (replay).
Landing files hold personal data: they are deleted after the retention period and
never exported.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from creditlake.connectors.settings import landing_retention_days
from creditlake.core.config import warehouse_dir
from creditlake.core.crashpoints import crashpoint

MANIFEST, PUBLISHED, STAGING_PREFIX = "manifest.json", "published.json", ".staging-"


def landing_root() -> Path:
    return warehouse_dir() / "landing"


def dataset_dir(platform: str, dataset: str) -> Path:
    return landing_root() / platform / dataset


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def parse_ts(value: str) -> datetime:
    """An RFC 3339 timestamp in any of its spellings, as an aware UTC datetime."""
    moment = datetime.fromisoformat(value.strip().upper().replace("Z", "+00:00"))
    if moment.tzinfo is None:  # the contract's times are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Staging:
    """A batch being landed: files go into a hidden folder until `commit`."""

    def __init__(self, platform: str, dataset: str):
        self.platform, self.dataset = platform, dataset
        self.parent = dataset_dir(platform, dataset)
        self.dir = self.parent / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        self.dir.mkdir(parents=True)
        self.files: list[dict] = []

    def path(self, name: str) -> Path:
        return self.dir / name

    def write(self, name: str, data: bytes, **extra) -> Path:
        path = self.path(name)
        with open(path, "wb") as out:
            out.write(data)
        self.files.append(
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), **extra}
        )
        return path

    def add(self, name: str, sha256: str, size: int, **extra) -> None:
        """Record a file already streamed into `path(name)`."""
        self.files.append({"name": name, "bytes": size, "sha256": sha256, **extra})

    def commit(self, batch_id: str, manifest: dict) -> Path:
        """Write the manifest and make the batch visible; returns the manifest path.

        If the same batch (same id: same window, same content) was landed before, the
        earlier landing is kept and this copy dropped.
        """
        target = self.parent / batch_id
        manifest = {
            "batch_id": batch_id,
            "platform": self.platform,
            "dataset": self.dataset,
            **manifest,
            "files": self.files,
        }
        if target.exists():
            self.discard()
            return target / MANIFEST
        # fsync the data files before the manifest says they are complete
        for entry in self.files:
            with open(self.path(entry["name"]), "rb+") as f:
                os.fsync(f.fileno())
        write_atomic(
            self.dir / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode()
        )
        crashpoint("connectors.landing.before_rename")
        try:
            self.dir.rename(target)
        except OSError:
            if not (target / MANIFEST).exists():
                raise
            self.discard()  # another run landed the same batch meanwhile
        return target / MANIFEST

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is not None or self.dir.exists():
            self.discard()  # failed or superseded: never leave half a batch behind


def read_manifest(manifest_path: Path) -> dict:
    return json.loads(Path(manifest_path).read_text())


DONE_STATUSES = ("published", "already_published")


def publish_status(batch_dir: Path) -> str | None:
    """The lakehouse's answer recorded for a landed batch: published, held, or None."""
    marker = Path(batch_dir) / PUBLISHED
    if not marker.exists():
        return None
    return json.loads(marker.read_text()).get("status")


def is_published(batch_dir: Path) -> bool:
    """True once the lakehouse committed the batch (a held batch is not published)."""
    return publish_status(batch_dir) in DONE_STATUSES


def mark_published(manifest_path: Path, result) -> None:
    summary = asdict(result) if hasattr(result, "__dataclass_fields__") else dict(result)
    summary["marked_at"] = rfc3339(now_utc())
    write_atomic(Path(manifest_path).parent / PUBLISHED, json.dumps(summary, indent=1).encode())


def unpublished_batches(platform: str, dataset: str) -> list[Path]:
    """Manifests of landed batches the lakehouse never answered for, oldest first.

    A held batch has an answer: it is re-validated when the same window is pulled
    again, not replayed blindly."""
    parent = dataset_dir(platform, dataset)
    if not parent.is_dir():
        return []
    found = []
    for child in parent.iterdir():
        if child.name.startswith("."):
            continue
        manifest = child / MANIFEST
        if manifest.exists() and not (child / PUBLISHED).exists():
            found.append((read_manifest(manifest).get("fetched_at", ""), child.name, manifest))
    return [m for *_, m in sorted(found)]


def remove_stale_staging(platform: str, dataset: str) -> int:
    """Delete staging folders left by a crashed run (nothing in them was published)."""
    parent = dataset_dir(platform, dataset)
    if not parent.is_dir():
        return 0
    stale = [p for p in parent.iterdir() if p.name.startswith(STAGING_PREFIX)]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return len(stale)


def prune_landing(older_than_days: int | None = None) -> list[Path]:
    """Delete published landing batches fetched more than `older_than_days` ago.

    Unpublished and held batches are kept whatever their age (they are the only copy of
    data the lakehouse has not accepted yet). Default: CREDITLAKE_LANDING_RETENTION_DAYS (30).
    """
    days = older_than_days if older_than_days is not None else landing_retention_days()
    cutoff = rfc3339(now_utc() - timedelta(days=days))
    removed: list[Path] = []
    root = landing_root()
    if not root.is_dir():
        return removed
    for manifest in sorted(root.glob(f"*/*/*/{MANIFEST}")):
        batch_dir = manifest.parent
        if batch_dir.name.startswith("."):
            continue
        fetched_at = read_manifest(manifest).get("fetched_at", "")
        if is_published(batch_dir) and fetched_at < cutoff:
            shutil.rmtree(batch_dir)
            removed.append(batch_dir)
    for staging in root.glob(f"*/*/{STAGING_PREFIX}*"):  # crashed runs' leftovers
        modified = datetime.fromtimestamp(staging.stat().st_mtime, UTC)
        if modified < now_utc() - timedelta(days=days):
            shutil.rmtree(staging, ignore_errors=True)
            removed.append(staging)
    return removed
