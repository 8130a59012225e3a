"""Simulator API throughput over loopback, each figure beside a baseline from the same run.

- incremental pull: every page of a big dataset at page_size 5000, JSON parsed by the
  client (rows/s), beside pyarrow reading the same rows from the feed's Parquet file;
- bulk snapshot: streaming the dataset's snapshot files (MB/s), beside copying the same
  bytes from disk to disk.

The server runs in its own process (as in production, the client does not share its GIL).

    python -m bench small api     (5,000 enterprises x 24 months)
    python -m bench full api      (100,000 enterprises x 36 months)
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import requests
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from creditlake.core.config import PROJECT_ROOT

SCALES = {"full": (100_000, 36), "small": (5_000, 24)}
SEED = 7
DATASET, PREFIX = "meter_readings", "/utility/v1"
PAGE_SIZE = 5000


def _data(scale: str) -> Path:
    enterprises, months = SCALES[scale]
    # the full-scale folder is the one bench_ingest uses too: generated once for both
    data = (
        PROJECT_ROOT / ".bench" / ("sim-full" if scale == "full" else f"sim-{enterprises}x{months}")
    )
    if not (data / "meta.json").exists():
        from creditlake.simulator.generator import generate

        print(
            f"   generating {enterprises:,} enterprises x {months} months into {data}", flush=True
        )
        generate(out=data, seed=SEED, enterprises=enterprises, months=months)
    return data


def _serve(data: str, port: int) -> None:
    from creditlake.simulator.server import SimulatorServer

    SimulatorServer(data, seed=SEED, port=port).start()
    while True:  # until the benchmark terminates this process
        time.sleep(3600)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _token(url: str) -> dict:
    from creditlake.core.contract import PLATFORMS
    from creditlake.simulator.server import default_credentials

    cid, secret = default_credentials(PLATFORMS["utility"], SEED)
    r = requests.post(
        url + "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret},
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _wait_up(url: str, proc) -> None:
    for _ in range(600):
        try:
            requests.get(url + "/_sim/clock", timeout=5)
            return
        except requests.RequestException:  # not listening yet, or still writing the bank drop
            if not proc.is_alive():
                raise RuntimeError("simulator process died") from None
            time.sleep(0.1)
    raise RuntimeError("simulator did not come up")


def _pull(http: requests.Session, url: str, headers: dict, expected: int) -> int:
    rows, cursor = 0, None
    with Progress(
        TextColumn("   pull"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as bar:
        task = bar.add_task("pull", total=expected)
        while True:
            params = {"page_size": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
            r = http.get(url + PREFIX + "/" + DATASET, params=params, headers=headers, timeout=600)
            r.raise_for_status()
            page = json.loads(r.content)
            rows += len(page["data"])
            bar.update(task, advance=len(page["data"]))
            cursor = page["next_cursor"]
            if cursor is None:
                return rows


def main(scale: str = "small") -> None:
    data = _data(scale)
    meta = json.loads((data / "meta.json").read_text())
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(str(data), port), daemon=True
    )
    proc.start()
    try:
        _wait_up(url, proc)
        http = requests.Session()
        headers = _token(url)
        feed = data / "feeds" / f"{DATASET}.parquet"

        started = time.perf_counter()  # first request: the server loads and encodes the feed once
        http.get(
            url + PREFIX + "/" + DATASET, params={"page_size": 1}, headers=headers, timeout=3600
        ).raise_for_status()
        load_s = time.perf_counter() - started

        base_s = float("inf")
        for _ in range(2):  # best of two: the first read also pays pyarrow's one-off start-up
            started = time.perf_counter()
            table = pq.read_table(feed)
            visible = table.filter(pc.less_equal(table.column("updated_at"), meta["start_clock"]))
            base_s = min(base_s, time.perf_counter() - started)
        base_rows = visible.num_rows

        started = time.perf_counter()
        rows = _pull(http, url, headers, base_rows)
        api_s = time.perf_counter() - started
        assert rows == base_rows, f"pulled {rows} rows, the feed has {base_rows} visible"
        api_rate, base_rate = rows / api_s, base_rows / base_s
        print(
            f"   server load+encode {DATASET}: {table.num_rows:,} versions in {load_s:.1f} s",
            flush=True,
        )
        print(
            f"   API pull {DATASET} page_size {PAGE_SIZE}: {rows:,} rows in {api_s:.1f} s = {api_rate:,.0f} rows/s; "
            f"baseline pyarrow read of the feed: {base_rate:,.0f} rows/s; ratio {api_rate / base_rate:.3f}",
            flush=True,
        )

        started = time.perf_counter()
        listing = http.get(
            url + PREFIX + "/" + DATASET + "/snapshots", headers=headers, timeout=3600
        ).json()
        build_s = time.perf_counter() - started
        files = listing["snapshots"][0]["files"]
        total = sum(f["bytes"] for f in files)
        with tempfile.TemporaryDirectory(dir=PROJECT_ROOT / ".bench") as tmp:
            started = time.perf_counter()
            for i, f in enumerate(files):
                with (
                    http.get(url + f["url"], stream=True, timeout=600) as r,
                    open(Path(tmp) / f"dl{i}", "wb") as out,
                ):
                    r.raise_for_status()
                    for chunk in r.iter_content(1 << 20):
                        out.write(chunk)
            dl_s = time.perf_counter() - started
            sources = [
                data / "snapshots" / f["url"].split("?")[0].removeprefix("/files/") for f in files
            ]
            started = time.perf_counter()
            for i, src in enumerate(sources):
                shutil.copyfile(src, Path(tmp) / f"cp{i}")
            cp_s = time.perf_counter() - started
        mb = total / 1e6
        print(
            f"   snapshot build (first request, cached after): {listing['snapshots'][0]['files'][0]['format']}, "
            f"{len(files)} file(s), {mb:,.1f} MB in {build_s:.1f} s",
            flush=True,
        )
        print(
            f"   snapshot download: {mb / dl_s:,.0f} MB/s; baseline disk copy: {mb / cp_s:,.0f} MB/s; "
            f"ratio {(mb / dl_s) / (mb / cp_s):.3f}",
            flush=True,
        )
    finally:
        proc.terminate()
        proc.join(timeout=10)


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "small")
