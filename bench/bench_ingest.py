"""Ingestion throughput: bulk snapshot backfill and incremental API pull, end to end.

Each figure (rows received per second through pull -> land -> validate -> publish to
Iceberg) is printed beside a baseline measured in the same run on the same machine:
pyarrow reading the very csv.gz files that were landed and writing them to Parquet,
with no validation, no typing and no catalog. The ratio says what the pipeline's
checks, lineage and commits cost relative to a bare file conversion.

    python -m bench small ingest     (2,000 enterprises x 14 months)
    python -m bench full ingest      (100,000 enterprises x 36 months)
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from creditlake.connectors.ingest import Progress
from creditlake.core.config import PROJECT_ROOT, environment
from creditlake.core.contract import API_PLATFORMS

SCALES = {"full": (100_000, 36), "small": (2_000, 14)}
SEED = 7


def _data(scale: str) -> Path:
    enterprises, months = SCALES[scale]
    data = PROJECT_ROOT / ".bench" / f"sim-{scale}"
    if not (data / "meta.json").exists():
        from creditlake.simulator.generator import generate

        print(
            f"   generating {enterprises:,} enterprises x {months} months into {data}", flush=True
        )
        generate(out=data, seed=SEED, enterprises=enterprises, months=months)
    return data


class _Report(Progress):
    """One line per dataset as it finishes: a full-scale run takes the better part of an hour."""

    def start(self, dataset: str, mode: str) -> None:
        self.started = time.perf_counter()

    def done(self, dataset: str, results) -> None:
        seconds = time.perf_counter() - self.started
        rows = sum(r.received for r in results)
        print(
            f"   {time.strftime('%H:%M:%S')} {dataset:<26} {rows:>12,} rows {seconds:8.1f} s  {rows / max(seconds, 1e-9):>9,.0f} rows/s"
            f"  {len(results)} batch(es)  peak RSS {_peak_rss_gb():.1f} GB",
            flush=True,
        )


def _peak_rss_gb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _run(platforms: list[str], mode: str) -> dict[str, tuple[int, float, float]]:
    """platform -> (rows received, seconds end to end, seconds inside lakehouse.publish)."""
    from creditlake.connectors.ingest import run_ingest

    figures = {}
    for name in platforms:
        started = time.perf_counter()
        results = run_ingest(name, mode=mode, progress=_Report())
        figures[name] = (
            sum(r.received for r in results),
            time.perf_counter() - started,
            sum(r.seconds for r in results),
        )
    return figures


def _total(
    figures: dict[str, tuple[int, float, float]], names=None, connector_only: bool = False
) -> tuple[int, float]:
    picked = [figures[n] for n in (names or figures)]
    seconds = sum(s - (p if connector_only else 0) for _, s, p in picked)
    return sum(r for r, _, _ in picked), seconds


def _baseline(files: list[Path]) -> tuple[int, float]:
    """pyarrow: csv.gz -> Parquet, every column as raw bytes (no UTF-8 check, no typing)."""
    rows = 0
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        for number, path in enumerate(files):
            header = pacsv.open_csv(path).schema.names
            table = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.binary() for name in header}, strings_can_be_null=True
                ),
            )
            pq.write_table(table, Path(out) / f"{number}.parquet")
            rows += table.num_rows
        return rows, time.perf_counter() - started


def _warm_snapshots() -> None:
    # The simulator builds a snapshot's files on first request; build them before the
    # clock starts so the figure measures the connector, not the simulator.
    from creditlake.connectors.api import server_clock
    from creditlake.connectors.http import PlatformClient
    from creditlake.connectors.settings import platform_settings
    from creditlake.connectors.sources import platform_sources

    for plat in API_PLATFORMS:
        with PlatformClient(platform_settings(plat.name), plat.prefix) as client:
            for src in platform_sources(plat.name):
                day = server_clock(client, src).date().isoformat()
                client.get_json(src.snapshots_path, {"as_of": day})


def _warm_imports() -> None:
    # Module imports (pyiceberg, Great Expectations) are a one-off per process, not throughput.
    import importlib

    for module in (
        "creditlake.connectors.ingest",
        "creditlake.lakehouse.publish",
        "creditlake.expectations.validation",
        "great_expectations",
    ):
        importlib.import_module(module)


def main(scale: str = "small") -> None:
    from creditlake.simulator.server import SimulatorServer

    data = _data(scale)
    work = PROJECT_ROOT / ".bench" / f"ingest-{scale}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    server = SimulatorServer(data, seed=SEED, fault_rate=0.0, drop=work / "drop").start()
    try:
        env = dict(line.removeprefix("export ").split("=", 1) for line in server.env_lines())
        env.setdefault("CREDITLAKE_PII_KEY", "bench-pii-key")
        api = [p.name for p in API_PLATFORMS]

        env["CREDITLAKE_WAREHOUSE"] = str(work / "snapshot")
        with environment(env):
            print("   building the simulator's snapshot files (not timed) ...", flush=True)
            _warm_snapshots()
            _warm_imports()
            print("   snapshot backfill:", flush=True)
            snapshot = _run(api + ["bank"], "snapshot")
        landed = sorted((work / "snapshot" / "landing").rglob("*.csv.gz"))
        base_rows, base_seconds = _baseline(landed)

        env["CREDITLAKE_WAREHOUSE"] = str(work / "incremental")
        with environment(env):
            print("   incremental pull:", flush=True)
            incremental = _run(api, "incremental")
    finally:
        server.stop()

    base_rate = base_rows / base_seconds
    print(f"   peak RSS of the bench process (simulator server included): {_peak_rss_gb():.1f} GB")
    print(
        f"   baseline     pyarrow csv.gz -> Parquet, no checks: {base_rows:,} rows in {base_seconds:.1f} s "
        f"= {base_rate:,.0f} rows/s ({len(landed)} files)"
    )
    lines = [
        ("snapshot     backfill, all datasets + bank drop", _total(snapshot)),
        ("  of which    13 API datasets (bulk snapshot files)", _total(snapshot, api)),
        ("  of which    bank drop (one batch per drop file)", _total(snapshot, ["bank"])),
        ("incremental  API pull, 13 datasets (pages)", _total(incremental)),
        ("connectors only (pull + land + parse; lakehouse.publish excluded):", None),
        ("  snapshot    13 API datasets", _total(snapshot, api, connector_only=True)),
        ("  incremental 13 API datasets", _total(incremental, connector_only=True)),
    ]
    for label, figure in lines:
        if figure is None:
            print(f"   {label}")
            continue
        rows, seconds = figure
        rate = rows / seconds if seconds else 0.0
        print(
            f"   {label}: {rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s "
            f"= {rate / base_rate:.3f} x baseline"
        )


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "small")
