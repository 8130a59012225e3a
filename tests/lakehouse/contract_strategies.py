"""Hypothesis strategies for feed-contract records, derived from `creditlake.core.contract`.

A generated record (`Record`) keeps the value each field was *sent* as (`sent`: a Decimal
with the places sent, a UTC datetime, a date, ...) and knows what bronze must hold for it
(`typed()`). How it is spelled on the wire is drawn separately (`rendered`), so the same
record can be sent twice in different spellings: money as a JSON number or a string with
0-2 places, a timestamp in any RFC 3339 spelling, an optional field absent or null.

The delivery helpers write what a platform sends: a JSON page, a jsonl.gz or a csv.gz
file (RFC 4180, header row, optional BOM, CRLF), as bytes, by hand, so that every spelling
the contract allows can be produced (and, for bad records, bytes that are not UTF-8).

Valid values stay well inside the plausible ranges of `expectations.ranges` (part of the
contract's "far outside any plausible range" rule): dates from 1949-10-01 to the batch's
as-of time (to 2100-12-31 where the contract says `future`), periods from 1990-01, numbers
up to half their range's maximum.
"""

from __future__ import annotations

import calendar
import gzip
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import strategies as st

from creditlake.core import contract, pii, schemas, uscc
from creditlake.core.contract import DATE, INT, MONEY, NUM, PERIOD, STR, TS
from creditlake.expectations import frame, ranges

UTC = UTC
OLDEST_DAY = date(1949, 10, 1)  # ranges.OLDEST_DATE
OLDEST_MONTH = (1990, 1)  # ranges.OLDEST_PERIOD
LATEST_DAY = date(2100, 12, 31)  # ranges.LATEST_DATE
PLACES = {MONEY: 2, NUM: 4}  # bronze scale: money decimal(18,2), num decimal(20,4)
# creditlake trims text (creditlake.core.values.text) as Python's str.strip() does: generated text
# never starts or ends with white space.


# -- what is sent ------------------------------------------------------------------------------


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()  # a field the record does not carry at all


@dataclass(frozen=True)
class Num:
    """A JSON number literal exactly as written (a CSV cell writes the same text)."""

    text: str


@dataclass(frozen=True)
class BadBytes:
    """Text with bytes that are not UTF-8 (raw in the file, or as JSON \\uXXXX surrogate escapes)."""

    before: str
    raw: bytes
    after: str
    escaped: bool = False


@dataclass
class Record:
    dataset: str
    sent: dict[str, Any]  # field -> value as sent (None: null or absent)
    file_date: date | None = None  # bank files: the drop file's business day (the version)

    @property
    def observed(self) -> frozenset[str]:
        """ "rule:field" of the checks stricter than the contract that this (valid) record trips."""
        notes = set()
        for f in self.ds.fields:
            value = self.sent[f.name]
            if value is None:
                continue
            if (
                f.identifier in ("legacy", "uscc_or_legacy")
                and len(value) == 15
                and not uscc.is_valid_legacy(value)
            ):
                notes.add(f"legacy_check_digit:{f.name}")
            if f.identifier == "region" and value not in _region_set():
                notes.add(f"region_code_not_in_reference:{f.name}")
            if f.type in PLACES and value.normalize().as_tuple().exponent < -PLACES[f.type]:
                notes.add(f"{f.type}_more_places_than_kept:{f.name}")
        return frozenset(notes)

    @property
    def ds(self) -> contract.Dataset:
        return contract.dataset(self.dataset)

    def key(self) -> tuple:
        return tuple(self.sent[k] for k in self.ds.key)

    def version(self):
        return self.file_date if schemas.is_file_dataset(self.dataset) else self.sent["updated_at"]

    def typed(self) -> dict[str, Any]:
        """What bronze holds: the contract's fields typed, personal data as its HMAC token."""
        out = {}
        for f in self.ds.fields:
            value = self.sent[f.name]
            if value is not None and f.type in PLACES:
                value = value.quantize(Decimal(1).scaleb(-PLACES[f.type]), rounding=ROUND_HALF_UP)
            out[f.name] = value
        for name in pii.pii_columns(self.dataset):
            out[name] = None if out[name] is None else pii.token(out[name])
        if self.dataset in pii.CONDITIONAL_PII:
            flag, flagged, columns = pii.CONDITIONAL_PII[self.dataset]
            if out[flag] in flagged:
                for name in columns:
                    out[name] = None if out[name] is None else pii.token(out[name])
        if schemas.is_file_dataset(self.dataset):
            out["_file_date"] = self.file_date
        return out


