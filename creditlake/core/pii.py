"""Pseudonymisation of personal data (contract section 4): keyed HMAC-SHA256, hex.

The key comes from CREDITLAKE_PII_KEY (configuration, never code). The same input and
key give the same token, so joins on pseudonymised columns still work; without the key
nobody can recompute or reverse a token.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core import contract
from creditlake.core.config import env


class PiiKeyMissing(RuntimeError):
    pass


# Free-text fields that carry personal data only on some rows: a legal-representative
# change records the old and new representative's name.
CONDITIONAL_PII = {
    "enterprise_changes": ("change_type", ("legal_rep",), ("before", "after")),
}


def pii_key() -> bytes:
    key = env("CREDITLAKE_PII_KEY")
    if not key:
        raise PiiKeyMissing(
            "CREDITLAKE_PII_KEY is not set: personal data (id numbers, phones, names) must be "
            "pseudonymised with a configured key before it leaves the landing zone. Set it in "
            "the environment or the Airflow Variable/Connection that feeds it."
        )
    return key.encode()


def token(value: str, key: bytes | None = None) -> str:
    return hmac.new(key or pii_key(), value.encode(), hashlib.sha256).hexdigest()


def pseudonymise_array(values: pa.Array | pa.ChunkedArray, key: bytes | None = None) -> pa.Array:
    """HMAC every non-null value of a string array; nulls stay null."""
    key = key or pii_key()
    base = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for v in values.to_pylist():
        if v is None:
            out.append(None)
        else:
            h = base.copy()
            h.update(v.encode())
            out.append(h.hexdigest())
    return pa.array(out, pa.string())


def pii_columns(dataset: str) -> list[str]:
    return contract.dataset(dataset).pii_fields


def pseudonymise_table(dataset: str, table: pa.Table, key: bytes | None = None) -> pa.Table:
    """Replace every personal-data column (and conditional ones) by its tokens."""
    key = key or (pii_key() if _has_pii(dataset) else None)
    for name in pii_columns(dataset):
        if name in table.column_names:
            table = table.set_column(
                table.column_names.index(name), name, pseudonymise_array(table[name], key)
            )
    if dataset in CONDITIONAL_PII:
        flag, values, columns = CONDITIONAL_PII[dataset]
        if flag in table.column_names:
            mask = pc.fill_null(pc.is_in(table[flag], pa.array(values)), False)
            for name in columns:
                if name in table.column_names:
                    hashed = pseudonymise_array(table[name], key)
                    table = table.set_column(
                        table.column_names.index(name), name, pc.if_else(mask, hashed, table[name])
                    )
    return table


def _has_pii(dataset: str) -> bool:
    return bool(pii_columns(dataset)) or dataset in CONDITIONAL_PII


def pseudonymise_raw(dataset: str, raw: str | None, row: dict, key: bytes | None = None) -> str:
    """The raw record text with personal fields replaced by tokens.

    `row` is the record's (already pseudonymised) values: when the raw text is not a
    JSON object we cannot edit safely, those values are stored instead of the text.
    """
    if not _has_pii(dataset):
        return raw if raw is not None else json.dumps(row, ensure_ascii=False)
    key = key or pii_key()
    try:
        record = json.loads(raw) if raw is not None else None
    except (json.JSONDecodeError, TypeError):
        record = None
    if not isinstance(record, dict):
        return json.dumps(row, ensure_ascii=False)
    for name in pii_columns(dataset):
        if record.get(name) is not None:
            record[name] = token(str(record[name]), key)
    if dataset in CONDITIONAL_PII:
        flag, values, columns = CONDITIONAL_PII[dataset]
        if record.get(flag) in values:
            for name in columns:
                if record.get(name) is not None:
                    record[name] = token(str(record[name]), key)
    return json.dumps(record, ensure_ascii=False)
