"""The server's wire details on a tiny hand-made data folder whose every value is known:
JSON and CSV encoding (numbers, escaping, absent fields, invalid UTF-8), late versions,
snapshot contents and the bank drop. The generated data is exercised in test_contract.py.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from creditlake.core.contract import API_PLATFORMS, DATASETS, DATE, INT, MONEY, NUM, PERIOD, TS
from creditlake.simulator.server import SimulatorServer

START = datetime(2026, 11, 1, tzinfo=UTC)
ROWS = 60
TRICKY = 'say "hi", then\nleave \\ 中文'


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(field, i: int) -> str | None:
    if not field.required and i % 4 == 3:
        return None
    return {
        DATE: f"2026-10-{1 + i % 28:02d}",
        PERIOD: f"2026-{1 + i % 10:02d}",
        MONEY: f"{1000 + i}.50",
        INT: str(i),
        NUM: f"{i}.25",
        TS: _ts(START),
    }.get(field.type, f"{field.name}-{i:03d}")


def make_tiny_data(root) -> None:
    """60 versions per dataset from 40 days before to 10 days after the start clock."""
    (root / "feeds").mkdir(parents=True)
    (root / "bank").mkdir()
    for d, ds in enumerate(DATASETS.values()):
        if ds.is_file_drop:
            continue
        cols: dict[str, list] = {f.name: [] for f in ds.fields}
        for i in range(ROWS):
            for f in ds.fields:
                cols[f.name].append(_value(f, i))
            # the last 10 rows are corrections of the first 10 keys
            for k in ds.key:
                cols[k][-1] = _value(ds.field(k), i % 50 if i >= 50 else i)
            cols["updated_at"][-1] = _ts(START - timedelta(days=40) + timedelta(hours=20 * i))
        str_fields = [f.name for f in ds.fields if f.type == "str" and f.name not in ds.key]
        num_fields = [f.name for f in ds.fields if f.type in (INT, NUM)]
        if str_fields:
            cols[str_fields[0]][5] = TRICKY
        if num_fields:
            cols[num_fields[0]][6] = "12,5"  # malformed: must arrive as a string
        bad = [None] * ROWS
        if str_fields:
            bad[7] = str_fields[-1]
            cols[str_fields[-1]][7] = "坏"
        order = sorted(
            range(ROWS), key=lambda i: (cols["updated_at"][i], [cols[k][i] for k in ds.key])
        )
        table = pa.table({n: pa.array([v[i] for i in order], pa.string()) for n, v in cols.items()})
        table = table.append_column("_row_id", pa.array(np.arange(ROWS) + 1000 * d, pa.int64()))
        table = table.append_column(
            "_bad_utf8_field", pa.array([bad[i] for i in order], pa.string())
        )
        pq.write_table(table, root / "feeds" / f"{ds.name}.parquet")
    for name in ("loans", "repayments"):
        ds = DATASETS[name]
        days = [START.date() - timedelta(days=31), START.date()] + [
            START.date() + timedelta(days=k) for k in (1, 2, 5)
        ]
        cols = {f.name: [_value(f, i) for i in range(25)] for f in ds.fields}
        cols["_file_date"] = [days[i % len(days)].isoformat() for i in range(25)]
        cols["_row_id"] = list(range(25))
        cols["_bad_utf8_field"] = [ds.fields[0].name if i == 2 else None for i in range(25)]
        table = pa.table(
            {n: pa.array(v, pa.int64() if n == "_row_id" else pa.string()) for n, v in cols.items()}
        )
        pq.write_table(table, root / "bank" / f"{name}.parquet")
    meta = {
        "seed": 1,
        "enterprises": 0,
        "months": 2,
        "first_period": "2026-09",
        "last_period": "2026-10",
        "start_clock": _ts(START),
        "future_days": 10,
        "files": {},
    }
    (root / "meta.json").write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-sim")
    make_tiny_data(root)
    return root


class Client:
    """Just enough of the contract for these tests (no retries: fault rate 0 here)."""

    def __init__(self, server: SimulatorServer):
        self.server, self.http, self.tokens = server, requests.Session(), {}

    def token(self, platform) -> str:
        if platform.name not in self.tokens:
            cid, secret = self.server.credentials[platform.name]
            r = self.http.post(
                self.server.url + "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": cid,
                    "client_secret": secret,
                },
            )
            r.raise_for_status()
            self.tokens[platform.name] = r.json()["access_token"]
        return self.tokens[platform.name]

    def get(self, dataset: str, path: str = "", **params) -> requests.Response:
        platform = next(p for p in API_PLATFORMS if p.name == DATASETS[dataset].platform)
        return self.http.get(
            self.server.url + platform.prefix + f"/{dataset}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.token(platform)}"},
        )

    def pull(self, dataset: str, **params) -> list[dict]:
        out, cursor = [], None
        while True:
            r = self.get(dataset, **params, **({"cursor": cursor} if cursor else {}))
            assert r.status_code == 200, r.text
            page = r.json()
            out += page["data"]
            cursor = page["next_cursor"]
            if cursor is None:
                return out


@pytest.fixture()
def tiny_server(tiny_data, tmp_path):
    with SimulatorServer(tiny_data, seed=1, drop=tmp_path / "drop") as server:
        yield server


def _feed(tiny_data, dataset):
    return pq.read_table(tiny_data / "feeds" / f"{dataset}.parquet").to_pylist()


# Money is "a decimal string or number" (contract section 2); the simulator sends both forms.
MONEY_AS_NUMBER = {
    "penalties",
    "tax_filings",
    "ss_contributions",
    "core_enterprises",
    "receivable_confirmations",
}


def test_json_records_carry_numbers_strings_absent_keys_and_invalid_utf8(tiny_server, tiny_data):
    client = Client(tiny_server)
    for dataset in ("tax_filings", "meter_readings", "enterprises", "ss_contributions"):
        got = client.pull(dataset, page_size=7)
        expected = [r for r in _feed(tiny_data, dataset) if r["updated_at"] <= _ts(START)]
        assert len(got) == len(expected) > 0
        numeric = {
            f.name
            for f in DATASETS[dataset].fields
            if f.type in (INT, NUM) or (f.type == MONEY and dataset in MONEY_AS_NUMBER)
        }
        for g, e in zip(got, expected):
            for name in DATASETS[dataset].field_names:
                value = e[name]
                if value is None:
                    assert name not in g
                elif name == e["_bad_utf8_field"]:
                    assert g[name] == "\udcff" + value
                    with pytest.raises(UnicodeEncodeError):
                        g[name].encode("utf-8")
                elif name in numeric and re.fullmatch(r"-?\d+(\.\d+)?", value):
                    assert g[name] == json.loads(value) and not isinstance(g[name], str)
                else:
                    assert g[name] == value


def test_updated_since_is_exclusive_and_pages_ordered(tiny_server, tiny_data):
    client = Client(tiny_server)
    feed = [r for r in _feed(tiny_data, "penalties") if r["updated_at"] <= _ts(START)]
    since = feed[20]["updated_at"]
    got = client.pull("penalties", updated_since=since, page_size=3)
    assert [r["penalty_id"] for r in got] == [
        r["penalty_id"] for r in feed if r["updated_at"] > since
    ]
    assert got == sorted(got, key=lambda r: (r["updated_at"], r["penalty_id"]))


def test_advance_reveals_future_rows_and_drops_bank_files(tiny_server, tiny_data, tmp_path):
    client = Client(tiny_server)
    before = client.pull("invoices", page_size=5000)
    drop = tmp_path / "drop"
    assert sorted(p.name for p in drop.iterdir()) == [
        "loans_20261001.csv.gz",
        "loans_20261001.csv.gz.sha256",
        "loans_20261101.csv.gz",
        "loans_20261101.csv.gz.sha256",
        "repayments_20261001.csv.gz",
        "repayments_20261001.csv.gz.sha256",
        "repayments_20261101.csv.gz",
        "repayments_20261101.csv.gz.sha256",
    ]
    result = requests.post(tiny_server.url + "/_sim/advance", json={"days": 2}).json()
    assert result["clock"] == "2026-11-03T00:00:00Z"
    assert result["drop_files"] == [
        "loans_20261102.csv.gz",
        "loans_20261102.csv.gz.sha256",
        "loans_20261103.csv.gz",
        "loans_20261103.csv.gz.sha256",
        "repayments_20261102.csv.gz",
        "repayments_20261102.csv.gz.sha256",
        "repayments_20261103.csv.gz",
        "repayments_20261103.csv.gz.sha256",
    ]
    after = client.pull("invoices", updated_since=before[-1]["updated_at"])
    expected = [
        r
        for r in _feed(tiny_data, "invoices")
        if before[-1]["updated_at"] < r["updated_at"] <= "2026-11-03T00:00:00Z"
    ]
    assert [r["updated_at"] for r in after] == [r["updated_at"] for r in expected] and after

    loans = [
        r
        for r in pq.read_table(tiny_data / "bank" / "loans.parquet").to_pylist()
        if r["_file_date"] == "2026-11-02"
    ]
    raw = gzip.decompress((drop / "loans_20261102.csv.gz").read_bytes())
    digest = (drop / "loans_20261102.csv.gz.sha256").read_text()
    assert (
        digest
        == hashlib.sha256((drop / "loans_20261102.csv.gz").read_bytes()).hexdigest()
        + "  loans_20261102.csv.gz\n"
    )
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8", "surrogateescape"), newline="")))
    assert rows[0] == DATASETS["loans"].field_names
    assert [r[0] for r in rows[1:]] == [
        ("\udcff" if r["_bad_utf8_field"] else "") + r["loan_id"] for r in loans
    ]
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_snapshots_hold_every_visible_version_in_both_formats(tiny_server, tiny_data):
    client = Client(tiny_server)
    formats = set()
    for dataset in ("enterprises", "enterprise_changes"):
        listing = client.get(dataset, "/snapshots", as_of="2026-11-01").json()["snapshots"]
        assert len(listing) == 1 and listing[0]["as_of"] == "2026-11-01T00:00:00Z"
        (file,) = listing[0]["files"]
        data = requests.get(tiny_server.url + file["url"]).content
        assert hashlib.sha256(data).hexdigest() == file["sha256"] and len(data) == file["bytes"]
        raw = gzip.decompress(data)
        marker = (
            b"\xff" if file["format"] == "csv.gz" else b"\\udcff"
        )  # raw bytes, or the JSON escape
        assert marker + "坏".encode() in raw
        text = raw.decode("utf-8", "surrogateescape")
        formats.add(file["format"])
        if file["format"] == "csv.gz":
            rows = list(csv.DictReader(io.StringIO(text, newline="")))
        else:
            rows = [json.loads(line) for line in text.splitlines()]
        expected = [
            r for r in _feed(tiny_data, dataset) if r["updated_at"] <= "2026-11-01T00:00:00Z"
        ]
        assert file["rows"] == len(rows) == len(expected)
        tricky = [r for r in rows if TRICKY in r.values()]
        assert len(tricky) == 1
        older = client.get(dataset, "/snapshots", as_of="2026-10-15").json()["snapshots"]
        assert older[0]["as_of"] == "2026-10-01T00:00:00Z"
        assert client.get(dataset, "/snapshots", as_of="2026-08-31").json() == {"snapshots": []}
    assert formats == {"csv.gz", "jsonl.gz"}


def test_csv_snapshots_may_lead_with_a_bom_and_rebuild_byte_identical(tiny_data, tmp_path):
    shas = []
    for copy in ("a", "b"):
        folder = tmp_path / copy
        make_tiny_data(folder)
        with SimulatorServer(folder, seed=1, drop=folder / "drop") as server:
            client = Client(server)
            heads = {}
            for dataset in ("enterprises", "penalties"):
                (file,) = client.get(dataset, "/snapshots").json()["snapshots"][0]["files"]
                shas.append(file["sha256"])
                heads[dataset] = gzip.decompress(requests.get(server.url + file["url"]).content)[:3]
            assert heads["penalties"] == b"\xef\xbb\xbf" and heads["enterprises"] != b"\xef\xbb\xbf"
    assert shas[:2] == shas[2:]
