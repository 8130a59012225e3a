"""Produce (or reproduce) a period's regulator extracts.

    first run of a period : read bronze at its current snapshots, record their ids
    re-run of a period    : read bronze at the recorded ids -> the same bytes as before
    --refresh             : read the current snapshots again (a corrected resubmission)

The snapshots read are tagged in Iceberg (`extract-<period>`) so snapshot expiry keeps
them for as long as the tag lives; the tag is what makes a re-run possible months later.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from creditlake.extracts.config import RegulatorConfig, load_config
from creditlake.extracts.files import write_manifest, write_table
from creditlake.extracts.inclusive_finance import SCHEMA_VERSION, Period, build_report

log = logging.getLogger("creditlake.extracts")

PINNED_DATASETS = ("loans", "enterprises")  # the bronze tables whose snapshots a period pins
EXTRACTS = ("inclusive_finance", "loan_level")


@dataclass
class ExtractResult:
    period: str
    folders: dict[str, Path]
    manifests: dict[str, dict]
    reused_snapshots: bool
    deliveries: list[dict]
    checks: list[dict]  # the four inclusive-finance items with pass/fail


def extract_folder(config: RegulatorConfig, extract: str, period: str) -> Path:
    return config.drop_dir / extract / period


def recorded_snapshots(config: RegulatorConfig, period: str) -> dict[str, int] | None:
    path = extract_folder(config, EXTRACTS[0], period) / "manifest.json"
    if not path.exists():
        return None
    return {
        table: int(sid)
        for table, sid in json.loads(path.read_text(encoding="utf-8"))["snapshots"].items()
    }


def current_snapshots() -> dict[str, int]:
    from creditlake.lakehouse.catalog import catalog

    ids = {}
    for dataset in PINNED_DATASETS:
        snapshot = catalog().load_table(f"bronze.{dataset}").current_snapshot()
        if snapshot is None:
            raise RuntimeError(
                f"bronze.{dataset} has no snapshot yet: ingest the {dataset} feed first"
            )
        ids[f"bronze.{dataset}"] = snapshot.snapshot_id
    return ids


def run_extract(
    period: str, refresh: bool = False, deliver: bool = True, config: RegulatorConfig | None = None
) -> ExtractResult:
    from creditlake.lakehouse.read import read_bronze

    config = config or load_config()
    when = Period.parse(period)
    snapshots = None if refresh else recorded_snapshots(config, str(when))
    reused = snapshots is not None
    snapshots = snapshots or current_snapshots()
    loans = read_bronze("loans", snapshot_id=snapshots["bronze.loans"])
    enterprises = read_bronze("enterprises", snapshot_id=snapshots["bronze.enterprises"])
    items, figures, loan_rows, day = build_report(loans, enterprises, when, config)

    tables = {
        "inclusive_finance": [
            ("inclusive_finance_checks", items),
            ("inclusive_finance_figures", figures),
        ],
        "loan_level": [("loan_level", loan_rows)],
    }
    folders, manifests = {}, {}
    for extract, parts in tables.items():
        folder = extract_folder(config, extract, str(when))
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for stem, table in parts:
            files += write_table(table, folder, f"{stem}_{when}")
        manifest = {
            "extract": extract,
            "period": str(when),
            "reporting_date": day.isoformat(),
            "schema_version": SCHEMA_VERSION,
            "snapshots": {k: str(v) for k, v in sorted(snapshots.items())},
            "config": config.fingerprint(),
            "files": files,
            "row_counts": {
                f["name"].rsplit(".", 1)[0]: f["rows"] for f in files if f["format"] == "csv"
            },
        }
        write_manifest(folder, manifest)
        folders[extract], manifests[extract] = folder, manifest
    _tag_snapshots(snapshots, str(when))
    deliveries = []
    if deliver and config.endpoint:
        from creditlake.extracts.deliver import post_extract

        for extract in EXTRACTS:
            deliveries.append(
                post_extract(folders[extract], manifests[extract], config.endpoint, config.token)
            )
    return ExtractResult(str(when), folders, manifests, reused, deliveries, items.to_pylist())


def _tag_snapshots(snapshots: dict[str, int], period: str) -> None:
    from creditlake.lakehouse.catalog import catalog

    tag = f"extract-{period}"
    for name, snapshot_id in snapshots.items():
        table = catalog().load_table(name)
        ref = table.metadata.refs.get(tag)
        if ref is not None and ref.snapshot_id == snapshot_id:
            continue
        with table.manage_snapshots() as manage:
            if ref is not None:  # a --refresh moves the tag to the snapshots now read
                manage.remove_tag(tag)
            manage.create_tag(snapshot_id=snapshot_id, tag_name=tag)
