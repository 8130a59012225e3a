"""A worker killed anywhere in publish, then a replay of the same batch, ends exact."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pytest
from lakehouse_batches import good_record, make_batch

from creditlake import lakehouse

HERE = Path(__file__).parent
PUBLISH = f"""
import sys
sys.path[:0] = [{str(HERE)!r}, {str(HERE.parent)!r}]  # this module, and lakehouse_batches
from test_recovery import invoices
from creditlake import lakehouse
print(lakehouse.publish(invoices()))
"""


def invoices():
    rows = [good_record("invoices", i) for i in range(30)]
    rows[3]["status"] = "void"  # quarantined
    rows.append(dict(rows[5]))  # exact duplicate
    return make_batch("invoices", rows, "inv-1", watermark="2026-11-20T08:00:00Z")


def _run(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PUBLISH], env=env, capture_output=True, text=True, timeout=120
    )


def _state() -> dict:
    log = lakehouse.ingest_log()
    quarantine = lakehouse.quarantine("supply-chain")
    return {
        "bronze": lakehouse.read_bronze("invoices").num_rows,
        "quarantine": quarantine.filter(pc.equal(quarantine["dataset"], "invoices")).num_rows,
        "log": [
            (r["status"], r["received"], r["published"], r["quarantined"], r["duplicates"])
            for r in log.to_pylist()
        ],
        "watermark": lakehouse.watermark("invoices"),
    }


@pytest.mark.parametrize(
    "point",
    [
        "lakehouse.quarantine.after_commit",
        "lakehouse.bronze.mid_write",
        "lakehouse.ingest_log.before_commit",
    ],
)
def test_crash_then_replay_equals_one_clean_run(point, tmp_path):
    env = dict(os.environ, CREDITLAKE_CRASH_AT=point)
    crashed = _run(env)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    replay = lakehouse.publish(invoices())
    assert replay.status == "published"
    assert (replay.received, replay.published, replay.quarantined, replay.duplicates) == (
        31,
        29,
        1,
        1,
    )
    assert _state() == {
        "bronze": 29,
        "quarantine": 1,
        "log": [("published", 31, 29, 1, 1)],
        "watermark": "2026-11-20T08:00:00Z",
    }
    assert lakehouse.publish(invoices()).status == "already_published"
