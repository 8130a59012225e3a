"""The simulator seen from outside: a client written only from the feed contract.

The client below is deliberately independent of the project's connectors (its own
token handling and retry loop), so these tests check the server against the contract,
not against another piece of our own code. Data: the generated `sim_data` folder.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests

from creditlake.core.contract import API_PLATFORMS, DATASETS
from creditlake.simulator.faults import KINDS
from creditlake.simulator.server import SimulatorServer

RATE = 0.2
PLATFORM_OF = {d.name: p for p in API_PLATFORMS for d in p.datasets}


class ContractClient:
    """Pulls pages and files as the contract says; records what it met on the way."""

    def __init__(self, url: str, credentials: dict[str, tuple[str, str]]):
        self.url, self.credentials = url, credentials
        self.http = requests.Session()
        self.tokens: dict[str, str] = {}
        self.met: Counter[str] = Counter()  # fault kinds seen from the client side
        self.expected: Counter[str] = Counter()  # sum of per-request fault chances, by kind
        self.attempts = 0
        self.retry_after_forms: set[str] = set()
        self.transcript: list[
            tuple[int, str, bytes]
        ] = []  # (status, fault kind, body) of every attempt

    def token(self, platform) -> str:
        if platform.name not in self.tokens:
            cid, secret = self.credentials[platform.name]
            r = self._send(
                "token",
                "POST",
                self.url + "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": cid,
                    "client_secret": secret,
                },
            )
            self.tokens[platform.name] = r.json()["access_token"]
        return self.tokens[platform.name]

    def _send(
        self, endpoint: str, method: str, url: str, platform=None, stream=False, **kw
    ) -> requests.Response:
        kinds = {"token": 4, "listing": 5, "file": 4, "page": 6, "first_page": 5}[endpoint]
        for _ in range(40):
            headers = {"Authorization": f"Bearer {self.token(platform)}"} if platform else {}
            self.attempts += 1
            self.expected["any"] += RATE
            for kind in ("rate_limit", "server_error", "reset", "truncated"):
                self.expected[kind] += RATE / kinds
            if endpoint in ("page", "first_page", "listing"):
                self.expected["token_expiry"] += RATE / kinds
            if endpoint == "page":
                self.expected["duplicates"] += RATE / kinds
            try:
                r = self.http.request(method, url, headers=headers, timeout=60, stream=stream, **kw)
                body = r.content if not stream else b""
            except requests.ConnectionError:
                self._met("reset", 0, b"")
                continue
            if r.status_code == 429:
                retry_after = r.headers["Retry-After"]
                if retry_after.isdigit():
                    self.retry_after_forms.add("seconds")
                    assert int(retry_after) <= 5
                else:  # an HTTP-date about 2 s ahead; a test client need not really wait
                    self.retry_after_forms.add("date")
                    assert -5 < parsedate_to_datetime(retry_after).timestamp() - time.time() <= 5
                self._met("rate_limit", 429, body)
                continue
            if r.status_code in (500, 502, 503, 504):
                self._met("server_error", r.status_code, body)
                continue
            if r.status_code == 401 and platform is not None:
                assert r.json()["error"] == "invalid_token"
                self.tokens.pop(platform.name)
                self._met("token_expiry", 401, body)
                continue
            if r.status_code == 200 and not stream:
                try:
                    r.json()
                except ValueError:
                    self._met("truncated", 200, body)
                    continue
            self.transcript.append((r.status_code, "", body))
            return r
        raise AssertionError(f"{url}: gave up after 40 attempts")

    def _met(self, kind: str, status: int, body: bytes) -> None:
        self.met[kind] += 1
        self.met["any"] += 1
        self.transcript.append((status, kind, body))

    def pull(
        self, dataset: str, page_size: int = 1000, updated_since: str | None = None
    ) -> list[list[dict]]:
        """Every page of one incremental pull."""
        platform = PLATFORM_OF[dataset]
        url = self.url + platform.prefix + "/" + dataset
        params = {
            "page_size": page_size,
            **({"updated_since": updated_since} if updated_since else {}),
        }
        pages, cursor = [], None
        while True:
            r = self._send(
                "page" if cursor else "first_page",
                "GET",
                url,
                platform,
                params={**params, **({"cursor": cursor} if cursor else {})},
            )
            page = r.json()
            assert page["dataset"] == dataset and len(page["data"]) <= page_size
            if pages and page["data"][:1] and page["data"][0] in pages[-1]["data"]:
                self.met["duplicates"] += 1
            pages.append(page)
            cursor = page["next_cursor"]
            if cursor is None:
                return pages

    def snapshot(self, dataset: str, as_of: str | None = None) -> list[dict]:
        platform = PLATFORM_OF[dataset]
        url = self.url + platform.prefix + "/" + dataset + "/snapshots"
        return self._send(
            "listing", "GET", url, platform, params={"as_of": as_of} if as_of else {}
        ).json()["snapshots"]

    def download(self, file: dict, dest: Path) -> Path:
        """Stream a snapshot file to disk; a file that fails its checksum is fetched again."""
        for _ in range(3):
            digest = hashlib.sha256()
            try:
                with (
                    self._send("file", "GET", self.url + file["url"], stream=True) as r,
                    open(dest, "wb") as out,
                ):
                    for chunk in r.iter_content(1 << 16):
                        digest.update(chunk)
                        out.write(chunk)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                self._met("truncated", 200, b"")  # the body stopped short of its Content-Length
                continue
            if digest.hexdigest() == file["sha256"]:
                return dest
        raise AssertionError(f"{file['url']}: checksum never matched")


def records(pages: list[dict]) -> list[dict]:
    return [r for p in pages for r in p["data"]]


def version(dataset: str, record: dict) -> tuple:
    return (*[record.get(k) for k in DATASETS[dataset].key], record.get("updated_at"))


def feed_versions(data: Path, dataset: str, clock: str) -> list[tuple]:
    """(key..., updated_at) of every version in the feed with updated_at <= clock, in feed order."""
    cols = [*DATASETS[dataset].key, "updated_at"]
    table = pq.read_table(data / "feeds" / f"{dataset}.parquet", columns=cols).to_pydict()
    return [v for v in zip(*(table[c] for c in cols)) if v[-1] <= clock]


def snapshot_versions(
    client: ContractClient, dataset: str, listing: dict, tmp: Path
) -> list[tuple]:
    out = []
    for i, file in enumerate(listing["files"]):
        path = client.download(file, tmp / f"{dataset}-{i}.{file['format']}")
        with gzip.open(path, "rt", encoding="utf-8", errors="surrogateescape", newline="") as f:
            if file["format"] == "jsonl.gz":
                rows = [json.loads(line) for line in f]
            else:  # an empty CSV field is a null; a BOM may lead the file
                text = f.read().removeprefix("\ufeff")
                rows = [
                    {k: (v if v != "" else None) for k, v in r.items()}
                    for r in csv.DictReader(io.StringIO(text, newline=""))
                ]
        assert len(rows) == file["rows"]
        out += [version(dataset, r) for r in rows]
    return out


def within(observed: float, expected: float, n: int, p: float, sds: float = 4.0) -> bool:
    """Binomial bounds: |observed - expected| within `sds` standard deviations."""
    return abs(observed - expected) <= sds * math.sqrt(max(n * p * (1 - p), 1.0))


@pytest.fixture(scope="module")
def data(sim_data) -> Path:
    return Path(sim_data)


@pytest.fixture(scope="module")
def simulator(data, tmp_path_factory):
    """Servers over the shared data folder that write their snapshots and drops elsewhere."""
    cache = tmp_path_factory.mktemp("snapshots")

    def start(tmp: Path, **options) -> SimulatorServer:
        return SimulatorServer(data, seed=7, drop=tmp / "drop", snapshot_dir=cache, **options)

    return start


@pytest.fixture(scope="module")
def clean(simulator, tmp_path_factory):
    with simulator(tmp_path_factory.mktemp("clean")) as server:
        yield server


# --- authentication and bad requests ------------------------------------------------------
def test_token_good_and_bad_credentials_and_missing_or_wrong_token(clean):
    tax = next(p for p in API_PLATFORMS if p.name == "tax")
    cid, secret = clean.credentials["tax"]
    assert (cid, secret) == ("tax-client", "tax-secret-7")
    url = clean.url + tax.prefix
    # one token endpoint at the base (contract section 1); none under the prefix
    assert (
        requests.post(
            url + "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret},
        ).status_code
        == 404
    )
    ok = requests.post(
        clean.url + "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret},
    )
    assert (
        ok.status_code == 200
        and ok.json()["token_type"] == "bearer"
        and ok.json()["expires_in"] == 3600
    )
    token = ok.json()["access_token"]
    bad = requests.post(
        clean.url + "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": cid, "client_secret": "wrong"},
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert requests.get(url + "/taxpayers").status_code == 401
    assert (
        requests.get(url + "/taxpayers", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    other = next(p for p in API_PLATFORMS if p.name == "utility")
    assert (
        requests.get(
            clean.url + other.prefix + "/meter_readings",
            headers={"Authorization": f"Bearer {token}"},
        ).status_code
        == 401
    )
    assert (
        requests.get(url + "/taxpayers", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )


def test_expired_token_gets_401_and_a_new_token_works(simulator, tmp_path):
    with simulator(tmp_path, token_ttl=1) as server:
        client = ContractClient(server.url, server.credentials)
        tax = next(p for p in API_PLATFORMS if p.name == "tax")
        old = client.token(tax)
        time.sleep(1.5)
        r = requests.get(
            server.url + tax.prefix + "/taxpayers", headers={"Authorization": f"Bearer {old}"}
        )
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
        client.tokens.clear()
        assert records(client.pull("taxpayers"))


@pytest.mark.parametrize(
    "params, status, words",
    [
        ({"page_size": 0}, 400, "page_size"),
        ({"page_size": 5001}, 400, "page_size"),
        ({"page_size": "ten"}, 400, "page_size"),
        ({"updated_since": "yesterday"}, 400, "updated_since"),
        ({"updated_since": "2026-10-01T00:00:00"}, 400, "RFC 3339"),
        ({"updated_since": "2026-10-01"}, 400, "RFC 3339"),
        ({"cursor": "bm90IGEgY3Vyc29y.0000"}, 400, "cursor"),
    ],
)
def test_bad_parameters_get_400_with_a_message(clean, params, status, words):
    client = ContractClient(clean.url, clean.credentials)
    tax = next(p for p in API_PLATFORMS if p.name == "tax")
    r = requests.get(
        clean.url + tax.prefix + "/tax_filings",
        params=params,
        headers={"Authorization": f"Bearer {client.token(tax)}"},
    )
    assert r.status_code == status and words in r.json()["message"]


def test_unknown_paths_get_404(clean):
    client = ContractClient(clean.url, clean.credentials)
    tax = next(p for p in API_PLATFORMS if p.name == "tax")
    auth = {"Authorization": f"Bearer {client.token(tax)}"}
    for path in ("/tax/v1/invoices", "/tax/v1/nothing", "/tax/v2/taxpayers", "/files/x?sig=y", "/"):
        r = requests.get(clean.url + path, headers=auth)
        assert r.status_code == 404 and r.json()["error"] == "not_found", path


def test_a_cursor_of_another_dataset_is_refused(clean):
    client = ContractClient(clean.url, clean.credentials)
    pages = client.pull("tax_filings", page_size=10)
    assert len(pages) > 1
    tax = next(p for p in API_PLATFORMS if p.name == "tax")
    r = requests.get(
        clean.url + tax.prefix + "/taxpayers",
        params={"cursor": pages[0]["next_cursor"]},
        headers={"Authorization": f"Bearer {client.token(tax)}"},
    )
    assert r.status_code == 400 and "tax_filings" in r.json()["message"]


# --- incremental pulls --------------------------------------------------------------------
def test_every_dataset_arrives_complete_ordered_and_once(clean, data):
    client = ContractClient(clean.url, clean.credentials)
    clock = requests.get(clean.url + "/_sim/clock").json()["clock"]
    for dataset in PLATFORM_OF:
        pages = client.pull(dataset, page_size=2000)
        assert all(p["as_of"] == clock for p in pages)
        got = [version(dataset, r) for r in records(pages)]
        ordered = [(v[-1], v[:-1]) for v in got]
        assert ordered == sorted(ordered), dataset
        assert got == feed_versions(data, dataset, clock), dataset


def test_updated_since_is_exclusive(clean, data):
    client = ContractClient(clean.url, clean.credentials)
    clock = clean.meta["start_clock"]
    expected = feed_versions(data, "invoices", clock)
    since = expected[len(expected) // 2][-1]
    got = [
        version("invoices", r)
        for r in records(client.pull("invoices", page_size=500, updated_since=since))
    ]
    assert got == [v for v in expected if v[-1] > since] and got


def test_invalid_utf8_arrives_as_surrogate_escapes(clean, data):
    client = ContractClient(clean.url, clean.credentials)
    found = 0
    for dataset in PLATFORM_OF:
        table = pq.read_table(data / "feeds" / f"{dataset}.parquet").to_pylist()
        bad = {
            version(dataset, r): r
            for r in table
            if r.get("_bad_utf8_field") and r["updated_at"] <= clean.meta["start_clock"]
        }
        if not bad:
            continue
        for record in records(client.pull(dataset, page_size=5000)):
            row = bad.get(version(dataset, record))
            if row is not None and record.get(row["_bad_utf8_field"], "").startswith("\udcff"):
                found += 1
                assert record[row["_bad_utf8_field"]] == "\udcff" + row[row["_bad_utf8_field"]]
    assert found > 0


# --- snapshots ----------------------------------------------------------------------------
def test_snapshots_checksums_rows_and_both_formats(clean, data, tmp_path):
    client = ContractClient(clean.url, clean.credentials)
    formats = set()
    for dataset in PLATFORM_OF:
        (listing,) = client.snapshot(dataset, clean.meta["start_clock"][:10])
        assert listing["as_of"] == clean.meta["start_clock"]
        formats |= {f["format"] for f in listing["files"]}
        got = snapshot_versions(client, dataset, listing, tmp_path)
        assert Counter(got) == Counter(feed_versions(data, dataset, listing["as_of"])), dataset
    assert formats == {"csv.gz", "jsonl.gz"}
    # a month-start snapshot exists for an earlier date
    (older,) = client.snapshot("invoices", clean.meta["last_period"] + "-15")
    assert older["as_of"] == clean.meta["last_period"] + "-01T00:00:00Z"


# --- faults -------------------------------------------------------------------------------
def _pull_everything_through_faults(server: SimulatorServer, tmp: Path) -> ContractClient:
    client = ContractClient(server.url, server.credentials)
    for dataset in ("meter_readings", "invoices", "enterprises", "taxpayers"):
        visible = len(feed_versions(server.data_dir, dataset, server.meta["start_clock"]))
        client.pull(
            dataset, page_size=max(2, visible // 80)
        )  # about 80 pages each, whatever the data size
    for dataset in ("penalties", "enterprises"):
        for listing in client.snapshot(dataset):
            snapshot_versions(client, dataset, listing, tmp)
    return client


def test_faults_appear_at_about_the_asked_rate_and_data_still_arrives(simulator, data, tmp_path):
    with simulator(tmp_path, fault_rate=RATE) as server:
        client = _pull_everything_through_faults(server, tmp_path)
        n = client.attempts
        assert n > 300
        assert within(client.met["any"], client.expected["any"], n, RATE), (client.met, n)
        for kind in KINDS["page"]:  # every kind a page can meet
            p = client.expected[kind] / n
            assert client.met[kind] > 0 and within(client.met[kind], client.expected[kind], n, p), (
                kind,
                client.met,
            )
        assert client.retry_after_forms == {"seconds", "date"}
        stats = requests.get(server.url + "/_sim/stats").json()  # the server's own count agrees
        assert stats["faults"] == {k: v for k, v in client.met.items() if k != "any"}

        # every page of a pull and the snapshot at the same clock agree, through the faults,
        # and hold every version up to the clock: nothing shows up later behind the cursor
        pages = client.pull("invoices", page_size=300)
        pulled = {version("invoices", r) for r in records(pages)}
        (listing,) = client.snapshot("invoices")
        assert pulled == set(snapshot_versions(client, "invoices", listing, tmp_path))
        assert pulled == set(feed_versions(data, "invoices", server.meta["start_clock"]))
        # after a day, a pull from the last record's updated_at (exclusive) brings only newer ones
        newest = max(v[-1] for v in pulled)
        assert requests.post(server.url + "/_sim/advance", json={"days": 1}).status_code == 200
        later = {
            version("invoices", r)
            for r in records(client.pull("invoices", page_size=300, updated_since=newest))
        }
        assert later and all(v[-1] > newest for v in later)
        assert pulled | later == set(feed_versions(data, "invoices", "2026-11-02T00:00:00Z"))


def test_same_seed_and_rate_give_the_same_responses(simulator, tmp_path):
    transcripts = []
    for run in range(2):
        with simulator(tmp_path / str(run), fault_rate=RATE) as server:
            client = ContractClient(server.url, server.credentials)
            for dataset in ("tax_filings", "penalties"):
                client.pull(dataset, page_size=50)
            client.snapshot("penalties")
            masked = [
                (s, k, re.sub(rb'"(next_cursor|access_token)":\s*"[^"]*"', b"", b))
                for s, k, b in client.transcript
            ]
            transcripts.append(masked)
    assert transcripts[0] == transcripts[1] and len(transcripts[0]) > 20


# --- simulated time -----------------------------------------------------------------------
def test_advance_brings_new_and_corrected_records_and_bank_files(simulator, data, tmp_path):
    drop = tmp_path / "drop"
    with simulator(tmp_path) as server:
        client = ContractClient(server.url, server.credentials)
        first = {
            d: records(client.pull(d, page_size=5000))
            for d in ("meter_readings", "invoices", "tax_filings")
        }
        files_before = set(os.listdir(drop))
        result = requests.post(server.url + "/_sim/advance", json={"days": 1}).json()
        assert requests.get(server.url + "/_sim/clock").json()["clock"] == result["clock"]
        new_versions, corrections = 0, 0
        for dataset, old in first.items():
            seen = {version(dataset, r)[:-1] for r in old}
            later = records(
                client.pull(dataset, page_size=5000, updated_since=old[-1]["updated_at"])
            )
            assert all(old[-1]["updated_at"] < r["updated_at"] <= result["clock"] for r in later)
            assert [version(dataset, r) for r in later] == [
                v
                for v in feed_versions(data, dataset, result["clock"])
                if v[-1] > old[-1]["updated_at"]
            ]
            new_versions += len(later)
            corrections += sum(version(dataset, r)[:-1] in seen for r in later)
        assert new_versions > corrections > 0
        new_files = set(os.listdir(drop)) - files_before
        assert new_files == set(result["drop_files"])
        for name in sorted(new_files):
            if name.endswith(".csv.gz"):
                companion = drop / (name + ".sha256")
                assert (
                    companion.read_text()
                    == f"{hashlib.sha256((drop / name).read_bytes()).hexdigest()}  {name}\n"
                )
                assert companion.stat().st_mtime_ns >= (drop / name).stat().st_mtime_ns
        bank = (
            pq.read_table(data / "bank" / "loans.parquet", columns=["_file_date"])
            .column(0)
            .to_pylist()
        )
        due = {d.replace("-", "") for d in bank if d <= result["clock"][:10]}
        assert {
            n[6:14] for n in os.listdir(drop) if n.startswith("loans_") and n.endswith(".gz")
        } == due


# --- the command --------------------------------------------------------------------------
def test_serve_command_prints_url_and_credentials_and_answers(data, tmp_path):
    data = Path(
        shutil.copytree(data, tmp_path / "data")
    )  # the command caches snapshots inside its folder
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    exe = Path(sys.executable).with_name("creditlake")
    proc = subprocess.Popen(
        [
            str(exe),
            "simulator",
            "serve",
            "--data",
            str(data),
            "--seed",
            "7",
            "--port",
            str(port),
            "--drop",
            str(tmp_path / "drop"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        lines = []
        deadline = time.time() + 60
        while time.time() < deadline and not any(line.startswith("clock:") for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
        text = "\n".join(lines)
        assert f"http://127.0.0.1:{port}" in text, text
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", text, re.M))
        assert exports["CREDITLAKE_TAX_BASE_URL"] == f"http://127.0.0.1:{port}"
        assert exports["CREDITLAKE_SOCIAL_SECURITY_CLIENT_SECRET"] == "social-security-secret-7"
        r = requests.post(
            exports["CREDITLAKE_TAX_BASE_URL"] + "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": exports["CREDITLAKE_TAX_CLIENT_ID"],
                "client_secret": exports["CREDITLAKE_TAX_CLIENT_SECRET"],
            },
        )
        assert r.status_code == 200
        assert (
            requests.get(f"http://127.0.0.1:{port}/_sim/clock").json()["clock"]
            == json.loads((data / "meta.json").read_text())["start_clock"]
        )
        moved = subprocess.run(
            [str(exe), "simulator", "advance", "--url", f"http://127.0.0.1:{port}", "--days", "2"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert moved.returncode == 0 and "clock: " in moved.stdout, moved.stderr
        assert requests.get(f"http://127.0.0.1:{port}/_sim/clock").json()["clock"] in moved.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=20)
