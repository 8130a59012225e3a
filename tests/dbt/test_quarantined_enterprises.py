"""A record quarantined upstream never blocks publishing; a feed that is broken does.

A world of its own (200 enterprises x 14 months, like the session build) with 5% of the real
enterprises' registry records broken (`creditlake simulator generate --quarantined-enterprises`):
validation quarantines every version of them while the tax returns, social-security months,
utility accounts, invoices and loans that name them stay good and are published. Pulled
through the real server and connectors, then `creditlake transform` twice: with the default
threshold the build is green and publishes, the orphans counted in rpt_reference_orphans just
as the simulator's truth has them; with the threshold set very low (the environment variable,
as a deployment would) the build fails naming the kinds over it, and the published marts stay
as they were.
"""

from __future__ import annotations

import hashlib
import json
import re
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest
from dbtworld import ENTERPRISES, environment, ingest_world

SHARE = 0.05

pytestmark = pytest.mark.slow

# kind -> (feed, its key, the column naming an enterprise): counted from the feeds themselves
DIRECT = {
    "ss_contribution_enterprise": ("ss_contributions", ["uscc", "period"], "uscc"),
    "invoice_seller_enterprise": ("invoices", ["invoice_no"], "seller_uscc"),
    "invoice_buyer_enterprise": ("invoices", ["invoice_no"], "buyer_uscc"),
    "confirmation_supplier_enterprise": (
        "receivable_confirmations",
        ["confirmation_id"],
        "supplier_uscc",
    ),
    "enterprise_change_enterprise": ("enterprise_changes", ["change_id"], "uscc"),
    "penalty_enterprise": ("penalties", ["penalty_id"], "uscc"),
    "abnormal_operation_enterprise": ("abnormal_operations", ["record_id"], "uscc"),
    "dishonest_debtor_enterprise": ("dishonest_debtors", ["case_no"], "uscc"),
    "core_enterprise_registry": ("core_enterprises", ["uscc"], "uscc"),
}


