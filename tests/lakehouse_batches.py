"""Hand-built batches of valid records, to which each test adds the bad rows it needs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa

from creditlake.core import contract, uscc
from creditlake.core.batch import NOT_UTF8, NOT_UTF8_SEPARATOR, Batch
from creditlake.core.contract import DATE, INT, MONEY, NUM, PERIOD, TS

AS_OF = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def make_uscc(i: int) -> str:
    body = f"91440300{i:09d}"
    return body + uscc.check_char(body)


def make_legacy(i: int) -> str:
    body = f"44030010{i:06d}"
    return body + uscc.legacy_check_digit(body)


def good_record(dataset: str, i: int) -> dict[str, str]:
    """A valid record of `dataset`; `i` makes its key unique."""
    ds = contract.dataset(dataset)
    record: dict[str, str] = {}
    for f in ds.fields:
        if f.codes:
            value = f.codes[i % len(f.codes)]
        elif f.identifier in ("uscc", "uscc_or_legacy"):
            value = make_uscc(i)
        elif f.identifier == "legacy":
            value = make_legacy(i)
        elif f.identifier == "industry":
            value = "C3311"
        elif f.identifier == "region":
            value = "440305"
        elif f.type == DATE:
            value = f"2024-{1 + i % 12:02d}-15"
        elif f.type == PERIOD:
            value = f"2025-{1 + i % 12:02d}"
        elif f.type == TS:
            value = "2026-11-20T08:00:00Z"
        elif f.type == MONEY:
            value = f"{100 + i}.50"
        elif f.type == NUM:
            value = "0.0435" if f.name == "annual_rate" else "12.5"
        elif f.type == INT:
            value = "2025" if f.name == "rating_year" else "3"
        else:
            value = f"{f.name}-{i}"
        record[f.name] = value
    for name in ds.key:  # unique keys even where the key is a code/date combination
        f = ds.field(name)
        if f.type == contract.STR and not f.codes and not f.identifier:
            record[name] = f"{name}-{i}"
    if dataset == "enterprises":
        record.update(
            name=f"深圳市测试{i}有限公司",
            legal_rep_name=f"张{i}三",
            legal_rep_id_no=f"44030519800101{i:04d}",
            contact_phone=f"1380000{i:04d}",
        )
    if dataset == "loans":
        record["loan_id"] = f"L{i}"
    return record


def make_batch(
    dataset: str,
    records: list[dict],
    batch_id: str = "b-1",
    *,
    mode: str = "incremental",
    watermark: str | None = "2026-11-20T08:00:00Z",
    as_of: datetime = AS_OF,
    file_date: str | None = None,
    **extra,
) -> Batch:
    columns: list[str] = []
    for record in records:
        columns += [c for c in record if c not in columns]
    table = pa.table({c: pa.array([r.get(c) for r in records], pa.string()) for c in columns})
    raw = [json.dumps(r, ensure_ascii=False) for r in records]
    table = table.append_column(
        "_source", pa.array([f"https://api.test/{dataset}?page=1"] * len(records), pa.string())
    )
    table = table.append_column("_raw", pa.array(raw, pa.string()))
    # As the landing readers do: name the fields holding bytes that were not UTF-8. In these
    # hand-made records a U+FFFD stands for such a byte.
    not_utf8 = [
        NOT_UTF8_SEPARATOR.join(c for c in columns if "\ufffd" in (r.get(c) or "")) or None
        for r in records
    ]
    table = table.append_column(NOT_UTF8, pa.array(not_utf8, pa.string()))
    if file_date:
        table = table.append_column("_file_date", pa.array([file_date] * len(records), pa.string()))
    return Batch(
        dataset=dataset,
        batch_id=batch_id,
        mode=mode,
        table=table,
        as_of=as_of,
        fetched_at=as_of,
        watermark=watermark,
        **extra,
    )


def good_batch(dataset: str, n: int = 20, start: int = 0, batch_id: str = "b-1", **kw) -> Batch:
    return make_batch(
        dataset, [good_record(dataset, i) for i in range(start, start + n)], batch_id, **kw
    )