# -- text ----------------------------------------------------------------------------------------

_PLAIN = "abcxyzABCXYZ0123456789 -_/#.,;:()&@'\"\\"
_CJK_PUNCT = "，。、：；（）《》“”‘’！？【】—·"
# One choice per piece keeps a record cheap for Hypothesis (it bounds the choices per example):
# a spread of CJK ideographs, some of extension B (4 bytes in UTF-8), ASCII and CJK punctuation,
# what a CSV writer must quote or a JSON writer must escape, and U+FFFD (valid text: only
# bytes that are not UTF-8 are a bad record).
_PIECE_LIST = (
    [chr(c) for c in range(0x4E00, 0x9FFF, 29)]
    + [chr(c) for c in range(0x20000, 0x2A6DF, 401)]
    + list(_PLAIN) * 4
    + list(_CJK_PUNCT) * 4
    + [
        "\n",
        "\r\n",
        "\t",
        ",",
        '"',
        '""',
        "\\",
        "\\u0041",
        "/*",
        "é",
        "\u00a0",
        "\u3000",
        "\ufffd",
        "\x00",
    ]
    * 16
)
_PIECES = st.sampled_from(_PIECE_LIST)


def _clean(pieces: list[str]) -> str:
    return "".join(pieces).strip()


def short_text(max_pieces: int = 10) -> st.SearchStrategy[str]:
    return st.lists(_PIECES, min_size=1, max_size=max_pieces).map(_clean).filter(bool)


def _long(parts: tuple[str, int]) -> str:
    seed, length = parts
    return (seed * (length // len(seed) + 1))[:length]


# Long Chinese text (addresses, court names, business scopes run to thousands of characters):
# a short drawn phrase repeated to a drawn length, so a long value costs Hypothesis little.
LONG_CHINESE = st.tuples(
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=8),
    st.integers(200, 5000),
).map(_long)
FREE_TEXT = st.one_of(short_text(), short_text(), short_text(), LONG_CHINESE)
KEY_TEXT = st.one_of(
    short_text(6),
    st.tuples(st.sampled_from(["", "P", "AC-", "合同"]), st.integers(0, 10**12)).map(
        lambda t: f"{t[0]}{t[1]}"
    ),
)
CHINESE_NAME = st.text(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
    ),
    min_size=2,
    max_size=4,
)


# -- identifiers -------------------------------------------------------------------------------

_LETTERS = "".join(ch for ch in uscc.ALPHABET if ch.isalpha())


def _base31(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, digit = divmod(n, 31)
        out.append(uscc.ALPHABET[digit])
    return "".join(reversed(out))


def usccs() -> st.SearchStrategy[str]:
    """Valid USCCs: any body of the alphabet, check digit last; letters may lead ('N', 'Y' lead
    real codes). A body is drawn as one number (cheap for Hypothesis; it shrinks to all zeros)."""
    letter_led = st.integers(10 * 31**16, 31**17 - 1)
    body = st.one_of(st.integers(0, 31**17 - 1), letter_led).map(lambda n: _base31(n, 17))
    return body.map(lambda b: b + uscc.check_char(b))


@st.composite
def legacy_numbers(draw, check: bool | None = None) -> tuple[str, bool]:
    """(a 15-digit legacy registration number, whether its last digit passes GS15)."""
    body = f"{draw(st.integers(0, 10**14 - 1)):014d}"
    digit = uscc.legacy_check_digit(body)
    valid = draw(st.booleans()) if check is None else check
    if valid:
        return body + digit, True
    return body + draw(st.sampled_from([d for d in "0123456789" if d != digit])), False


def industry_codes() -> st.SearchStrategy[str]:
    """GB/T 4754-2017: a section letter, a division of that section, two more digits."""
    divisions = frame.industry_divisions()
    pairs = sorted(s + d for s, ds in divisions.items() for d in ds)
    return st.tuples(st.sampled_from(pairs), st.integers(0, 99)).map(lambda t: f"{t[0]}{t[1]:02d}")


_REGIONS: list[str] = []
_REGION_SET: set[str] = set()


def _region_set() -> set[str]:
    if not _REGION_SET:
        _REGION_SET.update(region_code_list())
    return _REGION_SET


def region_code_list() -> list[str]:
    if not _REGIONS:
        _REGIONS.extend(frame.region_codes().to_pylist())
    return _REGIONS


def unlisted_region_codes() -> st.SearchStrategy[str]:
    """6-digit codes our GB/T 2260 table does not list (new divisions): an observation only."""
    known = set(region_code_list())
    return st.integers(0, 999_999).map("{:06d}".format).filter(lambda c: c not in known)


def id_numbers() -> st.SearchStrategy[str]:
    """18-character resident identity numbers (GB 11643): region, birth day, sequence, check."""
    weights = [pow(2, 17 - i, 11) for i in range(17)]

    def finish(parts):
        region, born, seq = parts
        body = f"{region}{born:%Y%m%d}{seq:03d}"
        return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]

    return st.tuples(
        st.sampled_from(region_code_list()),
        st.dates(date(1930, 1, 1), date(2008, 12, 31)),
        st.integers(0, 999),
    ).map(finish)


