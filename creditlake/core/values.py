"""The value types of the feed contract (section 2), parsed from the text received, vectorised.

Everything a feed carries arrives as text (a JSON number is kept as the digits sent).
`parse(type, text)` gives the bronze-typed array and, per row, whether the text is a value
of that type. It accepts everything the contract allows, in every spelling the standards
behind it allow:

- `ts`: RFC 3339 (`T` or `t` or a space, `Z`/`z` or a numeric offset, any number of
  fraction digits; microseconds are kept), normalised to UTC;
- `date` ISO `YYYY-MM-DD`, `period` `YYYY-MM`, both real calendar values;
- `money`, `num`, `int`: a decimal as a JSON number or a string (an optional sign, an
  exponent as JSON numbers may carry); money is rounded to its 2 places, `int` must be whole.

`places_kept` tells where a number carried more places than bronze keeps (money 2, num 4):
an observation, not a reason to drop the record.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import DATE, INT, MONEY, NUM, PERIOD, STR, TS

UTC_TS = pa.timestamp("us", tz="UTC")
ARROW_TYPES = {
    STR: pa.string(),
    DATE: pa.date32(),
    TS: UTC_TS,
    PERIOD: pa.string(),  # 'YYYY-MM'
    MONEY: pa.decimal128(18, 2),
    INT: pa.int64(),
    NUM: pa.decimal128(20, 4),
}
_NULL = pa.scalar(None, pa.string())

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
TS_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$"
# The plain decimal every number takes after normalising (at most 16 integer digits: the
# widest bronze decimal holds 18 digits with 2 places).
PLAIN_NUMBER = r"^-?\d{1,16}(\.\d+)?$"
_NUMBER_LIKE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def text(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Trimmed text; empty strings count as absent."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    col = pc.utf8_trim_whitespace(col.cast(pa.string()))
    return pc.if_else(pc.equal(col, ""), _NULL, col)


def plain_numbers(values: pa.Array) -> pa.Array:
    """Numbers as plain decimals: '+1.5E3' -> '1500', '.5' -> '0.5'; anything else as it was.
    Only the rare rows that are not plain already go through Python."""
    plain = pc.fill_null(pc.match_substring_regex(values, PLAIN_NUMBER), True)
    if pc.all(plain).as_py():
        return values
    odd = pc.indices_nonzero(pc.invert(plain)).to_pylist()
    rows = values.to_pylist()
    for i in odd:
        rows[i] = _plain(rows[i])
    return pa.array(rows, pa.string())


def _plain(value: str) -> str:
    import re

    if not re.match(_NUMBER_LIKE, value):
        return value
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if abs(number.adjusted()) > 40:  # far outside any bronze decimal: leave it to fail the type
        return value
    out = format(number, "f")
    return out[1:] if out.startswith("+") else out


def places_kept(ftype: str, values: pa.Array) -> pa.Array:
    """True where a plain number has no more decimal places than its bronze type keeps (money
    2, num 4), ignoring trailing zeros; null where absent."""
    places = ARROW_TYPES[ftype].scale
    return pc.match_substring_regex(values, rf"^-?\d+(\.\d{{0,{places}}}0*)?$")


def parse(ftype: str, values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(bronze-typed array, parsed-ok array) of one field's trimmed text."""
    target = ARROW_TYPES[ftype]
    if ftype == STR:
        return values, pa.nulls(len(values), pa.bool_())
    if ftype in (MONEY, NUM, INT):
        return _parse_number(ftype, plain_numbers(values), target)
    pattern = {DATE: DATE_PATTERN, PERIOD: PERIOD_PATTERN, TS: TS_PATTERN}[ftype]
    looks_ok = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    clean = pc.if_else(looks_ok, values, _NULL)
    if ftype in (DATE, PERIOD):
        probe = clean if ftype == DATE else pc.binary_join_element_wise(clean, "-01", "")
        try:  # fast path: every well-shaped value is a real date
            value = pc.cast(probe, pa.date32())
            return (value if ftype == DATE else clean), looks_ok
        except pa.ArrowInvalid:
            pass
        stamp = pc.strptime(probe, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2026-02-30 over to March: a real date prints back the same.
        real = pc.fill_null(pc.equal(pc.strftime(stamp, format="%Y-%m-%d"), probe), False)
        ok = pc.and_(looks_ok, real)
        value = pc.if_else(ok, pc.cast(stamp, pa.date32()), pa.scalar(None, pa.date32()))
        return (value if ftype == DATE else pc.if_else(ok, values, _NULL)), ok
    return _parse_ts(clean, looks_ok, target)


def _parse_ts(
    clean: pa.Array, looks_ok: pa.Array, target: pa.DataType
) -> tuple[pa.Array, pa.Array]:
    iso = pc.utf8_upper(clean)
    iso = pc.replace_substring_regex(iso, r"^(\d{4}-\d{2}-\d{2}) ", r"\1T")
    iso = pc.replace_substring_regex(iso, r"(\.\d{6})\d+", r"\1")  # microseconds are kept
    iso = pc.replace_substring_regex(iso, r"([+-]\d{2})(\d{2})$", r"\1:\2")
    try:  # fast path: every well-shaped value is a real time
        return pc.cast(iso, target), looks_ok
    except pa.ArrowInvalid:
        pass
    probe = pc.strptime(
        pc.utf8_slice_codeunits(iso, 0, 19),
        format="%Y-%m-%dT%H:%M:%S",
        unit="s",
        error_is_null=True,
    )
    real = pc.fill_null(
        pc.equal(
            pc.strftime(probe, format="%Y-%m-%dT%H:%M:%S"), pc.utf8_slice_codeunits(iso, 0, 19)
        ),
        False,
    )
    ok = pc.and_(looks_ok, real)
    return pc.cast(pc.if_else(ok, iso, _NULL), target), ok


def _parse_number(ftype: str, values: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array]:
    looks_ok = pc.fill_null(pc.match_substring_regex(values, PLAIN_NUMBER), False)
    if ftype == INT:  # whole numbers only; '12.0' is twelve
        whole = pc.fill_null(pc.match_substring_regex(values, r"^-?\d{1,18}(\.0*)?$"), False)
        digits = pc.replace_substring_regex(pc.if_else(whole, values, _NULL), r"\.0*$", "")
        return pc.cast(digits, pa.int64()), whole
    clean = pc.if_else(looks_ok, values, _NULL)
    # through a wide decimal (at most 10 fraction digits kept), rounded to the bronze scale
    clean = pc.replace_substring_regex(clean, r"(\.\d{10})\d+$", r"\1")
    wide = pc.cast(clean, pa.decimal128(38, 10))
    return pc.cast(
        pc.round(wide, target.scale, round_mode="half_towards_infinity"), target
    ), looks_ok


def canonical_text(ftype: str, values: pa.Array, typed: pa.Array, ok: pa.Array) -> pa.Array:
    """What a record's content is compared by: the typed value's text where the value parsed
    (the same money as 12.5 or "12.50", the same instant in two offsets, compare equal), the
    trimmed text as received otherwise."""
    if ftype in (STR, PERIOD):
        return values
    as_text = pc.cast(typed, pa.string())
    return pc.if_else(pc.fill_null(ok, False), as_text, values)
