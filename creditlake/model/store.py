"""The model.* Iceberg tables: fitted cards (bins, grades, their record) and gate decisions.
Append only; a card is stored once per version, a decision once per as-of month."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa

from creditlake.core import schemas
from creditlake.lakehouse.catalog import commit_with_retry, table
from creditlake.model.card import Card

BINS, GRADES, CARDS, DECISIONS, THRESHOLDS = (
    "model.scorecard_bins",
    "model.score_grades",
    "model.scorecards",
    "model.scorecard_decisions",
    "model.warning_thresholds",
)
SCORECARD, WARNING_THRESHOLDS = "scorecard", "warning_thresholds"  # the kinds of decision


def _append(name: str, schema: pa.Schema, rows: pa.Table) -> None:
    commit_with_retry(name, schema, lambda tbl: tbl.append(rows.cast(schema)))


def _read(name: str, schema: pa.Schema) -> pa.Table:
    tbl = table(name)
    return schema.empty_table() if tbl is None else tbl.scan().to_arrow()


def has_card(version: str) -> bool:
    cards = _read(CARDS, schemas.SCORECARDS)
    return version in cards.column("scorecard_version").to_pylist()


def save_card(card: Card, record: dict) -> None:
    """Store `card` with its record (training window, counts, metrics, code version)."""
    if has_card(card.version):
        return
    _append(BINS, schemas.SCORECARD_BINS, card.bins)
    _append(GRADES, schemas.SCORE_GRADES, card.grades)
    row = {"scorecard_version": card.version, "fitted_at": datetime.now(UTC), **record}
    for column in ("features", "scaling", "metrics"):
        row[column] = json.dumps(row[column], sort_keys=True, default=float)
    _append(CARDS, schemas.SCORECARDS, pa.Table.from_pylist([row], schema=schemas.SCORECARDS))


def save_thresholds(thresholds: pa.Table) -> None:
    """Store a recalibrated threshold version (once)."""
    version = thresholds.column("threshold_version")[0].as_py()
    stored = _read(THRESHOLDS, schemas.WARNING_THRESHOLDS).column("threshold_version")
    if version not in stored.to_pylist():
        _append(THRESHOLDS, schemas.WARNING_THRESHOLDS, thresholds)


def log_decision(decision: dict) -> dict:
    row = {"kind": SCORECARD, **decision, "decided_at": datetime.now(UTC)}
    row["figures"] = json.dumps(decision["figures"], sort_keys=True, default=float)
    _append(
        DECISIONS,
        schemas.SCORECARD_DECISIONS,
        pa.Table.from_pylist([row], schema=schemas.SCORECARD_DECISIONS),
    )
    return {**row, "figures": decision["figures"]}


def decisions(kind: str | None = None) -> list[dict]:
    """Every gate decision (of `kind`, or all), newest first, its figures parsed."""
    rows = _read(DECISIONS, schemas.SCORECARD_DECISIONS).sort_by([("decided_at", "descending")])
    return [
        {**r, "kind": r.get("kind") or SCORECARD, "figures": json.loads(r["figures"])}
        for r in rows.to_pylist()
        if kind in (None, r.get("kind") or SCORECARD)
    ]


def decision_for(as_of_period: str, kind: str = SCORECARD) -> dict | None:
    """The decision of `kind` already taken for `as_of_period`, if any (a month is decided once)."""
    return next((d for d in decisions(kind) if d["as_of_period"] == as_of_period), None)
