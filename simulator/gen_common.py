"""Shared pieces of the generator: the simulated calendar, random streams and wire formatting.

Everything is column-wise: dates are int64 day numbers (days since 1970-01-01), months are
int64 month indexes (year * 12 + month - 1), timestamps int64 seconds. Wire strings are
built with lookup tables and Arrow kernels, never with per-row Python formatting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import DATASETS

DAY = 86_400
_EPOCH_MONTH = 1970 * 12


def month_index(text: str) -> int:
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def month_text(mi: int) -> str:
    return f"{mi // 12:04d}-{mi % 12 + 1:02d}"


def month_start(mi) -> np.ndarray:
    """First day (day number) of month index `mi` (scalar or array)."""
    return (
        (np.asarray(mi, dtype=np.int64) - _EPOCH_MONTH)
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def month_of(day) -> np.ndarray:
    return (
        np.asarray(day, dtype=np.int64)
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype(np.int64)
        + _EPOCH_MONTH
    )


def day_number(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


def next_business_day(days: np.ndarray) -> np.ndarray:
    """Same day if Monday-Friday, else the following Monday (1970-01-01 was a Thursday)."""
    weekday = (days + 3) % 7  # 0 = Monday
    return days + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


@dataclass(frozen=True)
class Calendar:
    """History months [first_mi, last_mi]; the server starts at start_day; data runs until end_day."""

    first_mi: int
    months: int
    future_days: int

    @property
    def last_mi(self) -> int:
        return self.first_mi + self.months - 1

    @property
    def first_day(self) -> int:
        return int(month_start(self.first_mi))

    @property
    def start_day(self) -> int:
        return int(month_start(self.last_mi + 1))

    @property
    def end_day(self) -> int:
        """Exclusive: nothing is generated with updated_at on or after this day."""
        return self.start_day + self.future_days

    @property
    def end_ts(self) -> int:
        return self.end_day * DAY

    @property
    def panel_months(self) -> int:
        """Months of simulated activity: history plus the months the future days reach into."""
        return int(month_of(self.end_day - 1)) - self.first_mi + 1

    @property
    def panel_mi(self) -> np.ndarray:
        return self.first_mi + np.arange(self.panel_months, dtype=np.int64)


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """An independent, reproducible stream per generator step (steps can change without
    shifting every other step's numbers)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *stream.encode()])))


# ---- wire formatting ---------------------------------------------------------------

_LUT_FIRST_DAY = day_number("1900-01-01")
_LUT_LAST_DAY = day_number("2041-01-01")
_DATE_LUT = pa.array(np.arange(_LUT_FIRST_DAY, _LUT_LAST_DAY).astype("datetime64[D]").astype(str))
_LUT_FIRST_MONTH = 1900 * 12
_PERIOD_LUT = pa.array(
    np.arange(_LUT_FIRST_MONTH - _EPOCH_MONTH, 2041 * 12 - _EPOCH_MONTH)
    .astype("datetime64[M]")
    .astype(str)
)
_TOD_LUT = pa.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(DAY)])


def _byte_table(strings: pa.Array) -> np.ndarray:
    """Equal-width ASCII strings as one fixed-size numpy value each ('V<width>'): a wire
    value is then a numpy gather instead of Arrow's variable-width take plus join."""
    width = len(strings[0].as_py())
    return np.frombuffer(strings.buffers()[2], f"V{width}", len(strings))


_DATE_BYTES = _byte_table(_DATE_LUT)
_PERIOD_BYTES = _byte_table(_PERIOD_LUT)
_T_TOD_BYTES = _byte_table(pc.binary_join_element_wise("T", _TOD_LUT, ""))
_TIMESTAMP = np.dtype([("date", "V10"), ("time", "V10")])