PHONES = st.integers(13 * 10**9, 2 * 10**10 - 1).map(lambda n: f"1{n}")


# -- dates, periods, timestamps, numbers ----------------------------------------------------------


def _clamp(lo, hi):
    return lambda value: min(max(value, lo), hi)


def _month_ends(lo: date, hi: date) -> st.SearchStrategy[date]:
    def last_day(ym):
        year, month = ym
        return date(year, month, calendar.monthrange(year, month)[1])

    return (
        st.tuples(st.integers(lo.year, hi.year), st.integers(1, 12))
        .map(last_day)
        .map(_clamp(lo, hi))
    )


def _leap_days(lo: date, hi: date) -> st.SearchStrategy[date]:
    first = next(
        (y for y in range(lo.year, lo.year + 9) if calendar.isleap(y) and date(y, 2, 29) >= lo),
        None,
    )
    if first is None or date(first, 2, 29) > hi:
        return st.nothing()
    last = first + (hi.year - first) // 4 * 4
    if last > first and last == hi.year and (hi.month, hi.day) < (2, 29):
        last -= 4

    def leap(k: int) -> date:
        year = first + 4 * k
        if not calendar.isleap(year):  # 1900, 2100: the next leap year (or the one before)
            year = year + 4 if year + 4 <= last else year - 4
        return date(year, 2, 29)

    return st.integers(0, (last - first) // 4).map(leap)


def dates_between(lo: date, hi: date) -> st.SearchStrategy[date]:
    """Any day in [lo, hi], often a boundary: lo, hi, a leap day, a month end, a year end."""
    return st.one_of(
        st.sampled_from([lo, hi]),
        _leap_days(lo, hi),
        _month_ends(lo, hi),
        st.dates(lo, hi),
        st.dates(lo, hi),
    )


def timestamps_between(lo: datetime, hi: datetime) -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes in [lo, hi] (microseconds kept), often a boundary."""
    naive = st.datetimes(lo.replace(tzinfo=None), hi.replace(tzinfo=None)).map(
        lambda d: d.replace(tzinfo=UTC)
    )
    days = dates_between(lo.date(), hi.date()).flatmap(
        lambda d: st.sampled_from(
            [time(0, 0), time(23, 59, 59), time(23, 59, 59, 999_999), time(12, 0)]
        ).map(lambda t: datetime.combine(d, t, UTC))
    )
    return st.one_of(st.sampled_from([lo, hi]), naive, naive, days.map(_clamp(lo, hi)))


def periods_between(lo: tuple[int, int], hi: tuple[int, int]) -> st.SearchStrategy[str]:
    first, last = lo[0] * 12 + lo[1] - 1, hi[0] * 12 + hi[1] - 1
    months = st.one_of(st.sampled_from([first, last]), st.integers(first, last))
    return months.map(lambda m: f"{m // 12:04d}-{m % 12 + 1:02d}")


def numbers(dataset: str, f: contract.Field) -> st.SearchStrategy:
    """Valid numbers of a field: non-negative, well inside its plausible range."""
    low, high = ranges.numeric_range(dataset, f.name, f.type)
    if f.type == INT:
        lo = int(low) if low is not None else 0
        hi = int(high) if low is not None else int(high // 2)
        return st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))
    scale = PLACES[f.type]
    top = int(Decimal(str(high / 2)).scaleb(scale))
    units = st.one_of(
        st.sampled_from([0, 1, 100, top]), st.integers(0, min(top, 99_999)), st.integers(0, top)
    )
    return units.map(lambda n: Decimal(n).scaleb(-scale))


def beyond_places_kept(dataset: str, f: contract.Field) -> st.SearchStrategy[Decimal]:
    """Money with 3 or 4 places, a num with 5 or 6 (an observation; bronze keeps 2 and 4 and
    rounds half away from zero)."""
    _, high = ranges.numeric_range(dataset, f.name, f.type)
    sent = PLACES[f.type] + 2
    top = int(Decimal(str(high / 2)).scaleb(sent))
    return st.integers(0, top).filter(lambda n: n % 100).map(lambda n: Decimal(n).scaleb(-sent))


# -- records -----------------------------------------------------------------------------------


@dataclass
class Context:
    """What a dataset's records may refer to and be dated by."""

    as_of: datetime  # the batch's as-of time (aware UTC, whole seconds)
    refs: dict[str, list[str]] = field(default_factory=dict)  # field -> keys it may refer to
    observations: bool = True  # also draw values that are observations (valid all the same)
    newer_than: datetime | None = None  # updated_at strictly after this (a correction)
    file_date: date | None = None  # bank: the drop file's business day


def _not_after(ctx: Context, dataset: str, name: str) -> date:
    return LATEST_DAY if ranges.future_allowed(dataset, name) else ctx.as_of.date()


@st.composite
def field_value(draw, dataset: str, f: contract.Field, ctx: Context) -> Any:
    """A valid value of one field as sent (never null); with `ctx.observations`, now and then one
    that a check stricter than the contract observes (`Record.observed`)."""
    if f.references:
        return draw(st.sampled_from(ctx.refs[f.name]))
    if f.codes:
        return draw(st.sampled_from(f.codes))
    if f.identifier == "uscc":
        return draw(usccs())
    if f.identifier in ("legacy", "uscc_or_legacy"):
        if f.identifier == "uscc_or_legacy" and draw(st.booleans()):
            return draw(usccs())
        return draw(legacy_numbers(None if ctx.observations else True))[0]
    if f.identifier == "industry":
        return draw(industry_codes())
    if f.identifier == "region":
        if ctx.observations and draw(st.integers(0, 4)) == 0:
            return draw(unlisted_region_codes())
        return draw(st.sampled_from(region_code_list()))
    if f.type == DATE:
        return draw(dates_between(OLDEST_DAY, _not_after(ctx, dataset, f.name)))
    if f.type == PERIOD:
        return draw(periods_between(OLDEST_MONTH, (ctx.as_of.year, ctx.as_of.month)))
    if f.type == TS:
        lo = datetime.combine(OLDEST_DAY, time(0), UTC)
        if ctx.newer_than is not None:
            lo = ctx.newer_than + timedelta(microseconds=1)
        return draw(timestamps_between(lo, ctx.as_of))
    if f.type in (MONEY, NUM) and ctx.observations and draw(st.integers(0, 5)) == 0:
        return draw(beyond_places_kept(dataset, f))
    if f.type in (MONEY, NUM, INT):
        return draw(numbers(dataset, f))
    if f.name == "legal_rep_id_no":
        return draw(id_numbers())
    if f.name == "contact_phone":
        return draw(PHONES)
    if f.name == "legal_rep_name" or (f.name in ("before", "after") and draw(st.booleans())):
        return draw(CHINESE_NAME)
    if f.name in contract.dataset(dataset).key:
        return draw(KEY_TEXT)
    return draw(FREE_TEXT)


@st.composite
def records(
    draw, dataset: str, ctx: Context, *, key: tuple | None = None, file_date: date | None = None
) -> Record:
    """A valid record of `dataset` (its key given, for a new version of a known record)."""
    ds = contract.dataset(dataset)
    sent = {}
    for f in ds.fields:
        if key is not None and f.name in ds.key:
            sent[f.name] = key[ds.key.index(f.name)]
            continue
        if not f.required and draw(st.integers(0, 3)) == 0:
            sent[f.name] = None
            continue
        sent[f.name] = draw(field_value(dataset, f, ctx))
    return Record(dataset, sent, file_date)


# -- spellings ---------------------------------------------------------------------------------


@st.composite
def ts_spelling(draw, moment: datetime) -> str:
    """One RFC 3339 spelling of an instant: T/t/space, Z/z or an offset, 0-9 fraction digits."""
    offset = draw(
        st.one_of(
            st.just(0),
            st.sampled_from([480, -300, 330, 345, 840, -720, 60]),
            st.integers(-(23 * 60 + 59), 23 * 60 + 59),
        )
    )
    local = moment.astimezone(timezone(timedelta(minutes=offset)))
    sep = draw(st.sampled_from("Tt "))
    micro = local.microsecond
    if micro:
        digits = f"{micro:06d}"
        frac = "." + draw(st.sampled_from([digits.rstrip("0"), digits, digits + "000"]))
    else:
        frac = draw(st.sampled_from(["", "", ".0", ".000", ".000000000"]))
    if offset == 0:
        zone = draw(st.sampled_from(["Z", "z", "+00:00", "-00:00"]))
    else:
        sign, minutes = ("+" if offset > 0 else "-"), abs(offset)
        zone = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return (
        f"{local.date().isoformat()}{sep}{local:%H:%M:%S}{frac}{zone}"  # isoformat: 4-digit years
    )


@st.composite
def decimal_spelling(draw, value: Decimal, most: int) -> str:
    """A plain decimal text of `value` with at least its own places, at most `most` (or its own)."""
    own = max(0, -value.normalize().as_tuple().exponent) if value else 0
    places = draw(st.integers(own, max(own, most)))
    return f"{value:.{places}f}"


def _exponent_forms(value: Decimal) -> list[str]:
    n = value.normalize()
    sign, digits, exponent = n.as_tuple()
    unscaled = "".join(map(str, digits)) or "0"
    return [format(n, "E"), f"{unscaled}e{exponent}", f"{unscaled}E{exponent:+d}"]


@st.composite
def spelling(draw, ftype: str, value: Any, json_like: bool) -> Any:
    """How one non-null value is written: str (a JSON string / a CSV cell) or Num (a JSON number)."""
    if ftype == TS:
        return draw(ts_spelling(value))
    if ftype == DATE:
        return value.isoformat()
    if ftype in (MONEY, NUM):
        text = draw(decimal_spelling(value, PLACES[ftype]))
        if json_like and draw(st.booleans()):
            return Num(draw(st.sampled_from([text, text] + _exponent_forms(value))))
        return text
    if ftype == INT:
        return Num(str(value)) if json_like and draw(st.booleans()) else str(value)
    return value


JSON_EXTRA = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        short_text(8),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(short_text(4), inner, max_size=3)
    ),
    max_leaves=3,
)


