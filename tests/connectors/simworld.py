"""A simulator world for end-to-end connector tests: generated data, a running server,
its credentials in the environment and a fresh warehouse; and what the lakehouse must
hold afterwards, computed from the simulator's planted truth."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from creditlake.core.config import environment  # noqa: F401  (re-exported for the tests)
from creditlake.core.contract import DATASETS, PLATFORMS

SEED, ENTERPRISES, MONTHS = 7, 200, 14
PLATFORM_ORDER = ["commerce", "tax", "social-security", "utility", "supply-chain", "bank"]


def server_env(server, warehouse: Path) -> dict[str, str]:
    env = dict(line.removeprefix("export ").split("=", 1) for line in server.env_lines())
    env["CREDITLAKE_WAREHOUSE"] = str(warehouse)
    env["CREDITLAKE_PII_KEY"] = os.environ.get("CREDITLAKE_PII_KEY", "test-pii-key")
    return env


def server_clock(server) -> datetime:
    return datetime.fromtimestamp(server.clock, UTC)


# -- what the simulator served, from its data folder and fault plan --------------------


def _epoch(col: pa.ChunkedArray) -> np.ndarray:
    ts = pc.strptime(col, format="%Y-%m-%dT%H:%M:%SZ", unit="s", error_is_null=True)
    return pc.fill_null(ts.cast(pa.int64()), np.iinfo(np.int64).max).to_numpy()


def expected(data: Path, server, datasets=None) -> dict[str, dict]:
    """Per dataset: good = distinct good versions (key, version) the server has shown by
    now (late corrections included once visible), bad = bad rows shown, reasons = the
    planted (key, reason) pairs of those bad rows."""
    bad = pq.read_table(data / "truth" / "bad_records.parquet")
    clock = int(server.clock)
    day = server_clock(server).date().isoformat()
    out = {}
    for name in datasets or DATASETS:
        ds = DATASETS[name]
        bank = ds.is_file_drop
        path = data / ("bank" if bank else "feeds") / f"{name}.parquet"
        version = "_file_date" if bank else "updated_at"
        table = pq.read_table(path, columns=list(dict.fromkeys([*ds.key, version, "_row_id"])))
        if bank:
            shown = pc.less_equal(table[version], day).to_numpy(zero_copy_only=False)
        else:
            shown = _epoch(table["updated_at"]) <= clock
        mine = bad.filter(pc.equal(bad["dataset"], name))
        is_bad = pc.is_in(table["_row_id"], value_set=mine["_row_id"]).to_numpy(
            zero_copy_only=False
        )
        good = table.filter(pa.array(shown & ~is_bad)).select([*ds.key, version])
        good_n = good.group_by(good.column_names).aggregate([]).num_rows if good.num_rows else 0
        shown_ids = table["_row_id"].filter(pa.array(shown & is_bad))
        shown_bad = mine.filter(pc.is_in(mine["_row_id"], value_set=shown_ids))
        reasons = Counter(
            (_norm_key(k), r)
            for k, r in zip(shown_bad["key"].to_pylist(), shown_bad["reason"].to_pylist())
        )
        out[name] = {"good": good_n, "bad": int((shown & is_bad).sum()), "reasons": reasons}
    return out


def _norm_key(text) -> tuple:
    try:
        doc = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return (str(text),)
    if not isinstance(doc, dict):
        return (str(doc),)

    def clean(v):
        return (
            None if v in (None, "") else str(v).replace("\ufffd", "").replace("\udcff", "").strip()
        )

    return tuple(sorted((k, clean(v)) for k, v in doc.items()))


# -- what the lakehouse holds -------------------------------------------------------------


def bronze_counts(datasets=None) -> dict[str, int]:
    from creditlake import lakehouse

    return {name: lakehouse.read_bronze(name).num_rows for name in datasets or DATASETS}


def quarantined(datasets=None) -> dict[str, list[dict]]:
    from creditlake import lakehouse

    wanted = set(datasets or DATASETS)
    rows: dict[str, list[dict]] = {name: [] for name in wanted}
    for plat in PLATFORMS:
        table = lakehouse.quarantine(plat)
        for row in table.select(["dataset", "record_key", "reason_codes"]).to_pylist():
            if row["dataset"] in wanted:
                rows[row["dataset"]].append(row)
    return rows


def quarantine_reasons(rows: list[dict]) -> Counter:
    """(key, reason) pairs; a row flagged for several reasons counts for each."""
    pairs: Counter = Counter()
    for row in rows:
        for code in (row["reason_codes"] or "").split(","):
            if code:
                pairs[(_norm_key(row["record_key"]), code.strip())] += 1
    return pairs


def assert_exact(data: Path, server, datasets=None) -> None:
    want = expected(data, server, datasets)
    have = bronze_counts(want)
    rows = quarantined(want)
    problems = []
    for name, exp in want.items():
        if have[name] != exp["good"]:
            problems.append(f"{name}: bronze {have[name]} != expected good {exp['good']}")
        if len(rows[name]) != exp["bad"]:
            problems.append(f"{name}: quarantine {len(rows[name])} != expected bad {exp['bad']}")
        missing = exp["reasons"] - quarantine_reasons(rows[name])
        if missing:
            problems.append(
                f"{name}: planted (key, reason) not quarantined with that reason: "
                f"{list(missing.items())[:5]}"
            )
    assert not problems, "\n".join(problems)


def pii_values(data: Path) -> set[str]:
    """Every id_no and phone value the simulator served (what must never leave landing)."""
    values: set[str] = set()
    for name, ds in DATASETS.items():
        cols = [f.name for f in ds.fields if f.pii and ("id_no" in f.name or "phone" in f.name)]
        path = data / "feeds" / f"{name}.parquet"
        if not cols or not path.exists():
            continue
        table = pq.read_table(path, columns=cols)
        for col in cols:
            values.update(v for v in pc.unique(table[col]).to_pylist() if v and len(v) >= 8)
    return values
