"""Arrow schemas of the lakehouse tables, derived from the feed contract.

pyiceberg creates each Iceberg table from these (field ids assigned on creation), and
publishing casts every batch to them, so the contract is the single source of types.
"""

from __future__ import annotations

import pyarrow as pa

from creditlake.core import contract
from creditlake.core.values import ARROW_TYPES, UTC_TS  # noqa: F401  (the bronze types)

LINEAGE = [
    pa.field("_batch_id", pa.string()),
    pa.field("_ingested_at", UTC_TS),
    pa.field("_source", pa.string()),
    pa.field("_record_hash", pa.string()),  # sha256 of the canonical (pseudonymised) record
]
FILE_DATE = pa.field("_file_date", pa.date32())  # the bank's drop-file business day
BANK_ID = pa.field("_bank_id", pa.string())  # the bank whose drop folder the file came from
FILE_LINEAGE = [FILE_DATE, BANK_ID]  # bank datasets only


def is_file_dataset(dataset: str) -> bool:
    return contract.dataset(dataset).is_file_drop


def identity(dataset: str) -> list[str]:
    """The columns that name one record: the contract key, and for bank files the bank (a
    bank's files never name another bank's loans, so two banks may use the same loan_id)."""
    key = list(contract.dataset(dataset).key)
    return [BANK_ID.name, *key] if is_file_dataset(dataset) else key


def version_column(dataset: str) -> str:
    """The column that orders versions of one key: updated_at, or the bank file date."""
    return "_file_date" if is_file_dataset(dataset) else "updated_at"


def bronze_schema(dataset: str) -> pa.Schema:
    ds = contract.dataset(dataset)
    fields = [pa.field(f.name, ARROW_TYPES[f.type]) for f in ds.fields]
    if is_file_dataset(dataset):
        fields.extend(FILE_LINEAGE)
    return pa.schema(fields + LINEAGE)


QUARANTINE = pa.schema(
    [
        pa.field("dataset", pa.string()),
        pa.field("batch_id", pa.string()),
        pa.field("row_number", pa.int64()),  # 0-based position in the batch as received
        pa.field("record_key", pa.string()),  # JSON object of the key fields (PII pseudonymised)
        pa.field(
            "reason_codes", pa.string()
        ),  # comma list of creditlake.core.contract.REASONS keys
        pa.field("reason_detail", pa.string()),
        pa.field("raw", pa.string()),  # the record as received, PII fields pseudonymised
        pa.field("source", pa.string()),
        pa.field(
            "record_hash", pa.string()
        ),  # same canonical hash as bronze: re-reads are not re-quarantined
        pa.field("quarantined_at", UTC_TS),
    ]
)

INGEST_LOG = pa.schema(
    [
        pa.field("dataset", pa.string()),
        pa.field("platform", pa.string()),
        pa.field("batch_id", pa.string()),
        pa.field("mode", pa.string()),
        pa.field("status", pa.string()),  # published | held
        pa.field("received", pa.int64()),
        pa.field("published", pa.int64()),
        pa.field("quarantined", pa.int64()),
        pa.field("duplicates", pa.int64()),
        pa.field("unknown_fields", pa.string()),
        pa.field("quarantine_reasons", pa.string()),  # JSON {reason: rows}
        pa.field("watermark", pa.string()),
        pa.field("as_of", UTC_TS),
        pa.field("message", pa.string()),
        pa.field("started_at", UTC_TS),
        pa.field("finished_at", UTC_TS),
        pa.field("landing_manifest", pa.string()),
        # JSON {"rule:field": rows} of the published rows that a check stricter than the contract
        # observed (creditlake.core.contract.OBSERVATIONS); they are published all the same
        pa.field("observations", pa.string()),
        pa.field(
            "scope", pa.string()
        ),  # the bank of a drop file (creditlake.core.batch.Batch.scope)
    ]
)

# The fitted scorecards (creditlake.model): lakehouse data, not git. The bins and grades have the
# shape of the expert card's seeds (dbt_project/seeds/scorecard_bins.csv, score_grades.csv), so
# fct_credit_score reads either card the same way.
SCORECARD_BINS = pa.schema(
    [
        pa.field("scorecard_version", pa.string()),
        pa.field("characteristic", pa.string()),
        pa.field("bin_order", pa.int64()),
        pa.field("lower_bound", pa.float64()),
        pa.field("upper_bound", pa.float64()),
        pa.field("matches_missing", pa.bool_()),
        pa.field("points", pa.int64()),
        pa.field("reason_code", pa.string()),
        pa.field("reason_text", pa.string()),
    ]
)
SCORE_GRADES = pa.schema(
    [
        pa.field("scorecard_version", pa.string()),
        pa.field("grade", pa.string()),
        pa.field("min_score", pa.int64()),
        pa.field("max_score", pa.int64()),
        pa.field("decision", pa.string()),
        pa.field("line_factor", pa.float64()),
    ]
)
# Recalibrated warning thresholds, in the shape of the seed warning_thresholds.
WARNING_THRESHOLDS = pa.schema(
    [
        pa.field("threshold_version", pa.string()),
        pa.field("signal", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("comparison", pa.string()),
        pa.field("amber_threshold", pa.float64()),
        pa.field("red_threshold", pa.float64()),
        pa.field("description", pa.string()),
    ]
)
# One row per fitted card: what it was trained on and how it tested (JSON columns hold lists).
SCORECARDS = pa.schema(
    [
        pa.field("scorecard_version", pa.string()),
        pa.field("fitted_at", UTC_TS),
        pa.field("train_first_period", pa.string()),
        pa.field("train_last_period", pa.string()),
        pa.field("test_first_period", pa.string()),
        pa.field("test_last_period", pa.string()),
        pa.field("train_rows", pa.int64()),
        pa.field("train_defaulters", pa.int64()),
        pa.field("features", pa.string()),  # JSON [{characteristic, iv, coefficient, bins}]
        pa.field("scaling", pa.string()),  # JSON {base_score, base_odds, pdo, factor, offset}
        pa.field("metrics", pa.string()),  # JSON: the test window's figures
        pa.field("code_version", pa.string()),
    ]
)
# Every gate decision, promoted or not, with the figures it was taken on: for a scorecard, or
# for a set of warning thresholds (the versions are then threshold versions).
SCORECARD_DECISIONS = pa.schema(
    [
        pa.field("decided_at", UTC_TS),
        pa.field("as_of_period", pa.string()),  # the loan book's last month the run saw
        pa.field("challenger_version", pa.string()),  # null when no card could be fitted
        pa.field("champion_version", pa.string()),  # the card in use before the decision
        pa.field("outcome", pa.string()),  # promoted | kept | cold_start
        pa.field("reason", pa.string()),
        pa.field("figures", pa.string()),  # JSON: both cards' test metrics, margins, counts
        pa.field("kind", pa.string()),  # scorecard | warning_thresholds (null: scorecard)
    ]
)
