"""A real Airflow (scheduler, dag-processor, api-server, LocalExecutor) on PostgreSQL runs the pipeline.

The test unpauses the ingestion DAGs, so the scheduler starts their runs; the dbt DAG must
then start by itself from the bronze Asset events. Every DAG run must succeed. (Maintenance
and the monthly extract, whose scheduled period follows today's date, are covered by the
dag.test() pipeline test.)
"""

from __future__ import annotations

import pytest
import requests

from creditlake.core.contract import PLATFORMS

INGESTION = sorted(f"ingest_{p.slug}" for p in PLATFORMS.values())


def _healthy(cluster) -> dict | None:
    try:
        response = requests.get(
            f"http://127.0.0.1:{cluster.api_port}/api/v2/monitor/health", timeout=5
        )
    except requests.ConnectionError:
        return None
    return response.json() if response.status_code == 200 else None


@pytest.mark.slow
@pytest.mark.postgres
def test_real_airflow_runs_the_pipeline(airflow_cluster, simulator, tmp_path):
    from creditlake.devtools.settings import pipeline_env

    env = pipeline_env(
        simulator.url, simulator.seed, simulator.drop_dir, tmp_path / "warehouse", "test-pii-key"
    )
    cluster = airflow_cluster(env)
    expected = set(INGESTION) | {"transform_dbt", "maintenance", "regulator_extract"}
    cluster.wait_for(
        "the dag-processor to parse every DAG",
        lambda: expected <= cluster.parsed_dags(),
        timeout=240,
    )
    health = cluster.wait_for("the api-server", lambda: _healthy(cluster), timeout=180)
    assert health["metadatabase"]["status"] == "healthy"

    # Unpausing is the trigger: the scheduler creates each DAG's run for its latest interval.
    # A test that spans the ingestion cron (03:00 UTC) gets a second run for the next interval,
    # as production would, so every run must succeed rather than exactly one per DAG.
    cluster.cli("dags", "unpause", "--treat-dag-id-as-regex", "-y", "^(ingest_.*|transform_dbt)$")
    runs = cluster.wait_for(
        "the ingestion and dbt runs",
        lambda: cluster.all_finished(INGESTION + ["transform_dbt"]),
        timeout=900,
    )
    failed = {dag_id: states for dag_id, states in runs.items() if set(states) != {"success"}}
    assert not failed, f"runs that did not succeed: {failed}; all runs: {runs}"
    run_types = {
        t for (t,) in cluster.sql("select run_type from dag_run where dag_id = 'transform_dbt'")
    }
    assert run_types == {"asset_triggered"}

    # Every task instance of every finished run ended well (none left failed behind a retry).
    bad = cluster.sql(
        "select ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.state from task_instance ti "
        "join dag_run dr on dr.dag_id = ti.dag_id and dr.run_id = ti.run_id "
        "where dr.state in ('success', 'failed') and ti.state not in ('success', 'skipped')"
    )
    assert bad == []


@pytest.mark.slow
@pytest.mark.postgres
def test_real_airflow_fails_a_pull_with_wrong_credentials_once_without_retry(
    airflow_cluster, simulator, tmp_path
):
    """Under the scheduler, as deployed: the 401 fails each pull on its first try (no up_for_retry,
    no second attempt), its task log carries the platform's message, and the run is red."""
    from creditlake.devtools.settings import pipeline_env

    env = {
        **pipeline_env(
            simulator.url,
            simulator.seed,
            simulator.drop_dir,
            tmp_path / "warehouse",
            "test-pii-key",
        ),
        "CREDITLAKE_TAX_CLIENT_SECRET": "not-the-secret",
    }
    cluster = airflow_cluster(env)
    cluster.wait_for(
        "the dag-processor to parse ingest_tax",
        lambda: "ingest_tax" in cluster.parsed_dags(),
        timeout=240,
    )
    cluster.cli("dags", "unpause", "ingest_tax", "-y")
    runs = cluster.wait_for(
        "the ingest_tax run", lambda: cluster.all_finished(["ingest_tax"]), timeout=600
    )
    assert set(runs["ingest_tax"]) == {"failed"}, runs

    pulls = cluster.sql(
        "select map_index, state, try_number from task_instance "
        "where dag_id = 'ingest_tax' and task_id = 'pull_validate_publish' order by map_index"
    )
    assert pulls and all(state == "failed" and tries == 1 for _, state, tries in pulls), pulls
    assert (
        cluster.sql(
            "select task_id, map_index, state from task_instance_history where dag_id = 'ingest_tax'"
        )
        == []
    )
    logs = sorted((cluster.home / "logs" / "dag_id=ingest_tax").rglob("*.log"))
    pull_logs = [p for p in logs if "task_id=pull_validate_publish" in str(p)]
    assert {p.name for p in pull_logs} == {"attempt=1.log"}, logs
    for path in pull_logs:
        text = path.read_text(errors="replace")
        assert (
            "AirflowFailException" in text and "rejected the client credentials (HTTP 401" in text
        ), text[-3000:]
    print(
        "task log:",
        next(
            line
            for line in pull_logs[0].read_text().splitlines()
            if "AirflowFailException: " in line
        ),
    )
