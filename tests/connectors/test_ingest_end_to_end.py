"""Against the real simulator with faults: every dataset, incremental and snapshot,
lands exactly what the planted truth says; a re-run changes nothing; no personal data
leaves the landing zone. Both worlds publish big batches in parts (a small
CREDITLAKE_MAX_PART_ROWS), so exactness also covers records cut across parts."""

from __future__ import annotations

import gzip
import io
import sqlite3
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from simworld import (
    ENTERPRISES,
    MONTHS,
    PLATFORM_ORDER,
    SEED,
    assert_exact,
    bronze_counts,
    environment,
    pii_values,
    quarantined,
    server_env,
)

FAULT_RATE = 0.1
PART_ROWS = {"incremental": "500", "snapshot": "400"}  # most datasets: several parts


@pytest.fixture(scope="session")
def sim_data(tmp_path_factory) -> Path:
    from creditlake.simulator.generator import generate

    out = tmp_path_factory.mktemp("connectors-sim") / "sim"
    generate(out=out, seed=SEED, enterprises=ENTERPRISES, months=MONTHS)
    return out


def _world(sim_data: Path, tmp: Path, mode: str):
    from creditlake.connectors.ingest import run_ingest
    from creditlake.simulator.server import SimulatorServer

    server = SimulatorServer(sim_data, seed=SEED, fault_rate=FAULT_RATE, drop=tmp / "drop").start()
    env = server_env(server, tmp / "warehouse")
    env["CREDITLAKE_PAGE_SIZE"] = "250"  # ~100 pages in all, so the fault rate shows
    env["CREDITLAKE_MAX_PART_ROWS"] = PART_ROWS[mode]
    with environment(env):
        results = [r for platform in PLATFORM_ORDER for r in run_ingest(platform, mode=mode)]
        yield server, results, tmp / "warehouse"
    server.stop()


@pytest.fixture(scope="module")
def incremental(sim_data, tmp_path_factory):
    yield from _world(sim_data, tmp_path_factory.mktemp("incremental"), "incremental")


@pytest.fixture(scope="module")
def snapshot(sim_data, tmp_path_factory):
    yield from _world(sim_data, tmp_path_factory.mktemp("snapshot"), "snapshot")


def test_incremental_with_faults_is_exact(sim_data, incremental):
    server, results, _ = incremental
    assert {r.status for r in results} <= {"published"}, [
        r for r in results if r.status != "published"
    ]
    assert sum(".p" in r.batch_id for r in results) > 10  # published in parts
    assert_exact(sim_data, server)
    faults = server.faults.stats()["faults"]
    assert sum(faults.values()) >= 5, faults  # the run really met faults


def test_rerun_of_the_same_window_changes_nothing(sim_data, incremental):
    from creditlake.connectors.ingest import run_ingest

    server, _, _ = incremental
    before = bronze_counts(), {k: len(v) for k, v in quarantined().items()}
    again = [r for platform in PLATFORM_ORDER for r in run_ingest(platform)]
    assert sum(r.published + r.quarantined for r in again) == 0, again
    assert (bronze_counts(), {k: len(v) for k, v in quarantined().items()}) == before
    assert_exact(sim_data, server)


def test_snapshot_backfill_with_faults_is_exact(sim_data, snapshot):
    server, results, _ = snapshot
    assert {r.status for r in results} <= {"published"}, [
        r for r in results if r.status != "published"
    ]
    assert_exact(sim_data, server)


def _zigzag(data: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return (value >> 1) ^ -(value & 1), pos
        shift += 7


def _avro_blocks(data: bytes) -> bytes:
    """The decompressed blocks of an Avro container file (the file ends with its sync marker)."""
    sync, out = data[-16:], []
    for segment in data.split(sync)[1:]:
        if not segment:
            continue
        _, pos = _zigzag(segment, 0)
        size, pos = _zigzag(segment, pos)
        block = segment[pos : pos + size]
        try:
            out.append(zlib.decompress(block, -15))
        except zlib.error:
            out.append(block)  # codec "null"
    return b"\n".join(out)


def _texts_outside_landing(warehouse: Path):
    """Every readable text of every file under the warehouse, landing excepted."""
    for path in warehouse.rglob("*"):
        if not path.is_file() or "landing" in path.relative_to(warehouse).parts:
            continue
        data = path.read_bytes()
        yield path, data
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            for col in table.columns:
                yield path, "\n".join(map(str, col.cast(pa.string()).to_pylist())).encode()
        elif data[:2] == b"\x1f\x8b":
            yield path, gzip.decompress(data)
        elif data[:4] == b"Obj\x01":  # Iceberg manifests: Avro blocks, deflate-compressed
            yield path, _avro_blocks(data)
        elif path.suffix in (".db", ".sqlite") and data[:6] == b"SQLite":
            with sqlite3.connect(path) as con:
                dump = io.StringIO("\n".join(con.iterdump()))
            yield path, dump.getvalue().encode()


def _landing_text(warehouse: Path) -> bytes:
    parts = []
    for path in (warehouse / "landing").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            parts.append(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return b"\n".join(parts)


@pytest.mark.parametrize("world", ["incremental", "snapshot"])
def test_no_personal_data_outside_landing(sim_data, world, request):
    warehouse = request.getfixturevalue(world)[2]
    needles = [s.encode() for s in pii_values(sim_data)]
    assert len(needles) > 100
    # the raw zone holds them (proves the needles are what the platforms sent) ...
    landed = _landing_text(warehouse)
    assert sum(n in landed for n in needles[:200]) > 20
    # ... and nothing past it does
    leaks = []
    for path, text in _texts_outside_landing(warehouse):
        leaks += [(str(path), n.decode()) for n in needles if n in text]
    assert not leaks, leaks[:10]