def extra_names(dataset: str) -> st.SearchStrategy[str]:
    """Names of fields the contract does not list (schema drift)."""
    names = set(contract.dataset(dataset).field_names)
    return st.one_of(
        st.sampled_from(["source_system", "区域", "x", "updatedAt", "uscc_v2", "_note"]),
        short_text(4),
    ).filter(lambda n: n not in names)


@st.composite
def rendered(draw, record: Record, json_like: bool, extras: bool = True) -> dict[str, Any]:
    """The record as sent: each null field absent or null, values in a drawn spelling, and
    perhaps fields the contract does not list."""
    out: dict[str, Any] = {}
    for f in record.ds.fields:
        value = record.sent[f.name]
        if value is None:
            if draw(st.booleans()):
                out[f.name] = None
            continue
        out[f.name] = draw(spelling(f.type, value, json_like))
    if extras and draw(st.integers(0, 3)) == 0:
        for name in draw(
            st.lists(extra_names(record.dataset), min_size=1, max_size=2, unique=True)
        ):
            out[name] = draw(JSON_EXTRA if json_like else short_text(10))
    return out


# -- files -------------------------------------------------------------------------------------


def _json_value(value: Any, ascii_only: bool) -> bytes:
    if isinstance(value, Num):
        return value.text.encode()
    if isinstance(value, BadBytes):
        inner = lambda s: json.dumps(s, ensure_ascii=ascii_only)[1:-1].encode()  # noqa: E731
        bad = (
            "".join(f"\\u{0xDC00 + b:04x}" for b in value.raw).encode()
            if value.escaped
            else value.raw
        )
        return b'"' + inner(value.before) + bad + inner(value.after) + b'"'
    return json.dumps(value, ensure_ascii=ascii_only).encode()


