"""The connectors against a second implementation of the feed contract (tests/contract_server.py),
written from the contract's text with no code of the simulator or of creditlake.core.contract.

For every dataset, bronze must hold exactly the server's good versions with the values the
contract means (money as numbers and strings, RFC 3339 spellings, absent and null optional
fields, unknown fields left out), personal data pseudonymised, and quarantine exactly its
planted section 3 records, each with its reason. Incremental for every platform and the bank's
drop; snapshot mode for three platforms in a second warehouse (each batch's validation costs
seconds); then the marts are built.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from contract_server import ContractServer  # tests/ is on sys.path (its conftest.py)
from contract_text import (
    API_DATASETS,
    BANK_DATASETS,
    CODES,
    PERSONAL,
    PLATFORMS,
    SCHEMA,
    field_types,
    typed,
)
from contract_world import BANK_DAYS, World

from creditlake.core import contract
from creditlake.core.config import environment
from creditlake.core.contract import REASONS

pytestmark = pytest.mark.slow  # about three minutes: 30 validated batches and a dbt build

ALL_DATASETS = API_DATASETS + BANK_DATASETS
SNAPSHOT_PLATFORMS = (
    "commerce",
    "tax",
    "utility",
)  # CSV and JSONL files, a BOM, legacy numbers, references
PII_KEY = "independent-server-pii-key"


def _world_env(tmp: Path, server: ContractServer) -> dict[str, str]:
    return {
        **server.env(),
        "CREDITLAKE_WAREHOUSE": str(tmp / "warehouse"),
        "CREDITLAKE_PII_KEY": PII_KEY,
        "CREDITLAKE_PAGE_SIZE": "40",
    }  # many pages: duplicates across pages, cursors followed


@pytest.fixture(scope="module")
def incremental(tmp_path_factory):
    from creditlake.connectors.ingest import run_ingest

    tmp = tmp_path_factory.mktemp("independent-incremental")
    with ContractServer(drop_dir=tmp / "drop", token_uses=5) as server:
        env = _world_env(tmp, server)
        with environment(env):
            results = [r for platform in [*PLATFORMS, "bank"] for r in run_ingest(platform)]
        yield server, results, env


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    from creditlake.connectors.ingest import run_ingest

    tmp = tmp_path_factory.mktemp("independent-snapshot")
    with ContractServer() as server:
        env = _world_env(tmp, server)
        with environment(env):
            results = [
                r for platform in SNAPSHOT_PLATFORMS for r in run_ingest(platform, mode="snapshot")
            ]
        yield server, results, env


# -- what the lakehouse holds, keyed like the world's truth ------------------------------------


def _text(value) -> str | None:
    return value.isoformat() if isinstance(value, date) else (None if value is None else str(value))


def _version_column(dataset: str) -> str:
    return "_file_date" if dataset in BANK_DATASETS else "updated_at"


def bronze_versions(dataset: str) -> dict[tuple, dict]:
    from creditlake import lakehouse

    rows = lakehouse.read_bronze(dataset).to_pylist()
    key = SCHEMA[dataset][0]
    out = {(tuple(_text(r[k]) for k in key), r[_version_column(dataset)]): r for r in rows}
    assert len(out) == len(rows), f"{dataset}: bronze holds a version twice"
    return out


def quarantined(dataset: str) -> Counter:
    """(key as text, frozenset of reasons) of each quarantined record of `dataset`."""
    from creditlake import lakehouse

    table = lakehouse.quarantine("bank" if dataset in BANK_DATASETS else _platform(dataset))
    out: Counter = Counter()
    for row in table.to_pylist():
        if row["dataset"] == dataset:
            doc = json.loads(row["record_key"])
            key = tuple(_text(doc.get(k)) for k in SCHEMA[dataset][0])
            out[(key, frozenset(row["reason_codes"].split(",")))] += 1
    return out


def _platform(dataset: str) -> str:
    return next(p for p, (_, names) in PLATFORMS.items() if dataset in names)


def _personal(dataset: str, record: dict) -> set[str]:
    fields = set(PERSONAL.get(dataset, ()))
    if dataset == "enterprise_changes" and record.get("change_type") == "legal_rep":
        fields |= {"before", "after"}  # the old and new legal representative's names
    return fields


def value_problems(dataset: str, world_rows: dict, bronze: dict, tokens: dict) -> list[str]:
    """Each good version's fields as the contract means them; personal data replaced by a
    token (never the value itself, the same token for the same value)."""
    problems = []
    types = field_types(dataset)
    for version, row in world_rows.items():
        have = bronze[version]
        for name, ftype in types.items():
            wire = row.record.get(name)
            if name in _personal(dataset, row.record):
                token = have[name]
                if (wire is None) != (token is None) or (
                    wire is not None and (token == wire or tokens.setdefault(wire, token) != token)
                ):
                    problems.append(
                        f"{dataset} {version[0]} {name}: personal data {wire!r} stored as {token!r}"
                    )
                continue
            want = typed(ftype, wire)
            if have[name] != want:
                problems.append(
                    f"{dataset} {version[0]} {name}: bronze {have[name]!r}, the server sent {wire!r}"
                )
    if len(set(tokens.values())) != len(tokens):
        problems.append(f"{dataset}: two personal values share one token")
    return problems


def assert_lakehouse_matches(world: World, mode: str, datasets) -> None:
    problems, tokens = [], {}
    for dataset in datasets:
        want = world.good_versions(dataset, mode)
        have = bronze_versions(dataset)
        missing, extra = set(want) - set(have), set(have) - set(want)
        if missing or extra:
            problems.append(
                f"{dataset}: bronze lacks {len(missing)} good versions {sorted(missing)[:3]}, "
                f"holds {len(extra)} it should not {sorted(extra)[:3]}"
            )
        else:
            problems += value_problems(dataset, want, have, tokens)[:5]
        planted = Counter(
            (key, frozenset([reason])) for key, reason in world.bad_records(dataset, mode)
        )
        held = quarantined(dataset)
        if held != planted:
            problems.append(
                f"{dataset}: quarantine differs from the planted bad records: "
                f"missing {sorted(planted - held, key=str)}, unexpected {sorted(held - planted, key=str)}"
            )
    assert not problems, "\n".join(problems)


# -- the contract as data ------------------------------------------------------------------------


def test_creditlake_contract_is_the_contract_text():
    """creditlake.core.contract against the independent reading of the same text."""
    assert {
        p.name: (p.prefix, tuple(d.name for d in p.datasets)) for p in contract.API_PLATFORMS
    } == PLATFORMS
    for name, (key, fields) in SCHEMA.items():
        ds = contract.dataset(name)
        assert ds.key == key, name
        assert [(f.name, f.type, f.required) for f in ds.fields] == list(fields), name
        assert {(name, f.name): f.codes for f in ds.fields if f.codes} == {
            k: v for k, v in CODES.items() if k[0] == name
        }, name
        assert set(ds.pii_fields) >= set(PERSONAL.get(name, ())), name


# -- incremental --------------------------------------------------------------------------------


def test_world_plants_every_section_3_kind(incremental):
    server, _, _ = incremental
    reasons = {reason for d in ALL_DATASETS for _, reason in server.world.bad_records(d)}
    assert reasons == set(REASONS), "the world plants one record of every section 3 reason"


def test_every_platform_publishes_without_holding(incremental):
    _, results, _ = incremental
    held = [r for r in results if r.status != "published"]
    assert not held, held
    assert {r.dataset for r in results} == set(ALL_DATASETS)


def test_bronze_and_quarantine_are_exactly_the_servers_truth(incremental):
    server, _, env = incremental
    with environment(env):
        assert_lakehouse_matches(server.world, "incremental", ALL_DATASETS)


def test_legacy_numbers_failing_gs15_are_valid(incremental):
    from creditlake import lakehouse

    server, _, env = incremental
    failing = server.world.legacy_failing_gs15()
    assert len(failing) >= 4
    with environment(env):
        enterprises = {
            r["uscc"]: r["legacy_reg_no"] for r in lakehouse.latest("enterprises").to_pylist()
        }
        taxpayers = {r["taxpayer_id"] for r in lakehouse.read_bronze("taxpayers").to_pylist()}
        filings = Counter(
            r["taxpayer_id"] for r in lakehouse.read_bronze("tax_filings").to_pylist()
        )
    served_filings = Counter(
        r.record["taxpayer_id"] for r in server.world.good_versions("tax_filings").values()
    )
    for e in failing:
        assert enterprises.get(e.uscc) == e.legacy
        assert e.legacy in taxpayers
        assert filings[e.legacy] == served_filings[e.legacy] > 0


def test_unknown_fields_are_reported_and_the_incomplete_drop_file_waits(incremental):
    from creditlake import lakehouse

    server, _, env = incremental
    assert {day for _, day in server.world.good_versions("repayments")} == set(BANK_DAYS[:-1])
    with environment(env):
        log = lakehouse.ingest_log().to_pylist()
        days = {r["_file_date"] for r in lakehouse.read_bronze("repayments").to_pylist()}
    drift = {r["dataset"]: r["unknown_fields"] for r in log if r["unknown_fields"]}
    assert "registry_source" in drift["enterprises"] and "invoice_kind" in drift["invoices"]
    assert days == set(BANK_DAYS[:-1])  # the last file has no .sha256 companion yet


def test_token_is_fetched_at_the_base_url_and_again_after_a_401(incremental):
    server, _, _ = incremental
    posts = Counter(path for method, path, _ in server.requests if method == "POST")
    assert set(posts) == {f"/gw/{p}/oauth/token" for p in PLATFORMS}
    revoked = sum(status == 401 for method, _, status in server.requests if method == "GET")
    assert revoked > 5 and sum(posts.values()) >= len(PLATFORMS) + revoked


# -- snapshot -----------------------------------------------------------------------------------


def test_snapshot_backfill_is_exactly_the_servers_truth(snapshot):
    server, results, env = snapshot
    assert {r.status for r in results} == {"published"}, results
    with environment(env):
        assert_lakehouse_matches(
            server.world, "snapshot", [d for p in SNAPSHOT_PLATFORMS for d in PLATFORMS[p][1]]
        )
    files = {path for method, path, _ in server.requests if "/files/" in path}
    assert any(p.endswith(".csv.gz") for p in files) and any(p.endswith(".jsonl.gz") for p in files)


# -- the marts ----------------------------------------------------------------------------------


def test_marts_are_built_from_the_independent_world(incremental):
    """An orphan is planted on purpose: a penalty of an enterprise whose registry record
    was quarantined (section 3: nothing stops a load, and the marts still build)."""
    import duckdb

    from creditlake.transform import build

    server, _, env = incremental
    with environment(env):
        result = build(show_progress=False)
    assert result.success, result.failures
    assert result.published_db is not None and result.published_db.exists()
    assert Path(env["CREDITLAKE_WAREHOUSE"]) in result.published_db.parents
    good = {key[0] for key, _ in server.world.good_versions("enterprises")}
    with duckdb.connect(str(result.published_db), read_only=True) as con:
        published = {row[0] for row in con.sql("select uscc from marts.dim_enterprise").fetchall()}
        legacy = dict(
            con.sql(
                "select source_id, uscc from marts.identity_map where source = 'legacy_reg_no'"
            ).fetchall()
        )
    assert published == good
    for e in server.world.legacy_failing_gs15():  # valid numbers: they resolve to their enterprise
        assert legacy.get(e.legacy) == e.uscc
