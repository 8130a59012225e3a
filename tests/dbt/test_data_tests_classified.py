"""Every data test says what it guards, and every observation is counted in a mart.

A data test either guards a guarantee the pipeline makes (severity error: a failure is a bug,
and nothing is published) or observes the data (severity warn: quarantined or late records
upstream can break it, so its count lives in a data-quality mart instead of stopping the
build). Convention, in each test's yml config:
    meta: {kind: guarantee, by: model | validation | lakehouse | seed | threshold}
    meta: {kind: observation, counted_as: <kind of marts.rpt_reference_orphans>}
Read from the manifest of the session build (conftest.py), which holds every test dbt ran.
"""

from __future__ import annotations

import json

import pytest

GUARANTORS = {
    "model": "the model's SQL builds it (keys, coalesces, caps, arithmetic)",
    "validation": "a contract section 3 rule quarantines every record that would break it",
    "lakehouse": "write-audit-publish: one log row per batch, every received row accounted for",
    "seed": "reference data shipped and reviewed with the project",
    "threshold": "the orphan gate: no kind of reference dangles beyond the configured share",
}


@pytest.fixture(scope="module")
def data_tests(dbt_build) -> list[dict]:
    _, result = dbt_build
    manifest = json.loads((result.marts_db.parent / "dbt" / "target" / "manifest.json").read_text())
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(tests) >= 137  # the project's tests, as many as before this classification at least
    return tests


def test_every_data_test_is_classified(data_tests):
    wrong = []
    for t in data_tests:
        meta, severity = t["config"].get("meta") or {}, t["config"]["severity"].lower()
        if meta.get("kind") == "guarantee":
            if severity != "error" or meta.get("by") not in GUARANTORS:
                wrong.append(
                    f"{t['name']}: a guarantee is severity error with meta.by one of {sorted(GUARANTORS)}"
                )
        elif meta.get("kind") == "observation":
            if severity != "warn" or not meta.get("counted_as"):
                wrong.append(f"{t['name']}: an observation is severity warn with meta.counted_as")
        else:
            wrong.append(
                f"{t['name']} ({t['original_file_path']}): no meta.kind (guarantee or observation)"
            )
    assert not wrong, "\n".join(wrong)


def test_observations_are_counted_in_the_orphan_mart(data_tests, marts):
    """A relationships observation is a kind of reference orphan: the kind it names must be in
    rpt_reference_orphans with the same child and parent, so the test's failing rows are what
    the mart counts."""
    kinds = {
        row[0]: row[1:]
        for row in marts.execute(
            "SELECT kind, child, child_column, parent, parent_column FROM marts.rpt_reference_orphans"
        ).fetchall()
    }
    observations = [
        t for t in data_tests if (t["config"].get("meta") or {}).get("kind") == "observation"
    ]
    assert observations  # the identity map, loan products and region codes at least
    for t in observations:
        kind = t["config"]["meta"]["counted_as"]
        # other observations would need count rows of their own in a data-quality mart
        assert t["test_metadata"]["name"] == "relationships", (
            f"{t['name']}: no mart counts this observation"
        )
        assert kind in kinds, f"{t['name']} counted as {kind}, which rpt_reference_orphans lacks"
        args = t["test_metadata"]["kwargs"]
        child = t["attached_node"].split(".")[-1]
        parent = args["to"].removeprefix("ref('").removesuffix("')")
        assert kinds[kind] == (child, args["column_name"], parent, args["field"]), (
            t["name"],
            kinds[kind],
        )


def test_observation_counts_agree_with_their_tests(dbt_build, marts):
    """What a warn test found (its failures in run_results) is what the mart counts."""
    _, result = dbt_build
    run = json.loads((result.marts_db.parent / "dbt" / "target" / "run_results.json").read_text())
    manifest = json.loads((result.marts_db.parent / "dbt" / "target" / "manifest.json").read_text())
    orphans = dict(
        marts.execute("SELECT kind, orphan_rows FROM marts.rpt_reference_orphans").fetchall()
    )
    checked = 0
    for r in run["results"]:
        node = manifest["nodes"].get(r["unique_id"], {})
        meta = (node.get("config") or {}).get("meta") or {}
        if meta.get("kind") == "observation" and not node["config"].get("where"):
            assert r["failures"] == orphans[meta["counted_as"]], (node["name"], r["failures"])
            checked += 1
    assert checked >= 2
