"""The bank file drop (contract section 5): loans_YYYYMMDD.csv.gz, repayments_YYYYMMDD.csv.gz,
in one folder per bank (connectors.settings.bank_drops); each row carries its bank (_bank_id)
and each bank has its own watermark.

A file counts only once its `.sha256` companion (written last by the bank) exists and
matches. Files newer than the dataset's watermark are taken in date order, one batch
each; the first file that is not complete yet stops the run there, so the watermark
never passes over a file that has not been loaded.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from creditlake.connectors.errors import ConnectorError
from creditlake.connectors.landed import commit_split, split_files
from creditlake.connectors.landing import (
    MANIFEST,
    Staging,
    dataset_dir,
    is_published,
    now_utc,
    rfc3339,
    sha256_file,
)
from creditlake.connectors.sources import FILE, Source
from creditlake.connectors.split import Split
from creditlake.core.crashpoints import crashpoint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DropFile:
    path: Path
    day: date
    sha256: str  # as the companion states it

    @property
    def file_date(self) -> str:
        return self.day.isoformat()


def _companion_sha(companion: Path) -> str | None:
    text = companion.read_text(encoding="utf-8", errors="replace").split()
    return text[0].lower() if text and re.fullmatch(r"[0-9a-fA-F]{64}", text[0]) else None


def ready_files(drop: Path, dataset: str, after: str | None) -> list[DropFile]:
    """Complete files of `dataset` dated after `after` (YYYY-MM-DD), oldest first.

    Stops at the first file without a companion (still being written); a file whose
    bytes do not match its companion is an error (the bank must re-send it).
    """
    pattern = re.compile(rf"^{re.escape(dataset)}_(\d{{8}})\.csv\.gz$")
    dated = []
    for path in drop.iterdir():
        match = pattern.match(path.name)
        if match:
            day = datetime.strptime(match.group(1), "%Y%m%d").date()
            if after is None or day.isoformat() > after:
                dated.append((day, path))
    ready: list[DropFile] = []
    for day, path in sorted(dated):
        companion = path.with_name(path.name + ".sha256")
        expected = _companion_sha(companion) if companion.exists() else None
        if expected is None:
            log.info(
                "bank: %s has no complete .sha256 companion yet; waiting (and for later files)",
                path.name,
            )
            break
        actual = sha256_file(path)
        if actual != expected:
            raise ConnectorError(
                f"bank: {path} does not match its companion {companion.name} "
                f"(sha256 {actual}, companion says {expected}); ask the bank to re-send it"
            )
        ready.append(DropFile(path, day, expected))
    return ready


def land_file(
    src: Source, bank: str, drop_file: DropFile, progress=None
) -> tuple[Path, Split | None]:
    """Copy one drop file of `bank` into the landing zone as one batch (streamed, verified)."""
    batch_id = f"{src.name}-{bank}-{FILE}-{drop_file.day:%Y%m%d}-{drop_file.sha256[:8]}"
    landed = dataset_dir(src.platform, src.name) / batch_id
    if is_published(landed):
        return landed / MANIFEST, None
    fetched_at = now_utc()
    extra = {"_file_date": drop_file.file_date, "_bank_id": bank}
    with Staging(src.platform, src.name) as stage:
        target = stage.path(drop_file.path.name)
        digest, size = hashlib.sha256(), 0
        with open(drop_file.path, "rb") as source, open(target, "wb") as out:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        if digest.hexdigest() != drop_file.sha256:
            raise ConnectorError(
                f"bank: {drop_file.path} changed while being copied; re-run to load it"
            )
        stage.add(target.name, drop_file.sha256, size, source=drop_file.path.name, format="csv.gz")
        if progress:
            progress.advance(src.name, pages=1, bytes=size)
        split = split_files(src.contract, src.platform, stage.dir, stage.files, extra)
        if progress:
            progress.advance(src.name, rows=split.rows)
        # the file's business day is its as-of: end of that day
        as_of = datetime.combine(drop_file.day, time(23, 59, 59), UTC)
        manifest_path = commit_split(
            stage,
            split,
            batch_id,
            {
                "mode": FILE,
                "format": "files",
                "request": {
                    "drop_file": drop_file.path.name,
                    "companion": drop_file.path.name + ".sha256",
                },
                "fetched_at": rfc3339(fetched_at),
                "as_of": rfc3339(as_of),
                "scope": bank,
                "watermark_from": None,
                "watermark_to": drop_file.file_date,
                "extra_columns": extra,
            },
        )
    crashpoint("connectors.landed")
    return manifest_path, split