def json_object(record: dict[str, Any], ascii_only: bool) -> bytes:
    items = [
        json.dumps(k, ensure_ascii=ascii_only).encode() + b":" + _json_value(v, ascii_only)
        for k, v in record.items()
    ]
    return b"{" + b",".join(items) + b"}"


def json_page(dataset: str, rows: list[dict], as_of: datetime, ascii_only: bool) -> bytes:
    data = b"[" + b",\n".join(json_object(r, ascii_only) for r in rows) + b"]"
    head = json.dumps({"dataset": dataset, "as_of": as_of.strftime("%Y-%m-%dT%H:%M:%SZ")})[
        :-1
    ].encode()
    return head + b', "data": ' + data + b', "next_cursor": null}'


def jsonl_gz(rows: list[dict], ascii_only: bool, newline: bytes = b"\n") -> bytes:
    return gzip.compress(b"".join(json_object(r, ascii_only) + newline for r in rows))


def _cell(value: Any, quote_all: bool) -> bytes:
    if value is None or value is ABSENT:
        return b""
    if isinstance(value, BadBytes):
        data = value.before.encode() + value.raw + value.after.encode()
    else:
        data = (value.text if isinstance(value, Num) else str(value)).encode()
    if quote_all or any(c in data for c in (b",", b'"', b"\r", b"\n")):
        return b'"' + data.replace(b'"', b'""') + b'"'
    return data


