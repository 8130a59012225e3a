"""Wire encodings of feed rows: one JSON object or one CSV line per row, built column-wise.

The generated feeds hold every field as a string in wire form. Encoding millions of
rows with Arrow compute kernels takes seconds; pages and files are then byte slices.
Rows whose `_bad_utf8_field` names a field carry that value as invalid UTF-8: the
value's UTF-8 bytes behind a 0xFF byte. In JSON that is the surrogate-escape form
"\\udcff<value>" (what Python's json.loads of such bytes would give); in CSV the raw
invalid bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import DATASETS, INT, MONEY, NUM

NUMBER_RE = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_NUMBER = re.compile(NUMBER_RE)
BAD_UTF8_PREFIX = b"\xff"  # never valid in UTF-8
_CONTROL_RE = "[\\x00-\\x1f]"  # JSON must escape these; rare, so those rows go through json.dumps
_NEEDS_ESCAPE_RE = '["\\\\\\x00-\\x1f]'


def wire_columns(table: pa.Table, dataset: str) -> list[str]:
    """Contract fields in contract order, then any extra non-hidden column (schema drift)."""
    contract = [f for f in DATASETS[dataset].field_names if f in table.column_names]
    extra = [c for c in table.column_names if not c.startswith("_") and c not in contract]
    return contract + extra


def _string(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name).combine_chunks()
    return col if col.type == pa.string() else col.cast(pa.string())


def _numeric_fields(dataset: str) -> set[str]:
    """Fields sent as JSON numbers when they parse as one. Money is "a decimal string or
    number" (contract section 2): every other dataset with money, in contract order, sends it
    as a number, so a client meets both forms."""
    with_money = [d.name for d in DATASETS.values() if any(f.type == MONEY for f in d.fields)]
    money_as_number = dataset in with_money[1::2]
    types = (INT, NUM, MONEY) if money_as_number else (INT, NUM)
    return {f.name for f in DATASETS[dataset].fields if f.type in types}


def _bad_field(table: pa.Table) -> pa.Array:
    if "_bad_utf8_field" in table.column_names:
        return _string(table, "_bad_utf8_field")
    return pa.nulls(table.num_rows, pa.string())


def _escape_json(col: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """JSON-escape quotes and backslashes; also return the rows holding control characters."""
    if not pc.any(pc.match_substring_regex(col, _NEEDS_ESCAPE_RE)).as_py():
        return col, None  # the common case: codes, dates, numbers, most text
    escaped = pc.replace_substring(pc.replace_substring(col, "\\", "\\\\"), '"', '\\"')
    return escaped, pc.fill_null(pc.match_substring_regex(col, _CONTROL_RE), False)


def _json_row_py(row: dict, columns: list[str], numeric: set[str], bad_field: str | None) -> str:
    parts = []
    for name in columns:
        value = row[name]
        if value is None:
            continue
        if name == bad_field:
            text = '"\\udcff' + json.dumps(value, ensure_ascii=False)[1:-1] + '"'
        elif name in numeric and _NUMBER.match(value):
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f'"{name}":{text}')
    return "{" + ",".join(parts) + "}"


BATCH_ROWS = (
    250_000  # encode in slices: bounded memory, and no 2 GiB limit of 32-bit string offsets
)


def batches(table: pa.Table, size: int = BATCH_ROWS) -> Iterator[pa.Table]:
    for start in range(0, table.num_rows, size):
        yield table.slice(start, size)


def json_rows(tables: Iterable[pa.Table], dataset: str) -> RowBytes:
    """One compact JSON object per row; absent keys for nulls; int/num as numbers when they parse."""
    return RowBytes.build(_json_rows(t, dataset) for t in tables)


def csv_lines(tables: Iterable[pa.Table], dataset: str) -> RowBytes:
    """One RFC 4180 line (CRLF-terminated) per row of `wire_columns`; null = empty, "" = quoted."""
    return RowBytes.build(_csv_lines(t, dataset) for t in tables)


def _json_rows(table: pa.Table, dataset: str) -> pa.Array:
    columns = wire_columns(table, dataset)
    numeric = _numeric_fields(dataset)
    bad = _bad_field(table)
    special = pc.is_valid(bad)
    pieces, inline_brace = [], False
    for i, name in enumerate(columns):
        col = _string(table, name)
        escaped, control = _escape_json(col)
        if control is not None:
            special = pc.or_(special, control)
        quoted = pc.binary_join_element_wise('"', escaped, '"', "")
        if name in numeric:
            quoted = pc.if_else(pc.match_substring_regex(col, NUMBER_RE), col, quoted)
        # no leading comma on the first key when it is never absent: saves slicing every row
        lead = "{" if i == 0 and col.null_count == 0 else ","
        inline_brace = inline_brace or lead == "{"
        pieces.append(pc.fill_null(pc.binary_join_element_wise(f'{lead}"{name}":', quoted, ""), ""))
    if not pieces:
        rows = pa.array(["{}"] * table.num_rows)
    elif inline_brace:
        rows = pc.binary_join_element_wise(*pieces, "}", "")
    else:
        rows = pc.binary_join_element_wise(
            "{", pc.utf8_slice_codeunits(pc.binary_join_element_wise(*pieces, ""), 1), "}", ""
        )
    special = np.flatnonzero(special.to_numpy(zero_copy_only=False))
    if len(special):
        sub = table.select(columns).take(special).to_pylist()
        bad_names = bad.take(special).to_pylist()
        fixed = [_json_row_py(r, columns, numeric, b) for r, b in zip(sub, bad_names)]
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[special] = True
        rows = pc.replace_with_mask(rows, pa.array(mask), pa.array(fixed, rows.type))
    return rows


def _csv_value_py(value: str | None, bad: bool) -> bytes:
    if value is None:
        return b""
    raw = (BAD_UTF8_PREFIX if bad else b"") + value.encode("utf-8")
    if bad or value == "" or any(ch in value for ch in ',"\r\n'):
        return b'"' + raw.replace(b'"', b'""') + b'"'
    return raw


def csv_header(columns: list[str]) -> bytes:
    return (",".join(columns) + "\r\n").encode()


def _csv_lines(table: pa.Table, dataset: str) -> pa.Array:
    columns = wire_columns(table, dataset)
    pieces = []
    for name in columns:
        col = _string(table, name)
        needs_quotes = pc.or_(pc.match_substring_regex(col, '[",\r\n]'), pc.equal(col, ""))
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(col, '"', '""'), '"', "")
        pieces.append(pc.fill_null(pc.if_else(needs_quotes, quoted, col), ""))
    lines = pc.binary_join_element_wise(*pieces, ",") if pieces else pa.array([""] * table.num_rows)
    lines = pc.binary_join_element_wise(lines, "\r\n", "").cast(pa.binary())
    bad = _bad_field(table)
    special = np.flatnonzero(pc.is_valid(bad).to_numpy(zero_copy_only=False))
    if len(special):
        sub = table.select(columns).take(special).to_pylist()
        bad_names = bad.take(special).to_pylist()
        fixed = [
            b",".join(_csv_value_py(r[c], c == b) for c in columns) + b"\r\n"
            for r, b in zip(sub, bad_names)
        ]
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[special] = True
        lines = pc.replace_with_mask(lines, pa.array(mask), pa.array(fixed, pa.binary()))
    return lines


class RowBytes:
    """Encoded rows as one buffer plus int64 offsets: row i is data[offsets[i]:offsets[i+1]]."""

    def __init__(self, data: memoryview, offsets: np.ndarray):
        self.data, self.offsets = data, offsets

    @classmethod
    def build(cls, arrays: Iterable[pa.Array]) -> RowBytes:
        """Concatenate encoded batches, freeing each as it is copied (peak memory ~ the result)."""
        buffer, offsets, base = bytearray(), [np.zeros(1, dtype=np.int64)], 0
        for array in arrays:
            _validity, raw_offsets, data = array.buffers()
            wide = pa.types.is_large_binary(array.type) or pa.types.is_large_string(array.type)
            n, first = len(array), array.offset
            offs = np.frombuffer(raw_offsets, dtype=np.int64 if wide else np.int32)[
                first : first + n + 1
            ]
            offs = offs.astype(np.int64)
            if data is not None and n:
                buffer += memoryview(data)[offs[0] : offs[-1]]
            offsets.append(offs[1:] - offs[0] + base)
            base += int(offs[-1] - offs[0]) if n else 0
        return cls(memoryview(buffer), np.concatenate(offsets))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def slices(self, indices: np.ndarray) -> list[memoryview]:
        starts = self.offsets[indices].tolist()
        ends = self.offsets[indices + 1].tolist()
        data = self.data
        return [data[a:b] for a, b in zip(starts, ends)]

    def span(self, start: int, stop: int) -> memoryview:
        """Rows start..stop-1 back to back (used when their separators are part of each row)."""
        return self.data[self.offsets[start] : self.offsets[stop]]
