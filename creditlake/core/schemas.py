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
