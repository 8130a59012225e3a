"""Landed files -> the Batch table: values kept as received, as strings.

Three landed formats: JSON pages, csv.gz and jsonl.gz. Each is read in chunks of
columns (csv.gz by pyarrow's streaming CSV reader, at C speed; JSON through Python's
json module), and `build_table` assembles the Batch table: one string column per
contract field (null when absent), `_source` (page URL or file) and `_raw` (the record
as a JSON object of the text received, built column-wise), plus the fields nobody
declared (reported, not loaded) and the declared fields no record carried.

Invalid UTF-8 never stops a load. JSON lone-surrogate escapes and raw invalid bytes in
CSV cannot be stored in Arrow strings; such a value is stored with U+FFFD REPLACEMENT
CHARACTER in place of each bad byte, the lineage column `_not_utf8` names the fields that
had such bytes (validation quarantines them as invalid_utf8; a U+FFFD the platform sent is
valid UTF-8 and stays a value) and `_raw` keeps each bad byte as the literal text \\udcXX.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from creditlake.connectors.http import parse_json
from creditlake.core.batch import NOT_UTF8, NOT_UTF8_SEPARATOR
from creditlake.core.contract import Dataset

REPLACEMENT = "\ufffd"
UTF8_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = "[\\x00-\\x1f]"  # must be escaped inside JSON strings: those rows take the slow path
UNPARSED = "__unparsed__"
CHUNK_ROWS = 100_000  # records per chunk: bounds the Python objects alive at once
csv.field_size_limit(16 * 1024 * 1024)  # long free-text fields must not abort a load


@dataclass
class Chunk:
    """Some records as columns of text (every field seen in them, declared or not)."""

    columns: dict[str, pa.Array]
    source: pa.Array
    raw_fix: dict[int, str] = field(default_factory=dict)  # row -> _raw where column-wise can't
    not_utf8: dict[int, list[str]] = field(
        default_factory=dict
    )  # row -> fields with bytes not UTF-8

    @property
    def num_rows(self) -> int:
        return len(self.source)


# -- readers --------------------------------------------------------------------------------


def page_records(path: Path) -> tuple[list, dict]:
    """The records of one landed JSON page and the page envelope (as_of, next_cursor)."""
    doc = parse_json(Path(path).read_bytes())
    return doc.get("data") or [], {k: v for k, v in doc.items() if k != "data"}


def page_chunks(path: Path, source: str) -> Iterator[Chunk]:
    records, _ = page_records(path)
    yield records_chunk(
        [r if isinstance(r, dict) else {UNPARSED: json.dumps(r)} for r in records], source
    )


def jsonl_gz_chunks(path: Path, source: str) -> Iterator[Chunk]:
    pending: list[dict] = []
    with gzip.open(path, "rb") as src:
        for line in src:
            if not line.strip():
                continue
            try:
                record = parse_json(line)
            except ValueError:
                record = None
            # An unparseable line still becomes a row (all fields absent, `_raw` = the
            # line): validation quarantines it instead of the load failing or losing it.
            if not isinstance(record, dict):
                record = {UNPARSED: line.decode("utf-8", "surrogateescape").rstrip("\r\n")}
            pending.append(record)
            if len(pending) >= CHUNK_ROWS:
                yield records_chunk(pending, source)
                pending = []
    if pending:
        yield records_chunk(pending, source)


def csv_gz_chunks(path: Path, source: str) -> Iterator[Chunk]:
    """RFC 4180 with header (a leading BOM allowed); an empty unquoted cell is absent."""
    with gzip.open(path, "rb") as src:
        first = src.readline()
    # The BOM goes before the header is parsed: it precedes the quote of a quoted first name.
    first = first.removeprefix(UTF8_BOM)
    if not first.strip():
        return
    header = next(csv.reader([first.decode("utf-8", "surrogateescape").rstrip("\r\n")]))
    if len(set(header)) != len(header) or any(_SURROGATE.search(h) for h in header):
        yield from _csv_chunks_python(path, source)
        return
    yielded = 0
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="gzip"),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.binary() for h in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:  # streamed: a file is never held whole in memory
            if batch.num_rows:
                yield _binary_chunk(batch, source)
                yielded += batch.num_rows
    except pa.ArrowInvalid:
        # A row with surplus or missing cells: the Python reader takes over from the
        # first row not yet yielded and keeps that row (nothing vanishes).
        yield from _csv_chunks_python(path, source, skip=yielded)


def _csv_chunks_python(path: Path, source: str, skip: int = 0) -> Iterator[Chunk]:
    pending: list[dict] = []
    with gzip.open(path, "rb") as raw:
        # utf-8-sig: a leading BOM is dropped before the header is parsed
        reader = csv.reader(
            io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        )
        header = next(reader, None) or []
        for row in reader:
            if not row:
                continue
            if skip:
                skip -= 1
                continue
            names = header + [f"__column_{i + 1}" for i in range(len(header), len(row))]
            pending.append({name: value for name, value in zip(names, row) if value != ""})
            if len(pending) >= CHUNK_ROWS:
                yield records_chunk(pending, source)
                pending = []
    if pending:
        yield records_chunk(pending, source)


# -- chunks -----------------------------------------------------------------------------------


def _text(value) -> str | None:
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))  # nested: its JSON text


def _as_utf8(value: str) -> str:
    return _SURROGATE.sub(REPLACEMENT, value)  # one U+FFFD per byte that was not UTF-8


def _raw_utf8(raw: str) -> str:
    # Each undecodable byte becomes the literal text \udcXX (an escaped backslash in the
    # JSON): valid UTF-8 that any JSON round trip keeps, still naming the byte received.
    return _SURROGATE.sub(lambda m: f"\\\\u{ord(m.group()):04x}", raw)


def _strings(values: list) -> tuple[pa.Array, list[int]]:
    """Arrow strings, and the rows whose value had to be repaired (not UTF-8)."""
    try:
        return pa.array(values, pa.string()), []
    except (UnicodeEncodeError, pa.ArrowException):
        bad = [i for i, v in enumerate(values) if v is not None and _SURROGATE.search(v)]
        return pa.array([v if v is None else _as_utf8(v) for v in values], pa.string()), bad


def _dumps(record: dict) -> str:
    return _raw_utf8(
        json.dumps(
            {k: v for k, v in record.items() if v is not None},
            ensure_ascii=False,
            separators=(",", ":"),
        )
    )


def records_chunk(records: list[dict], source: str) -> Chunk:
    names = list(dict.fromkeys(k for r in records for k in r if k != UNPARSED))
    columns, raw_fix, not_utf8 = {}, {}, {}
    for name in names:
        values = [_text(r.get(name)) for r in records]
        columns[name], bad = _strings(values)
        for row in bad:
            raw_fix[row] = _dumps({k: _text(v) for k, v in records[row].items()})
            not_utf8.setdefault(row, []).append(name)
    for row, record in enumerate(records):
        if UNPARSED in record:
            raw_fix[row] = _raw_utf8(record[UNPARSED])
    return Chunk(columns, pa.array([source] * len(records), pa.string()), raw_fix, not_utf8)


def _binary_chunk(batch: pa.RecordBatch, source: str) -> Chunk:
    columns, bad_rows, not_utf8 = {}, set(), {}
    for name, col in zip(batch.schema.names, batch.columns):
        try:
            columns[name] = col.cast(pa.string())
        except pa.ArrowInvalid:  # invalid UTF-8 somewhere in this column
            decoded = [
                None if v is None else v.decode("utf-8", "surrogateescape") for v in col.to_pylist()
            ]
            columns[name], bad = _strings(decoded)
            bad_rows.update(bad)
            for row in bad:
                not_utf8.setdefault(row, []).append(name)
    raw_fix = {}
    for row in sorted(bad_rows):
        record = {
            name: (None if v is None else v.decode("utf-8", "surrogateescape"))
            for name, v in ((n, batch.column(n)[row].as_py()) for n in batch.schema.names)
        }
        raw_fix[row] = _dumps(record)
    return Chunk(columns, pa.array([source] * batch.num_rows, pa.string()), raw_fix, not_utf8)


def _json_objects(columns: dict[str, pa.Array], n: int) -> pa.Array:
    """One compact JSON object per row of text columns; null fields omitted."""
    if not columns:
        return pa.array(["{}"] * n, pa.string())
    pieces = []
    for name, col in columns.items():
        escaped = pc.replace_substring(pc.replace_substring(col, "\\", "\\\\"), '"', '\\"')
        key = "," + json.dumps(name, ensure_ascii=False) + ':"'
        pieces.append(pc.fill_null(pc.binary_join_element_wise(key, escaped, '"', ""), ""))
    joined = pc.binary_join_element_wise(*pieces, "")
    return pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, 1), "}", "")


def _finish(names: list[str], chunk: Chunk, extra: dict[str, str] | None) -> pa.Table:
    n = chunk.num_rows
    raw = _json_objects(chunk.columns, n)
    fix = dict(chunk.raw_fix)
    special = None
    for col in chunk.columns.values():
        hit = pc.fill_null(pc.match_substring_regex(col, _CONTROL), False)
        special = hit if special is None else pc.or_(special, hit)
    if special is not None and pc.any(special).as_py():
        for row in pc.indices_nonzero(special).to_pylist():
            if row not in fix:
                fix[row] = json.dumps(
                    {k: c[row].as_py() for k, c in chunk.columns.items() if c[row].is_valid},
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
    if fix:
        rows = sorted(fix)
        mask = pc.is_in(pa.array(range(n)), value_set=pa.array(rows))
        raw = pc.replace_with_mask(raw, mask, pa.array([fix[r] for r in rows], pa.string()))
    arrays = {name: chunk.columns.get(name, pa.nulls(n, pa.string())) for name in names}
    arrays["_source"] = chunk.source
    arrays["_raw"] = raw
    # Which fields held bytes that were not UTF-8 (stored with U+FFFD in their place): a
    # U+FFFD the platform sent is valid text, so validation asks this column, not the value.
    marks = [None] * n
    for row, names_bad in chunk.not_utf8.items():
        marks[row] = NOT_UTF8_SEPARATOR.join(names_bad)
    arrays[NOT_UTF8] = pa.array(marks, pa.string())
    for name, value in (extra or {}).items():
        arrays[name] = pa.array([value] * n, pa.string())
    return pa.table(arrays)


class FieldsSeen:
    """Which fields a batch's records carried: declared or not, with a value or not."""

    def __init__(self, dataset: Dataset):
        self.names = dataset.field_names
        self.seen: set[str] = set()
        self.carried: set[str] = set()  # fields with at least one value

    def add(self, chunk: Chunk) -> None:
        self.seen.update(chunk.columns)
        self.carried.update(k for k, c in chunk.columns.items() if c.null_count < len(c))

    @property
    def unknown(self) -> list[str]:
        return sorted(self.seen - set(self.names))

    @property
    def missing(self) -> list[str]:
        return [name for name in self.names if name not in self.carried]


def finished_tables(
    dataset: Dataset,
    chunks: Iterable[Chunk],
    fields: FieldsSeen,
    extra: dict[str, str] | None = None,
) -> Iterator[pa.Table]:
    """The Batch table of each chunk (contract fields, `_source`, `_raw`), noting its fields."""
    for chunk in chunks:
        fields.add(chunk)
        yield _finish(dataset.field_names, chunk, extra)


def build_table(
    dataset: Dataset, chunks: Iterable[Chunk], extra: dict[str, str] | None = None
) -> tuple[pa.Table, list[str], list[str]]:
    """(table, unknown_fields, missing_columns) of a batch's chunks."""
    fields = FieldsSeen(dataset)
    tables = list(finished_tables(dataset, chunks, fields, extra))
    if not tables:
        tables.append(_finish(dataset.field_names, Chunk({}, pa.array([], pa.string())), extra))
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    return table, fields.unknown, fields.missing