def from_chars(chars: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A string array over n fixed-size values (or an (n, width) uint8 matrix) without
    copying them (null slots keep bytes, which Arrow allows and nothing reads)."""
    n, width = len(chars), chars.itemsize if chars.ndim == 1 else chars.shape[1]
    if n * width >= 2**31:
        raise ValueError(f"{n} strings of {width} bytes do not fit a 32-bit offset string array")
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int32))
    validity, null_count = None, 0
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        null_count = n - int(np.count_nonzero(valid))
        if null_count:
            validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.string(), n, [validity, offsets, pa.py_buffer(np.ascontiguousarray(chars))], null_count
    )


def _lut_rows(table: np.ndarray, index: np.ndarray, what: str) -> np.ndarray:
    if len(index) and (index.min() < 0 or index.max() >= len(table)):
        raise ValueError(f"{what} outside the supported range")
    return np.take(table, index)


def _indices(values: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, mask=None if valid is None else ~np.asarray(valid, dtype=bool))


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    if valid is not None:
        days = np.where(valid, days, _LUT_FIRST_DAY)
    return from_chars(_lut_rows(_DATE_BYTES, days - _LUT_FIRST_DAY, "date"), valid)


def periods(mi: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mi = np.asarray(mi, dtype=np.int64)
    if valid is not None:
        mi = np.where(valid, mi, _LUT_FIRST_MONTH)
    return from_chars(_lut_rows(_PERIOD_BYTES, mi - _LUT_FIRST_MONTH, "period"), valid)


def timestamps(seconds: np.ndarray) -> pa.Array:
    """RFC 3339 'YYYY-MM-DDTHH:MM:SSZ': always 20 bytes, so built as fixed-size values."""
    seconds = np.asarray(seconds, dtype=np.int64)
    stamps = np.empty(len(seconds), _TIMESTAMP)
    stamps["date"] = _lut_rows(_DATE_BYTES, seconds // DAY - _LUT_FIRST_DAY, "timestamp")
    stamps["time"] = np.take(_T_TOD_BYTES, seconds % DAY)
    return from_chars(stamps.view("V20"))


def fixed(scaled: np.ndarray, decimals: int, valid: np.ndarray | None = None) -> pa.Array:
    """Decimal strings from integers scaled by 10**decimals ('1234.50' from 123450, 2): the
    scaled integer is printed and the point inserted ('5' is first padded to '005')."""
    scaled = np.asarray(scaled, dtype=np.int64)
    absolute = np.abs(scaled)
    text = pc.cast(_indices(absolute, valid), pa.string())
    if len(absolute) and absolute.min() < 10**decimals:
        text = pc.utf8_lpad(text, decimals + 1, "0")
    text = pc.binary_replace_slice(text, -decimals, -decimals, ".")
    negative = scaled < 0
    if negative.any():
        text = pc.if_else(pa.array(negative), pc.binary_join_element_wise("-", text, ""), text)
    return text


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return fixed(cents, 2, valid)


def decimal(values: np.ndarray, decimals: int, valid: np.ndarray | None = None) -> pa.Array:
    return fixed(
        np.round(np.asarray(values, dtype=np.float64) * 10**decimals).astype(np.int64),
        decimals,
        valid,
    )


def ints(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pc.cast(_indices(values, valid), pa.string())


def codes(labels, index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(list(labels), pa.string()).take(_indices(index, valid))


def numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """IDs such as 'PN1000000042': prefix plus a zero-padded number."""
    numbers = np.asarray(numbers, np.int64)
    head = prefix.encode()
    total = len(head) + width
    if not len(numbers) or numbers.min() < 0 or numbers.max() >= 10**width or total > 18:
        return pc.binary_join_element_wise(
            prefix, pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0"), ""
        )
    # 10**(total-1) + number prints as '1', zeros, the padded number: every string has
    # `total` characters (`width` + 1 without a prefix); the leading ones become the prefix.
    printed = pc.cast(pa.array(numbers + 10 ** max(total - 1, width)), pa.string())
    chars = np.frombuffer(
        printed.buffers()[2], np.uint8, len(numbers) * max(total, width + 1)
    ).reshape(len(numbers), -1)
    if head:
        chars = chars.copy()
        chars[:, : len(head)] = np.frombuffer(head, np.uint8)
    else:
        chars = chars[:, 1:]
    return from_chars(chars)


def take(
    values: pa.Array, index: np.ndarray, valid: np.ndarray | None = None, width: int | None = None
) -> pa.Array:
    """values.take(index), null where not `valid`. Strings that all have one width (USCCs,
    dates, account numbers) are gathered by numpy as fixed-size values, several times
    faster. `width`: common_width(values) if already known."""
    index = np.asarray(index, dtype=np.int64)
    if valid is not None:
        index = np.where(valid, index, 0)
    width = common_width(values) if width is None else width
    if not width:
        return values.take(_indices(index, valid))
    chars = fixed_size_values(values, width)
    if values.null_count:
        present = values.is_valid().to_numpy(zero_copy_only=False)[index]
        valid = present if valid is None else present & valid
    return from_chars(_lut_rows(chars, index, "row number"), valid)


def fixed_size_values(values: pa.Array, width: int) -> np.ndarray:
    """The bytes of a string array whose slots all have `width` bytes, as numpy 'V<width>'
    values (no copy)."""
    start = int(np.frombuffer(values.buffers()[1], np.int32, 1, values.offset * 4)[0])
    return np.frombuffer(values.buffers()[2], f"V{width}", len(values), start)


def common_width(values: pa.Array) -> int:
    """The byte width every slot of a string array has (null slots included), else 0."""
    if values.type != pa.string() or len(values) == 0:
        return 0
    offsets = np.frombuffer(values.buffers()[1], np.int32, len(values) + 1, values.offset * 4)
    width = int(offsets[1] - offsets[0])
    if width == 0 or not np.array_equal(np.diff(offsets), np.full(len(values), width, np.int32)):
        return 0
    return width


def nulls(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def argsort_stable(values: np.ndarray) -> np.ndarray:
    """np.argsort(values, kind="stable") for int64 keys, as a radix sort on 16-bit digits
    (numpy sorts 16-bit keys with a radix sort): a few times faster on epoch seconds."""
    values = np.asarray(values, dtype=np.int64)
    if len(values) < 65_536:
        return np.argsort(values, kind="stable")
    rest = values - values.min()
    order = np.argsort((rest & 0xFFFF).astype(np.uint16), kind="stable")
    rest >>= 16
    while rest.any():
        order = order[np.argsort((rest[order] & 0xFFFF).astype(np.uint16), kind="stable")]
        rest >>= 16
    return order


def in_time_order(ts: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """Put the numeric columns in updated_at order BEFORE strings are built: the final sort
    of the feed is then nearly the identity, and gathering strings in random order (the
    slowest thing the generator could do) is avoided."""
    order = argsort_stable(ts)
    return [np.asarray(ts)[order]] + [np.asarray(a)[order] for a in arrays]


def take_sorted(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """table.take(rows) for ascending row numbers, chunk by chunk: Arrow's take on a chunked
    table first concatenates every column (a copy of the whole table for a few rows)."""
    rows = np.asarray(rows, np.int64)
    parts, offset = [], 0
    for batch in table.to_batches():
        lo, hi = np.searchsorted(rows, [offset, offset + batch.num_rows])
        if hi > lo:
            parts.append(batch.take(pa.array(rows[lo:hi] - offset)))
        offset += batch.num_rows
    return pa.Table.from_batches(parts, schema=table.schema)


def uniform_seconds(
    rng: np.random.Generator, days: np.ndarray, start_hour: int = 7, end_hour: int = 22
) -> np.ndarray:
    """A time of day inside office-ish hours on each of `days`, as epoch seconds."""
    return np.asarray(days, np.int64) * DAY + rng.integers(
        start_hour * 3600, end_hour * 3600, size=len(days)
    )


# ---- tables -----------------------------------------------------------------------


def table(
    dataset: str, columns: dict[str, pa.Array], ts: np.ndarray, final: np.ndarray | None = None
) -> pa.Table:
    """A dataset's rows in wire form plus the generator's working columns:
    `_ts` (updated_at in seconds, or the bank file day in seconds) and `_final`
    (the row is the newest version of its key: only those get corrections)."""
    n = len(ts)
    data = {}
    for name in DATASETS[dataset].field_names:
        if name == "updated_at" and name not in columns:
            data[name] = nulls(n)  # written from `_ts` once the feed is sorted (no string gather)
            continue
        column = columns.get(name)
        if column is None:
            column = nulls(n)
        if len(column) != n:
            raise ValueError(f"{dataset}.{name}: {len(column)} values for {n} rows")
        data[name] = column
    data["_ts"] = pa.array(np.asarray(ts, np.int64))
    data["_final"] = pa.array(np.ones(n, bool) if final is None else np.asarray(final, bool))
    return pa.table(data)


def versions_in_order(
    dataset: str,
    build,
    first_ts: np.ndarray,
    second_ts: np.ndarray,
    has_second: np.ndarray,
    first_nulls: tuple[str, ...],
    first_constants: dict[str, str],
    end_ts: int,
) -> pa.Table:
    """`versions` for the big feeds: both versions of every record are put in updated_at
    order at the numeric stage and `build(rows)` formats the columns for record indexes
    `rows` once, already in file order (no random gather of strings later). The first
    version has `first_nulls` null and `first_constants` set."""
    m = len(first_ts)
    second = np.asarray(has_second, bool) & (np.asarray(second_ts) < end_ts)
    closed_rows = np.flatnonzero(second)
    ts, rows, closed = in_time_order(
        np.concatenate([first_ts, np.asarray(second_ts)[closed_rows]]),
        np.concatenate([np.arange(m), closed_rows]),
        np.concatenate([np.zeros(m, bool), np.ones(len(closed_rows), bool)]),
    )
    columns = build(rows)
    opened = pa.array(~closed)
    for name in first_nulls:
        columns[name] = pc.if_else(opened, pa.scalar(None, pa.string()), columns[name])
    for name, value in first_constants.items():
        columns[name] = pc.if_else(opened, pa.scalar(value, pa.string()), columns[name])
    return table(dataset, columns, ts, closed | ~second[rows])


def versions(
    dataset: str,
    columns: dict[str, pa.Array],
    first_ts: np.ndarray,
    second_ts: np.ndarray,
    has_second: np.ndarray,
    first_overrides: dict[str, pa.Array],
    end_ts: int,
) -> pa.Table:
    """Records published twice: first as opened (`first_overrides` replace some fields,
    e.g. paid_on null, status 'issued'), then complete when closed (paid, settled,
    removed...). The second version exists only if it happens before the end of data."""
    second = np.asarray(has_second, bool) & (np.asarray(second_ts) < end_ts)
    opened = table(dataset, {**columns, **first_overrides}, first_ts, ~second)
    closed = table(dataset, columns, second_ts, np.ones(len(second_ts), bool)).filter(
        pa.array(second)
    )
    return pa.concat_tables([opened, closed])
