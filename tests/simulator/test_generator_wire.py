"""The generator's fast wire formatting and gathering agree with plain Python/Arrow versions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from creditlake.simulator import gen_common as gc
from creditlake.simulator.generator import SortedFeed, feed_columns

RNG = np.random.default_rng(11)


def _day(d: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).isoformat()


def test_dates_periods_and_timestamps_match_python_formatting():
    days = RNG.integers(gc.day_number("1950-01-01"), gc.day_number("2040-12-31"), 2000)
    valid = RNG.random(2000) < 0.8
    out = gc.dates(days, valid)
    out.validate(full=True)
    assert out.to_pylist() == [_day(d) if ok else None for d, ok in zip(days, valid)]

    months = RNG.integers(1950 * 12, 2040 * 12, 500)
    assert gc.periods(months).to_pylist() == [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in months]

    seconds = RNG.integers(0, 2_200_000_000, 2000)
    expected = [
        dt.datetime.fromtimestamp(int(s), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for s in seconds
    ]
    assert gc.timestamps(seconds).to_pylist() == expected


def test_dates_outside_the_lookup_table_are_an_error_not_a_wrong_value():
    with pytest.raises(ValueError, match="date"):
        gc.dates(np.array([gc.day_number("1899-12-31")]))
    with pytest.raises(ValueError, match="timestamp"):
        gc.timestamps(np.array([gc.day_number("2041-01-02") * gc.DAY]))


@pytest.mark.parametrize(
    "prefix,width", [("", 3), ("", 16), ("LN", 8), ("9900", 16), ("执", 4), ("PK", 5)]
)
def test_numbered_pads_and_prefixes(prefix, width):
    numbers = np.concatenate([[0, 7, 10**width - 1], RNG.integers(0, 10 ** min(width, 15), 300)])
    assert gc.numbered(prefix, numbers, width).to_pylist() == [
        f"{prefix}{n:0{width}d}" for n in numbers
    ]
    assert gc.numbered("X", np.array([12345]), 3).to_pylist() == [
        "X12345"
    ]  # wider than the padding


@pytest.mark.parametrize("decimals", [1, 2, 4])
def test_fixed_decimals_match_python(decimals):
    scaled = np.concatenate(
        [[0, 1, -1, 5, -5, 99, 100, -100, 10**14], RNG.integers(-(10**12), 10**12, 500)]
    )
    valid = RNG.random(len(scaled)) < 0.9
    unit = 10**decimals
    expected = [
        (("-" if v < 0 else "") + f"{abs(v) // unit}.{abs(v) % unit:0{decimals}d}") if ok else None
        for v, ok in zip(scaled, valid)
    ]
    assert gc.fixed(scaled, decimals, valid).to_pylist() == expected


def test_argsort_stable_is_numpys_stable_sort():
    for values in (
        RNG.integers(1.7e9, 1.8e9, 200_000),
        RNG.integers(0, 3, 100_000),
        RNG.integers(-(2**40), 2**40, 70_000),
    ):
        assert np.array_equal(gc.argsort_stable(values), np.argsort(values, kind="stable"))


def test_take_fixed_width_and_variable_width_like_arrow():
    fixed = gc.numbered("91", RNG.integers(0, 10**16, 1000), 16).slice(100, 800)
    variable = pa.array([None if i % 7 == 0 else "x" * (i % 5 + 1) for i in range(1000)])
    index = RNG.integers(0, 800, 3000)
    valid = RNG.random(3000) < 0.8
    for values in (fixed, variable.slice(0, 800)):
        assert gc.take(values, index).equals(values.take(pa.array(index)))
        assert (
            gc.take(values, index, valid).to_pylist()
            == values.take(pa.array(index, mask=~valid)).to_pylist()
        )


def test_sorted_feed_pieces_gather_across_chunks_in_file_order():
    names = feed_columns("penalties")
    n = 1000
    columns = {
        name: pa.array([f"{name}-{i % 37}" if (i + len(name)) % 11 else None for i in range(n)])
        for name in names
    }
    columns["penalty_id"] = gc.numbered("CF", np.arange(n), 10)  # fixed width
    columns["_ts"] = pa.array(np.arange(n, dtype=np.int64))
    table = pa.table(columns)
    rows = pa.concat_tables(
        [table.slice(0, 400), table.slice(400, 350), table.slice(750)]
    )  # three chunks
    order = RNG.permutation(n)
    feed = SortedFeed("penalties", rows, order, np.full(n, 1_700_000_000))
    whole = table.take(pa.array(order))
    for start in (0, 300, 900):
        piece = feed.piece(start, start + 300)
        for name in names:
            if name == "updated_at":
                assert set(piece.column(name).to_pylist()) == {"2023-11-14T22:13:20Z"}
            elif name == "_row_id":
                assert piece.column(name).to_pylist() == list(range(start, min(start + 300, n)))
            else:
                assert (
                    piece.column(name).to_pylist()
                    == whole.column(name).slice(start, 300).to_pylist()
                ), name
