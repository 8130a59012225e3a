"""docs/adding-a-dataset.md, run: a toy dataset added to a copy of the contract reaches staging.

The copy of contract.toml gains one dataset (business licences on the commerce platform), and
a copy of the dbt project gains its staging model. Nothing else is written: the simulator
generates, plants bad records and corrects it from the field kinds, serves it, the connector
pulls it, Great Expectations validates it from the contract, bronze is created for it, the
sources yml is generated with its tests, and `creditlake transform` builds every model with
it. Every step is the command a user runs, in a process that reads the copy
(CREDITLAKE_CONTRACT), so the test's own process keeps the real contract.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml

from creditlake.core.config import PROJECT_ROOT
from creditlake.core.contract import DEFAULT_PATH, PLATFORMS, load

pytestmark = pytest.mark.slow  # about two minutes: a small world through every stage

TOY = """
[[platforms.datasets]]
name = "licences"
key = ["licence_no"]
fields = [
  { name = "licence_no", required = true },
  { name = "uscc", required = true, identifier = "uscc" },
  { name = "licence_type", required = true, codes = ["food", "construction", "transport"] },
  { name = "issued_on", type = "date", required = true },
  { name = "expires_on", type = "date", future = true },
  { name = "fee", type = "money", max = 1e6 },
  { name = "issuer" },
]

"""
STAGING = """{{ config(unique_key='licence_no') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'licences')) }}
),

typed as (
    select
        trim(licence_no) as licence_no,
        upper(trim(uscc)) as uscc,
        lower(trim(licence_type)) as licence_type,
        issued_on,
        expires_on,
        fee,
        trim(issuer) as issuer,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'licence_no') }}
"""
STAGING_YML = """  - name: stg_commerce__licences
    description: "licences: the newest version of each key (licence_no)."
    columns:
      - name: licence_no
        data_tests:
          - unique: {config: {severity: error, meta: {kind: guarantee, by: model}}}
"""  # appended to models/staging/_staging.yml, whose last key is `models:`
ENTERPRISES, MONTHS = 120, 13  # enough licences (150) for the simulator to plant bad ones


def _with_toy(contract: str) -> str:
    """The toy dataset under the commerce platform: after its last dataset, before `tax`."""
    anchor = '[[platforms]]\nname = "tax"'
    assert anchor in contract
    return contract.replace(anchor, TOY.lstrip("\n") + anchor)


CLI = str(Path(sys.executable).parent / "creditlake")  # the installed command


def _run(env: dict[str, str], *args: str, timeout: int = 600) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def toy_world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("toy-dataset")
    contract = tmp / "contract.toml"
    contract.write_text(_with_toy(DEFAULT_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    project = tmp / "dbt_project"
    shutil.copytree(
        PROJECT_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs")
    )
    (project / "models/staging/stg_commerce__licences.sql").write_text(STAGING, encoding="utf-8")
    with (project / "models/staging/_staging.yml").open("a", encoding="utf-8") as yml:
        yml.write(STAGING_YML)
    env = {
        **os.environ,
        "CREDITLAKE_CONTRACT": str(contract),
        "CREDITLAKE_DBT_PROJECT": str(project),
        "CREDITLAKE_WAREHOUSE": str(tmp / "warehouse"),
        "CREDITLAKE_PII_KEY": "toy-dataset-pii-key",
    }
    _run(env, sys.executable, str(project / "scripts/make_sources.py"))
    sim = tmp / "sim"
    _run(env, CLI, "simulator", "generate", "--out", str(sim), "--seed", "7",
         "--enterprises", str(ENTERPRISES), "--months", str(MONTHS))  # fmt: skip
    server = subprocess.Popen(
        [CLI, "simulator", "serve", "--data", str(sim), "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        for line in server.stdout:
            if line.startswith("export "):
                name, value = line.removeprefix("export ").strip().split("=", 1)
                env[name] = value
            if line.startswith("bank drop folder:"):
                break
        for platform in PLATFORMS:
            _run(env, CLI, "ingest", platform)
        out = _run(env, CLI, "transform")
        yield tmp, sim, project, out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _served(sim: Path) -> tuple:
    """The licences the server shows at its start clock: good rows, and the planted bad ones."""
    import json

    clock = json.loads((sim / "meta.json").read_text())["start_clock"]
    feed = pq.read_table(sim / "feeds/licences.parquet")
    feed = feed.filter(pc.less_equal(feed["updated_at"], clock))
    truth = pq.read_table(sim / "truth/bad_records.parquet")
    truth = truth.filter(pc.equal(truth["dataset"], "licences"))
    is_bad = pc.is_in(feed["_row_id"], value_set=truth["_row_id"])
    bad = truth.filter(pc.is_in(truth["_row_id"], value_set=feed["_row_id"]))
    return feed.filter(pc.invert(is_bad)), bad


def _marts(tmp: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(tmp / "warehouse/marts/published/creditlake.duckdb"), read_only=True)


def test_the_sources_yml_is_generated_with_the_toy_dataset_and_its_tests(toy_world):
    _, _, project, _ = toy_world
    doc = yaml.safe_load((project / "models/staging/_bronze__sources.yml").read_text())
    (table,) = [t for t in doc["sources"][0]["tables"] if t["name"] == "licences"]
    columns = {c["name"]: c for c in table["columns"]}
    assert {"licence_no", "uscc", "licence_type", "fee", "issuer", "updated_at"} <= set(columns)
    tests = [next(iter(t)) for t in columns["licence_type"]["data_tests"]]
    assert tests == ["not_null", "accepted_values"]
    assert "data_tests" not in columns["issuer"]  # optional free text: nothing to test


def test_bronze_holds_the_good_versions_and_quarantine_each_bad_one_with_its_reason(toy_world):
    tmp, sim, _, _ = toy_world
    good, bad = _served(sim)
    assert good.num_rows >= 150 and bad.num_rows >= 5  # the simulator planted defects
    with _marts(tmp) as con:
        bronze = con.execute("select count(*) from bronze.licences").fetchone()[0]
        reasons = dict(
            con.execute(
                "select reason_codes, count(*) from bronze.quarantine_commerce "
                "where dataset = 'licences' group by 1"
            ).fetchall()
        )
    assert bronze == good.num_rows
    planted: dict[str, int] = {}
    for reason in bad["reason"].to_pylist():
        planted[reason] = planted.get(reason, 0) + (2 if reason == "conflicting_duplicate" else 1)
    assert reasons == {r: n // 2 if r == "conflicting_duplicate" else n for r, n in planted.items()}
    # the simulator planted every reason whose kind of field the toy dataset has
    from creditlake.simulator.gen_bad_records import plan

    (toy,) = [d for d in load(tmp / "contract.toml")["commerce"].datasets if d.name == "licences"]
    truth = pq.read_table(sim / "truth/bad_records.parquet")
    licences = truth.filter(pc.equal(truth["dataset"], "licences"))
    assert set(licences["reason"].to_pylist()) == set(plan(toy)) and len(plan(toy)) >= 8


def test_the_staging_model_builds_with_every_other_model_and_holds_each_licence_once(toy_world):
    tmp, sim, _, out = toy_world
    good, _ = _served(sim)
    assert "dbt build green" in out
    with _marts(tmp) as con:
        rows = con.execute(
            "select count(*), count(distinct licence_no), "
            "count(*) filter (where licence_type not in ('food', 'construction', 'transport')) "
            "from staging.stg_commerce__licences"
        ).fetchone()
    assert rows == (len(set(good["licence_no"].to_pylist())),) * 2 + (0,)