def _fingerprint(path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from typer.testing import CliRunner

    from creditlake.cli import app

    root = tmp_path_factory.mktemp("dbt_quarantined")
    sim, env = ingest_world(root, quarantined_enterprises=SHARE)
    published = root / "warehouse" / "marts" / "published" / "creditlake.duckdb"
    runner = CliRunner()
    with environment(env):
        green = runner.invoke(app, ["transform"])
        before = _fingerprint(published) if published.exists() else None
        with environment({"CREDITLAKE_ORPHAN_SHARE_THRESHOLD": "0.01"}):
            red = runner.invoke(app, ["transform"])
        after = _fingerprint(published) if published.exists() else None
    return SimpleNamespace(
        sim=sim, root=root, published=published, green=green, red=red, before=before, after=after
    )


@pytest.fixture(scope="module")
def marts(world):
    import duckdb

    assert world.green.exit_code == 0, world.green.output
    con = duckdb.connect(str(world.published), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def truth(world):
    """From the generated folder: the visible good rows of a feed, the enterprises whose registry
    records were broken, and those the registry publishes by the start clock."""
    bad = pq.read_table(world.sim / "truth" / "bad_records.parquet").to_pandas()
    clock = json.loads((world.sim / "meta.json").read_text())["start_clock"]

    def visible(dataset: str, good: bool = True):
        bank = dataset in ("loans", "repayments")
        rows = pq.read_table(
            world.sim / ("bank" if bank else "feeds") / f"{dataset}.parquet"
        ).to_pandas()
        if good:
            rows = rows[~rows._row_id.isin(bad[bad.dataset == dataset]._row_id)]
        return rows[rows._file_date <= clock[:10]] if bank else rows[rows.updated_at <= clock]

    real = set(
        pq.read_table(world.sim / "truth" / "enterprises.parquet").column("uscc").to_pylist()
    )
    broken = bad[(bad.dataset == "enterprises")].assign(
        uscc=lambda b: [json.loads(k)["uscc"] for k in b.key]
    )
    broken = broken[broken.uscc.isin(real)]  # not the ghosts: fresh codes of no enterprise
    return SimpleNamespace(
        visible=visible, real=real, broken=broken, registered=set(visible("enterprises").uscc)
    )


def test_real_enterprises_are_broken_in_every_version_and_listed_in_the_truth(world, truth):
    assert json.loads((world.sim / "meta.json").read_text())["quarantined_enterprises"] == SHARE
    quarantined = set(truth.broken.uscc)
    assert len(quarantined) == round(SHARE * ENTERPRISES)
    assert set(truth.broken.reason) == {"unknown_code", "invalid_identifier"}  # a mix of the two
    feed = pq.read_table(world.sim / "feeds" / "enterprises.parquet").to_pandas()
    versions = feed[feed.uscc.isin(quarantined)]
    assert set(versions._row_id) == set(truth.broken._row_id)  # no good version left of any
    # the records naming them stay good: none of the other feeds' bad rows is theirs
    assert truth.visible("ss_contributions").uscc.isin(quarantined).any()
    assert truth.visible("invoices").seller_uscc.isin(quarantined).any()


def test_build_is_green_and_published(world, marts):
    assert world.green.exit_code == 0, world.green.output
    assert world.before is not None
    assert marts.execute("SELECT count(*) FROM marts.fct_enterprise_month").fetchone()[0] > 0


def test_dim_enterprise_lacks_exactly_the_quarantined_enterprises(marts, truth):
    dim = {u for (u,) in marts.execute("SELECT uscc FROM marts.dim_enterprise").fetchall()}
    quarantined = set(truth.broken.uscc) & set(truth.visible("enterprises", good=False).uscc)
    assert len(quarantined) >= round(SHARE * ENTERPRISES) - 1
    assert not dim & quarantined
    assert dim == truth.registered  # every other enterprise the registry sent by the clock


def test_orphans_are_counted_as_the_truth_has_them(marts, truth):
    """Per kind, the orphans counted are the feed's visible good records that name an
    enterprise the registry did not publish; the quarantined ones make most of them."""
    mart = {
        k: (rows, keys)
        for k, rows, keys in marts.execute(
            "SELECT kind, orphan_rows, orphan_keys FROM marts.rpt_reference_orphans"
        ).fetchall()
    }
    quarantined = set(truth.broken.uscc)
    caused = set()
    for kind, (feed, key, column) in DIRECT.items():
        rows = truth.visible(feed)
        rows = rows[rows[column].notna()].drop_duplicates(key)  # one row per key, as staged
        orphans = rows[~rows[column].isin(truth.registered)]
        assert mart[kind] == (len(orphans), orphans[column].nunique()), kind
        if orphans[column].isin(quarantined).any():
            caused.add(kind)
    assert {
        "ss_contribution_enterprise",
        "invoice_seller_enterprise",
        "invoice_buyer_enterprise",
    } <= caused
    # loans: the mart counts loan-months; their borrowers are the orphan keys
    loans = truth.visible("loans")
    borrowers = set(loans.uscc) - truth.registered
    assert mart["loan_enterprise"][1] == len(borrowers) and borrowers & quarantined
    # resolved through the identity map: every orphan names an enterprise the registry lacks
    for kind, table in [
        ("identity_map_enterprise", "marts.identity_map"),
        ("tax_filing_enterprise", "intermediate.int_tax_filings__resolved"),
    ]:
        named = {
            u
            for (u,) in marts.execute(
                f"SELECT DISTINCT uscc FROM {table} WHERE uscc IS NOT NULL"
            ).fetchall()
        }
        missing = named - truth.registered
        assert mart[kind][0] > 0 and missing and missing <= truth.real, kind
        assert missing & quarantined, kind


def test_warn_test_and_mart_count_the_same_orphans(world, marts):
    run = json.loads(
        (world.root / "warehouse" / "marts" / "dbt" / "target" / "run_results.json").read_text()
    )
    found = {
        r["unique_id"].split(".")[2]: r
        for r in run["results"]
        if r["unique_id"].startswith("test.")
    }
    test = found["relationships_identity_map_uscc__uscc__ref_dim_enterprise_"]
    assert test["status"] == "warn"  # an observation: counted, never fatal
    assert (
        test["failures"]
        == marts.execute(
            "SELECT orphan_rows FROM marts.rpt_reference_orphans WHERE kind = 'identity_map_enterprise'"
        ).fetchone()[0]
        > 0
    )


def test_transform_prints_the_orphan_kinds(world, marts):
    counted = [
        k
        for (k,) in marts.execute(
            "SELECT kind FROM marts.rpt_reference_orphans WHERE orphan_rows > 0"
        ).fetchall()
    ]
    printed = re.findall(r"^  (\w+): [\d,]+ of [\d,]+ rows", world.green.output, re.M)
    assert counted and sorted(printed) == sorted(counted)


def test_orphans_above_the_threshold_fail_the_build_and_publish_nothing(world, marts):
    assert world.red.exit_code == 1
    assert "orphan_share_within_threshold" in world.red.output
    over = {
        k
        for (k,) in marts.execute(
            "SELECT kind FROM marts.rpt_reference_orphans WHERE orphan_share > 0.01 AND child_rows >= min_child_rows"
        ).fetchall()
    }
    named = set(re.findall(r"^    (\w+): [\d,]+ of [\d,]+ rows", world.red.output, re.M))
    assert over and named == over, world.red.output
    assert world.after == world.before  # the published file was not touched
    # readers still see the green build's marts, judged by the default threshold
    assert {
        float(t)
        for (t,) in marts.execute("SELECT threshold FROM marts.rpt_reference_orphans").fetchall()
    } == {0.1}
