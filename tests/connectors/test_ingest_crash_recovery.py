"""Kill the ingest process at every named crash point, re-run, and check that no
partial batch was ever visible and that the final state is exactly the planted truth.

The crash is real: a subprocess runs run_ingest with CREDITLAKE_CRASH_AT=<point>:<n>
and dies with os._exit(137) there (creditlake.core.crashpoints); the recovery is an
ordinary run in this process.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from simworld import ENTERPRISES, MONTHS, SEED, assert_exact, environment, server_env

ROOT = Path(__file__).resolve().parents[2]

# (point, nth pass, platform, dataset, mode): every crash point of the connectors and the
# lakehouse at least once. Most run on social security (one dataset, three pages at the
# page size below, bad rows to quarantine): cheap; utility adds the dependency order.
SCENARIOS = [
    ("connectors.page_landed", 2, "social-security", None, "incremental"),  # mid-pull
    ("connectors.landing.before_manifest", 1, "social-security", None, "incremental"),
    ("connectors.landing.before_rename", 1, "social-security", None, "incremental"),
    ("connectors.landed", 2, "utility", None, "incremental"),  # 2nd dataset landed, not published
    ("connectors.before_publish", 1, "social-security", None, "incremental"),
    ("lakehouse.quarantine.before_commit", 1, "social-security", None, "incremental"),
    ("lakehouse.quarantine.after_commit", 1, "social-security", None, "incremental"),
    ("lakehouse.bronze.before_commit", 1, "social-security", None, "incremental"),
    ("lakehouse.bronze.mid_write", 2, "utility", None, "incremental"),  # files written, no commit
    ("lakehouse.bronze.after_commit", 1, "social-security", None, "incremental"),
    ("lakehouse.ingest_log.before_commit", 1, "social-security", None, "incremental"),
    ("lakehouse.ingest_log.after_commit", 1, "social-security", None, "incremental"),
    ("connectors.after_publish", 1, "social-security", None, "incremental"),  # marker not written
    ("connectors.snapshot_file_landed", 1, "social-security", None, "snapshot"),
    ("connectors.landed", 3, "bank", "loans", "incremental"),  # third drop file
]
# Big batches are published in parts (connectors.split): crashes between and inside parts.
PART_ROWS = "300"
IN_PARTS = [
    ("connectors.after_publish", 2, "social-security", None, "snapshot"),  # 2 of ~9 parts done
    ("lakehouse.bronze.after_commit", 3, "social-security", None, "incremental"),
    ("connectors.split_written", 1, "utility", None, "incremental"),  # parts spilled, not landed
]
DATASETS = {
    "utility": ["utility_accounts", "meter_readings"],
    "social-security": ["ss_contributions"],
    "bank": ["loans"],
}


def test_every_crash_point_is_covered():
    sources = list((ROOT / "connectors").glob("*.py")) + list(
        (ROOT / "creditlake" / "lakehouse").glob("*.py")
    )
    points = {m for p in sources for m in re.findall(r'crashpoint\("([^"]+)"\)', p.read_text())}
    covered = {s[0] for s in SCENARIOS + IN_PARTS}
    assert points <= covered, sorted(points - covered)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    from creditlake.simulator.generator import generate

    out = tmp_path_factory.mktemp("crash-sim") / "sim"
    generate(out=out, seed=SEED, enterprises=ENTERPRISES, months=MONTHS)
    return out


def _bronze_batches(datasets) -> dict[str, Counter]:
    from creditlake import lakehouse

    return {d: Counter(lakehouse.read_bronze(d)["_batch_id"].to_pylist()) for d in datasets}


def _logged_published(datasets) -> dict[tuple[str, str], int]:
    from creditlake import lakehouse

    log = lakehouse.ingest_log().to_pylist()
    return {
        (r["dataset"], r["batch_id"]): r["published"]
        for r in log
        if r["dataset"] in datasets and r["status"] == "published"
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "point,nth,platform,dataset,mode,part_rows",
    [s + (None,) for s in SCENARIOS] + [s + (PART_ROWS,) for s in IN_PARTS],
    ids=[f"{s[0]}:{s[1]}-{s[3] or s[2]}" for s in SCENARIOS]
    + [f"{s[0]}:{s[1]}-{s[3] or s[2]}-{s[4]}-in-parts" for s in IN_PARTS],
)
def test_crash_then_rerun_is_exact(sim, tmp_path, point, nth, platform, dataset, mode, part_rows):
    from creditlake.connectors.ingest import run_ingest
    from creditlake.simulator.server import SimulatorServer

    server = SimulatorServer(sim, seed=SEED, fault_rate=0.0, drop=tmp_path / "drop").start()
    try:
        env = server_env(server, tmp_path / "warehouse")
        env["CREDITLAKE_PAGE_SIZE"] = "1000"  # social security: 3 pages
        if part_rows:
            env["CREDITLAKE_MAX_PART_ROWS"] = part_rows
        datasets = DATASETS[platform]
        code = f"from connectors.ingest import run_ingest; run_ingest({platform!r}, {dataset!r}, {mode!r})"
        crashed = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, **env, "CREDITLAKE_CRASH_AT": f"{point}:{nth}"},
            timeout=300,
        )
        assert crashed.returncode == 137, (
            f"did not crash at {point}:{nth}\n{crashed.stderr[-2000:]}"
        )
        with environment(env):
            visible = _bronze_batches(datasets)  # what readers could see right after the crash
            run_ingest(platform, dataset, mode)  # recovery: an ordinary run
            logged = _logged_published(datasets)
            for dataset, batches in visible.items():
                for batch_id, rows in batches.items():
                    # every batch visible after the crash was complete: the same rows the
                    # lakehouse logs for it once recovery finished
                    assert logged.get((dataset, batch_id)) == rows, (
                        dataset,
                        batch_id,
                        rows,
                        logged,
                    )
            assert_exact(sim, server, datasets)
            landing = Path(env["CREDITLAKE_WAREHOUSE"]) / "landing"
            assert not list(landing.glob("*/*/.staging-*"))
            assert all((d / "manifest.json").exists() for d in landing.glob("*/*/*") if d.is_dir())
    finally:
        server.stop()
        shutil.rmtree(tmp_path / "warehouse", ignore_errors=True)
