"""The bank service under load while a dbt build publishes, beside a direct DuckDB query of the
same rows in the same run.

    .venv/bin/python -m bench.bench_service [small|full]

1. Marts as bench_dbt builds them (bronze loaded straight from the generator's feeds, one
   `dbt build`), published.
2. The load: 20 clients for 60 s, each sending a request on a Poisson schedule of 4 a second
   (80 a second in all), to enterprises drawn at random from every enterprise in the marts.
   Latency runs from the scheduled time, not the time the request went out, so a server that
   falls behind is charged for the queue it builds (no coordinated omission).
3. Baseline: the same load asking DuckDB directly (a cursor each on one read-only connection)
   for the rows the service reads: the enterprise's credit-view document. Beside it, the same
   view assembled from the fact tables per request (what the serving marts save).
4. The service (`creditlake serve`, its own process, the embedded audit store) under that
   load: the single-enterprise JSON endpoints and 1 request in 5 the report page. Every
   request is audited (the log is verified afterwards). p50/p95/p99 per endpoint, errors, and
   the ratio to the baseline.
   Each of these runs has another `dbt build` run and publish a new file while it lasts.
5. Capacity: 20 clients with no pause for 15 s, the service against DuckDB directly.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

SCALES = {"small": (2_000, 24), "full": (20_000, 24)}
CLIENTS, SECONDS, RATE = 20, 60.0, 4.0  # RATE: requests a second per client
CAPACITY_SECONDS = 15.0


def _percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    q = statistics.quantiles(samples, n=100) if len(samples) > 1 else [samples[0]] * 99
    return f"p50 {q[49] * 1000:6.1f} ms  p95 {q[94] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms  n={len(samples):,}"


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94] if len(samples) > 1 else float("nan")


def _load(ask, usccs: list[str], seconds: float, paced: bool = True) -> int:
    """CLIENTS threads calling ask(client, uscc, scheduled) for `seconds`: on a Poisson schedule
    of RATE a second each (`scheduled` is when the request was due), or back to back."""
    stop = time.monotonic() + seconds
    done = [0] * CLIENTS

    def client(i: int) -> None:
        rng = random.Random(i)
        due = time.perf_counter()
        while time.monotonic() < stop:
            if paced:
                due += rng.expovariate(RATE)
                time.sleep(max(0.0, due - time.perf_counter()))
            else:
                due = time.perf_counter()
            ask(i, rng.choice(usccs), due)
            done[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done)


def _load_while_building(ask, usccs: list[str], warehouse: Path, seconds: list[float]) -> None:
    """_load for SECONDS while, from 5 s in, a second `dbt build` runs and publishes a new file."""
    from bench.bench_dbt import dbt_build
    from creditlake.transform import publish

    def build_and_publish() -> None:
        time.sleep(5)
        started = time.perf_counter()
        dbt_build(warehouse, "under_load")
        publish(
            warehouse / "marts" / "creditlake.duckdb",
            warehouse / "marts" / "published" / "creditlake.duckdb",
        )
        seconds.append(time.perf_counter() - started)

    builder = threading.Thread(target=build_and_publish)
    builder.start()
    _load(ask, usccs, SECONDS)
    builder.join()


def main(scale: str = "small") -> None:
    import duckdb
    import requests

    from bench.bench_dbt import SEED, dbt_build, load_bronze, start_clock
    from creditlake.service.cli import write_bank_file
    from creditlake.service.marts import QUERIES
    from creditlake.simulator.generator import generate
    from creditlake.transform import publish

    enterprises, months = SCALES[scale]
    root = Path(os.environ.get("CREDITLAKE_BENCH_DIR", ".bench")).resolve() / "service" / scale
    sim = root / "sim"
    if not (sim / "meta.json").exists():
        generate(out=sim, seed=SEED, enterprises=enterprises, months=months, quiet=True)
    warehouse = root / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    db = warehouse / "marts" / "creditlake.duckdb"
    published = warehouse / "marts" / "published" / "creditlake.duckdb"
    load_bronze(sim, warehouse / "bronze", db, start_clock(sim))
    first = dbt_build(warehouse, "first")
    publish(db, published)
    with duckdb.connect(str(published), read_only=True) as con:
        usccs = [r[0] for r in con.execute("select uscc from marts.dim_enterprise").fetchall()]
    print(
        f"bench_service {scale}: {enterprises:,} enterprises x {months} months; first build "
        f"{first:.1f} s; {CLIENTS} clients x {RATE:g} requests/s for {SECONDS:.0f} s over "
        f"{len(usccs):,} enterprises",
        flush=True,
    )

    # -- baseline: the same rows straight from DuckDB ----------------------------------------
    con = duckdb.connect(str(published), read_only=True)
    cursors = [con.cursor() for _ in range(CLIENTS)]
    # the view as five queries of the fact tables, as the service read it before serving marts
    assembled_sql = [
        "select * exclude (registry_updated_at) from marts.dim_enterprise where uscc = ?",
        "select * exclude (_built_at) from marts.fct_credit_score where uscc = ? "
        "order by month desc limit 1",
        "select * exclude (_built_at) from marts.fct_credit_indicators where uscc = ? "
        "order by month desc limit 1",
        "select * exclude (_built_at) from marts.fct_risk_warnings where uscc = ? "
        "order by first_seen_month desc",
        "select count(*), max(days_past_due) from marts.fct_loan_month where uscc = ?",
    ]
    direct: dict[str, list[float]] = {"document": [], "assembled": []}

    def reader(statements: list[str], latencies: list[float]):
        def read(i: int, code: str, due: float) -> None:
            for sql in statements:
                cursors[i].execute(sql, [code]).fetchall()
            latencies.append(time.perf_counter() - due)

        return read

    build_seconds: list[float] = []  # each load but the capacity runs while a build publishes
    _load_while_building(
        reader([QUERIES["credit_view"]], direct["document"]), usccs, warehouse, build_seconds
    )
    print("  direct DuckDB (document):".ljust(64) + _percentiles(direct["document"]), flush=True)
    _load_while_building(
        reader(assembled_sql, direct["assembled"]), usccs, warehouse, build_seconds
    )
    print("  direct DuckDB (assembled):".ljust(64) + _percentiles(direct["assembled"]), flush=True)
    direct_capacity = _load(
        reader([QUERIES["credit_view"]], []), usccs, CAPACITY_SECONDS, paced=False
    )
    con.close()

    # -- the service, while a build publishes ------------------------------------------------
    keys = write_bank_file(root / "banks.toml", ["bank"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "CREDITLAKE_WAREHOUSE": str(warehouse),
        "CREDITLAKE_SERVICE_BANKS": str(root / "banks.toml"),
        "CREDITLAKE_AUDIT_KEY": "bench-audit-key",
        "CREDITLAKE_SERVICE_RATE": "100000",
        "CREDITLAKE_SERVICE_BURST": "100000",
    }
    cli = str(Path(sys.executable).parent / "creditlake")
    server = subprocess.Popen([cli, "serve", "--port", str(port)], env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {keys['bank']}"}
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url + "/healthz", timeout=1)
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start") from None
            time.sleep(0.2)
    letter = hashlib.sha256(b"bench").hexdigest()
    with requests.Session() as session:
        for code in usccs:
            session.post(url + "/v1/authorisations", headers=headers, timeout=10, json={
                "uscc": code, "purpose": "loan_application", "valid_from": str(date.today() - timedelta(days=1)),
                "valid_to": str(date.today() + timedelta(days=1)), "document_sha256": letter,
            }).raise_for_status()  # fmt: skip
    # in every 5 requests of a client: the report once, the credit view twice, loans, offers
    mix = [
        "/report/{uscc}",
        "/v1/enterprises/{uscc}",
        "/v1/enterprises/{uscc}/loans",
        "/v1/enterprises/{uscc}/offers",
        "/v1/enterprises/{uscc}",
    ]
    samples: dict[str, list[float]] = {path: [] for path in mix}
    errors: list[str] = []
    # http.client, one kept-alive connection per client: requests' own CPU per call, on the
    # same two cores, would be charged to the service
    connections = [
        http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(CLIENTS)
    ]
    turns = [0] * CLIENTS

    def asker(latencies: dict[str, list[float]]):
        def ask(i: int, code: str, due: float) -> None:
            turns[i] += 1
            path = mix[turns[i] % len(mix)]
            query = urllib.parse.urlencode({"purpose": "loan_application"})
            connections[i].request(
                "GET", f"{path.replace('{uscc}', code)}?{query}", headers=headers
            )
            r = connections[i].getresponse()
            r.read()
            elapsed = time.perf_counter() - due
            if r.status == 200:
                latencies.setdefault(path, []).append(elapsed)
            else:
                errors.append(f"{r.status} {path}")

        return ask

    try:
        _load_while_building(asker(samples), usccs, warehouse, build_seconds)
        saturated: dict[str, list[float]] = {}
        service_capacity = _load(asker(saturated), usccs, CAPACITY_SECONDS, paced=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    verified = subprocess.run([cli, "audit", "verify"], env=env, capture_output=True, text=True)
    base95 = _p95(direct["document"])
    print(
        "  direct DuckDB, one enterprise's credit view (the baseline):".ljust(64)
        + _percentiles(direct["document"])
    )
    print(
        "  direct DuckDB, the same view from 5 fact-table queries:".ljust(64)
        + _percentiles(direct["assembled"])
        + f"  p95 {_p95(direct['assembled']) / base95:.1f} x baseline"
    )
    for path, values in samples.items():
        print(
            f"  service {path}:".ljust(64)
            + _percentiles(values)
            + f"  p95 {_p95(values) / base95:.1f} x baseline"
        )
    print(f"  a dbt build published during each run ({', '.join(f'{b:.1f}' for b in build_seconds)} s); "
          f"errors: {len(errors)} {sorted(set(errors))[:5]}")  # fmt: skip
    print(
        f"  capacity, {CLIENTS} clients with no pause for {CAPACITY_SECONDS:.0f} s: service "
        f"{service_capacity / CAPACITY_SECONDS:,.0f} requests/s, direct DuckDB "
        f"{direct_capacity / CAPACITY_SECONDS:,.0f} documents/s "
        f"({service_capacity / max(direct_capacity, 1):.2f} x)"
    )
    for path, values in saturated.items():  # what a client waits when nobody pauses
        print(f"    no pause, service {path}:".ljust(64) + _percentiles(values))
    print(f"  audit: {verified.stdout.strip() or verified.stderr.strip()}")
