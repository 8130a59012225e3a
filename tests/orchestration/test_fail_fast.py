"""Wrong credentials end the ingestion task at once, under a real Airflow (dag.test() on a
SQLite metadata database, in a child process as the demo runs it): one try, no retry
scheduled, the platform's 401 in the failure. Without fail_without_retry the task's
`retries=2` with a 30 s backoff would keep the run going for minutes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

from airflow_world import SEED


def test_a_wrong_client_secret_fails_the_ingestion_task_once_without_retry(simulator, tmp_path):
    from creditlake.devtools.airflow_home import airflow_env, migrate
    from creditlake.devtools.settings import pipeline_env

    warehouse = tmp_path / "warehouse"
    env = {
        **airflow_env(tmp_path / "airflow"),
        **pipeline_env(simulator.url, SEED, simulator.drop_dir, warehouse, "test-pii-key"),
        "CREDITLAKE_TAX_CLIENT_SECRET": "not-the-secret",
    }
    migrate(env)
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "creditlake.devtools.runner",
            "--start",
            "2026-11-01",
            "--only",
            "ingest_tax",
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )
    elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    results = json.loads(
        [line for line in done.stdout.splitlines() if line.startswith("RESULTS ")][-1][
            len("RESULTS ") :
        ]
    )
    assert done.returncode == 1 and results["results"] == {"ingest_tax@2026-11-01": "failed"}, (
        output[-4000:]
    )

    db = sqlite3.connect(tmp_path / "airflow" / "airflow.db")
    tries = db.execute(
        "select task_id, map_index, state, try_number from task_instance "
        "where dag_id = 'ingest_tax' and task_id = 'pull_validate_publish' order by map_index"
    ).fetchall()
    # Every dataset of the platform was tried once and failed: no up_for_retry, no second try.
    assert len(tries) == 3 and all(
        state == "failed" and try_number == 1 for _, _, state, try_number in tries
    ), tries
    earlier = db.execute(
        "select task_id, map_index, try_number, state from task_instance_history "
        "where dag_id = 'ingest_tax'"
    ).fetchall()
    assert earlier == []  # Airflow moves a try here when it schedules a retry
    db.close()

    # The failure says what the platform said and what to fix, in the alert and the task log.
    alerts = [
        json.loads(line) for line in (warehouse / "ops" / "alerts.jsonl").read_text().splitlines()
    ]
    failed = [
        a for a in alerts if a["kind"] == "task_failed" and "pull_validate_publish" in a["subject"]
    ]
    assert {a["subject"] for a in failed} == {
        f"ingest_tax.pull_validate_publish[{i}]" for i in range(3)
    }
    for alert in failed:
        assert alert["message"].startswith(
            "AirflowFailException: AuthenticationError: tax: the token endpoint"
        )
        assert "HTTP 401" in alert["message"] and "CREDITLAKE_TAX_CLIENT_SECRET" in alert["message"]
    assert "rejected the client credentials (HTTP 401" in output
    # The run is red, not green behind its all_done freshness check.
    (check,) = [a for a in alerts if a["subject"] == "ingest_tax.check_freshness"]
    assert "3 pull(s) did not succeed in this run" in check["message"]
    assert all(
        f"{d} failed" in check["message"] for d in ("tax_arrears", "tax_filings", "taxpayers")
    )
    # Quickly: from the first attempt of any pull (recorded as the task starts) to the last
    # failure alert takes seconds; a single retry would have waited at least 30 s in between.
    first = min(
        datetime.fromisoformat(
            json.loads((warehouse / "ops" / "pulls" / f"{d}.json").read_text())["first_attempt"]
        )
        for d in ("tax_arrears", "tax_filings", "taxpayers")
    )
    last = max(datetime.fromisoformat(a["at"]) for a in failed)
    assert (last - first).total_seconds() < 20, (first, last)
    print(
        f"pulls failed {(last - first).total_seconds():.0f} s after their first attempt; dag.test "
        f"{results['timings']['ingest_tax']:.1f} s, process {elapsed:.0f} s; alert: {failed[0]['message']}"
    )