def csv_gz(
    rows: list[dict], header: list[str], bom: bool, quote_all: bool, final_newline: bool
) -> bytes:
    """RFC 4180: header row, CRLF, fields quoted when needed (or all); an absent field is an
    empty cell."""
    lines = [b",".join(_cell(name, quote_all) for name in header)]
    lines += [b",".join(_cell(row.get(name), quote_all) for name in header) for row in rows]
    body = b"\r\n".join(lines) + (b"\r\n" if final_newline else b"")
    return gzip.compress((b"\xef\xbb\xbf" if bom else b"") + body)


# -- bad records (contract section 3) -------------------------------------------------------------
#
# `defect_fields(dataset, reason)` names the fields where a reason fits; `bad_value` draws a
# value of one field that breaks exactly that rule and no other. Reasons that take more than
# one field's value (a conflicting duplicate) are built by the tests.

NEAR_ZERO_DAY, FAR_DAY = date(1, 1, 2), date(9999, 12, 30)  # local times stay within years 1-9999
_BAD_BYTES = [
    b"\xff",
    b"\xfe\xfe",
    b"\x80",
    b"\xc3",
    b"\xe4\xb8",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf8\x88\x80\x80\x80",
    b"\xf4\x90\x80\x80",
]


def is_free_text(f: contract.Field) -> bool:
    return f.type == STR and not f.codes and not f.identifier and not f.references


def defect_fields(dataset: str, reason: str) -> list[contract.Field]:
    ds = contract.dataset(dataset)
    pick = {
        "invalid_uscc": lambda f: f.identifier in ("uscc", "uscc_or_legacy"),
        "invalid_identifier": lambda f: (
            f.identifier in ("legacy", "uscc_or_legacy", "industry", "region")
        ),
        "missing_required": lambda f: f.required,
        "unknown_code": lambda f: bool(f.codes),
        # a negative number below a range whose floor is above zero would also be out of range
        "negative_value": lambda f: (
            f.type in (MONEY, NUM, INT) and ranges.numeric_range(dataset, f.name, f.type)[0] is None
        ),
        "future_date": lambda f: (
            f.type in (DATE, PERIOD, TS) and not ranges.future_allowed(dataset, f.name)
        ),
        "malformed_value": lambda f: f.type != STR,
        "conflicting_duplicate": lambda f: f.name not in ds.key and f.name != "updated_at",
        "unresolved_reference": lambda f: bool(f.references),
        "invalid_utf8": is_free_text,
        "out_of_range": lambda f: f.type in (MONEY, NUM, INT, DATE, PERIOD, TS),
    }[reason]
    return [f for f in ds.fields if pick(f)]


def _replace_at(text: str, i: int, ch: str) -> str:
    return text[:i] + ch + text[i + 1 :]


