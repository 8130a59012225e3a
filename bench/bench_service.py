"""The bank service under load while a dbt build publishes, beside a direct DuckDB query of the
same rows in the same run.

    .venv/bin/python -m bench.bench_service [small|full]

1. Marts as bench_dbt builds them (bronze loaded straight from the generator's feeds, one
   `dbt build`), published.
2. Baseline: 20 threads for 60 s, each asking DuckDB directly (its own cursor on one
   read-only connection) the queries of one enterprise's credit view.
3. The service (`creditlake serve`, its own process, the embedded audit store) with 20
   clients for 60 s: the enterprise JSON endpoints and the report page, for enterprises the
   bank is authorised for, while a second `dbt build` runs and publishes a new file. Every
   request is audited (the audit log is verified afterwards). p50/p95/p99 per endpoint,
   errors, and the ratio to the baseline.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

SCALES = {"small": (2_000, 24), "full": (20_000, 24)}
CLIENTS, SECONDS = 20, 60.0


def _percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    q = statistics.quantiles(samples, n=100) if len(samples) > 1 else [samples[0]] * 99
    return f"p50 {q[49] * 1000:6.1f} ms  p95 {q[94] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms  n={len(samples):,}"


def _load(worker, stop: threading.Event) -> None:
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join()


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
        usccs = [
            r[0]
            for r in con.execute(
                "select uscc from marts.dim_enterprise order by uscc limit 200"
            ).fetchall()
        ]
    print(
        f"bench_service {scale}: {enterprises:,} enterprises x {months} months; first build {first:.1f} s"
    )

    # -- baseline: the same reads straight from DuckDB --------------------------------------
    con = duckdb.connect(str(published), read_only=True)
    direct: list[float] = []
    stop = threading.Event()
    names = ["registry", "score", "indicators", "warnings", "repayment_summary"]

    def ask_duckdb(i: int) -> None:
        cur = con.cursor()
        k = i
        while not stop.is_set():
            code = usccs[k % len(usccs)]
            started = time.perf_counter()
            for name in names:
                cur.execute(QUERIES[name], [code]).fetchall()
            direct.append(time.perf_counter() - started)
            k += CLIENTS

    _load(ask_duckdb, stop)
    con.close()

    # -- the service, while a build publishes ------------------------------------------------
    keys = write_bank_file(root / "banks.toml", ["bank"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
    for code in usccs:
        requests.post(url + "/v1/authorisations", headers=headers, timeout=10, json={
            "uscc": code, "purpose": "loan_application", "valid_from": str(date.today() - timedelta(days=1)),
            "valid_to": str(date.today() + timedelta(days=1)), "document_sha256": letter,
        }).raise_for_status()  # fmt: skip
    samples: dict[str, list[float]] = {"/v1/enterprises/{uscc}": [], "/report/{uscc}": []}
    errors: list[str] = []
    stop = threading.Event()

    def ask_service(i: int) -> None:
        session = requests.Session()
        k = i
        while not stop.is_set():
            code = usccs[k % len(usccs)]
            path = "/report/{uscc}" if k % 5 == 0 else "/v1/enterprises/{uscc}"  # 1 in 5 a report
            started = time.perf_counter()
            r = session.get(url + path.replace("{uscc}", code), headers=headers, timeout=30,
                            params={"purpose": "loan_application"})  # fmt: skip
            elapsed = time.perf_counter() - started
            (
                samples[path].append(elapsed)
                if r.status_code == 200
                else errors.append(f"{r.status_code} {path}")
            )
            k += CLIENTS

    build_seconds: list[float] = []

    def build_and_publish() -> None:
        time.sleep(5)
        started = time.perf_counter()
        dbt_build(warehouse, "under_load")
        publish(db, published)
        build_seconds.append(time.perf_counter() - started)

    builder = threading.Thread(target=build_and_publish)
    builder.start()
    try:
        _load(ask_service, stop)
        builder.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    verified = subprocess.run([cli, "audit", "verify"], env=env, capture_output=True, text=True)
    base95 = statistics.quantiles(direct, n=100)[94]
    print(
        f"  baseline, direct DuckDB, {len(names)} queries of one enterprise:".ljust(64)
        + _percentiles(direct)
    )
    for path, values in samples.items():
        ratio = (
            statistics.quantiles(values, n=100)[94] / base95 if len(values) > 1 else float("nan")
        )
        print(
            f"  service {path}:".ljust(64) + _percentiles(values) + f"  p95 {ratio:.1f} x baseline"
        )
    print(f"  {CLIENTS} clients for {SECONDS:.0f} s; a dbt build published during it "
          f"({build_seconds[0] if build_seconds else float('nan'):.1f} s); errors: {len(errors)} {sorted(set(errors))[:5]}")  # fmt: skip
    print(f"  audit: {verified.stdout.strip() or verified.stderr.strip()}")