@st.composite
def bad_uscc(draw, f: contract.Field) -> str:
    code = draw(usccs())
    kind = draw(st.sampled_from(["check", "alphabet", "length"]))
    if kind == "check":
        return code[:17] + draw(st.sampled_from([c for c in uscc.ALPHABET if c != code[17]]))
    if kind == "alphabet":
        bad = draw(st.sampled_from(list("IOSVZ") + list("abcmnxyz") + ["-", "*", "中", " ", "_"]))
        return _replace_at(code, draw(st.integers(0, 16 if bad == " " else 17)), bad)
    lengths = [
        n
        for n in list(range(1, 18)) + list(range(19, 26))
        if not (n == 15 and f.identifier == "uscc_or_legacy")
    ]
    n = draw(st.sampled_from(lengths))
    return (
        code[:n]
        if n < 18
        else code + draw(st.text(uscc.ALPHABET, min_size=n - 18, max_size=n - 18))
    )


@st.composite
def bad_identifier(draw, f: contract.Field) -> str:
    if f.identifier in ("legacy", "uscc_or_legacy"):
        number, _ = draw(legacy_numbers())
        if f.identifier == "uscc_or_legacy" or draw(st.booleans()):  # 15 characters, not all digits
            return _replace_at(number, draw(st.integers(0, 14)), draw(st.sampled_from("ABCXYZ-中")))
        n = draw(st.sampled_from([13, 14, 16, 17]))
        return (number + "0123")[:n]
    if f.identifier == "industry":
        divisions = frame.industry_divisions()
        wrong = [
            s + d
            for s in divisions
            for other in divisions
            if other != s
            for d in divisions[other]
            if d not in divisions[s]
        ]
        good = draw(industry_codes())
        return draw(
            st.one_of(
                st.tuples(
                    st.sampled_from(wrong), st.text("0123456789", min_size=2, max_size=2)
                ).map("".join),
                st.just(good.lower()),
                st.just(good[:-1]),
                st.just(good + "0"),
                st.sampled_from("UVWXYZ").map(lambda s: s + good[1:]),
                st.just(good[0] + "-" + good[1:]),
            )
        )
    code = draw(st.sampled_from(region_code_list()))  # region
    return draw(
        st.one_of(
            st.just(code[:5]),
            st.just(code + "0"),
            st.sampled_from("ABX中").map(lambda ch: _replace_at(code, 3, ch)),
        )
    )


def _months(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi)).map(
        lambda m: f"{m // 12:04d}-{m % 12 + 1:02d}"
    )


@st.composite
def bad_number(draw, dataset: str, f: contract.Field, reason: str, json_like: bool) -> Any:
    low, high = ranges.numeric_range(dataset, f.name, f.type)
    scale = PLACES.get(f.type, 0)
    if reason == "negative_value":
        top = int(Decimal(str((high or 1e9) / 2)).scaleb(scale))
        value = -Decimal(draw(st.integers(1, top))).scaleb(-scale)
    else:  # out_of_range: above the maximum (at most 16 integer digits: a bronze decimal), or below a floor
        above = st.integers(
            int(Decimal(str(high)).scaleb(scale)) + 1,
            min(int(Decimal(str(high * 1000)).scaleb(scale)), 10 ** (16 + scale) - 1),
        )
        choices = [above.map(lambda n: Decimal(n).scaleb(-scale))]
        if low is not None and low > 0:
            choices.append(st.integers(0, int(low) - 1).map(Decimal))
        value = draw(st.one_of(choices))
    text = str(int(value)) if f.type == INT else draw(decimal_spelling(value, scale))
    return Num(text) if json_like and draw(st.booleans()) else text


@st.composite
def malformed(draw, f: contract.Field, json_like: bool) -> Any:
    day = draw(st.dates(date(1990, 1, 1), date(2020, 12, 31)))
    if f.type == DATE:
        options = [
            f"{day.year}-02-30",
            f"{day.year}-13-01",
            f"{day:%Y/%m/%d}",
            f"{day:%Y%m%d}",
            f"{day.year}-{day.month}-{day.day}x",
            f"{day:%d.%m.%Y}",
            f"{day.isoformat()}T00:00:00Z",
            "2023-02-29",
            "yesterday",
            "0",
        ]
    elif f.type == PERIOD:
        options = [
            f"{day.year}-13",
            f"{day.year}-00",
            f"{day:%Y/%m}",
            f"{day:%Y%m}",
            f"{day.year}-{day.month}x",
            f"{day:%y-%m}",
            day.isoformat(),
            "2026-M1",
        ]
    elif f.type == TS:
        options = [
            day.isoformat(),
            f"{day.isoformat()}T08:00Z",
            f"{day.isoformat()}T08:00:00",
            f"{day.isoformat()}T24:00:00Z",
            f"{day.year}-02-30T08:00:00Z",
            f"{day:%Y%m%d}T080000Z",
            f"{day.isoformat()}T08:00:00+8",
            f"{day.isoformat()}T8:00:00Z",
            "now",
        ]
    elif f.type == INT:
        options = ["12.5", "20x5", "1,000", "一", "0x1F", "--3"]
    else:  # money, num
        options = [
            "12,50",
            "1.2.3",
            "abc",
            "¥12",
            "12元",
            "1 000",
            "--5",
            "0x1F",
            "1e",
            "e5",
            "12.5-",
        ]
    if json_like:  # values only JSON can carry
        options += [
            Num("NaN"),
            Num("Infinity"),
            Num("-Infinity"),
            True,
            False,
            ["12.5"],
            {"value": "12"},
        ]
        if f.type == INT:
            options.append(Num("12.5"))
    return draw(st.sampled_from(options))


@st.composite
def bad_value(
    draw,
    dataset: str,
    f: contract.Field,
    reason: str,
    ctx: Context,
    json_like: bool,
    known_refs: set[str] = frozenset(),
) -> Any:
    """A value of `f` that breaks exactly the rule `reason` (as sent: str, Num, None, BadBytes...)."""
    if reason == "invalid_uscc":
        return draw(bad_uscc(f))
    if reason == "invalid_identifier":
        return draw(bad_identifier(f))
    if reason == "missing_required":
        return draw(st.sampled_from([ABSENT, None, "", "  "] if json_like else [ABSENT, "", "  "]))
    if reason == "unknown_code":
        return draw(
            st.one_of(st.sampled_from(f.codes).map(str.swapcase), KEY_TEXT).filter(
                lambda v: v.strip() not in f.codes
            )
        )
    if reason in ("negative_value", "out_of_range") and f.type in (MONEY, NUM, INT):
        return draw(bad_number(dataset, f, reason, json_like))
    if reason == "future_date":
        if f.type == DATE:
            return draw(dates_between(ctx.as_of.date() + timedelta(days=1), FAR_DAY)).isoformat()
        if f.type == PERIOD:
            first = ctx.as_of.year * 12 + ctx.as_of.month  # the month after the as-of month
            return draw(_months(first, 9999 * 12 + 11))
        return draw(
            ts_spelling(
                draw(
                    timestamps_between(
                        ctx.as_of + timedelta(microseconds=1),
                        datetime.combine(FAR_DAY, time(0), UTC),
                    )
                )
            )
        )
    if reason == "out_of_range":
        if f.type == DATE:
            early = dates_between(NEAR_ZERO_DAY, OLDEST_DAY - timedelta(days=1))
            late = dates_between(LATEST_DAY + timedelta(days=1), FAR_DAY)
            return draw(
                st.one_of(early, late) if ranges.future_allowed(dataset, f.name) else early
            ).isoformat()
        if f.type == PERIOD:
            return draw(_months(12 * 1, OLDEST_MONTH[0] * 12 + OLDEST_MONTH[1] - 2))
        return draw(
            ts_spelling(
                draw(
                    timestamps_between(
                        datetime.combine(NEAR_ZERO_DAY, time(0), UTC),
                        datetime.combine(OLDEST_DAY, time(0), UTC) - timedelta(microseconds=1),
                    )
                )
            )
        )
    if reason == "malformed_value":
        return draw(malformed(f, json_like))
    if reason == "unresolved_reference":
        return draw(KEY_TEXT.filter(lambda v: v not in known_refs))
    if reason == "invalid_utf8":
        raw = draw(st.sampled_from(_BAD_BYTES))
        return BadBytes(
            draw(st.one_of(st.just(""), short_text(6))),
            raw,
            draw(st.one_of(st.just(""), short_text(6))),
            escaped=json_like and draw(st.booleans()),
        )
    raise ValueError(reason)
