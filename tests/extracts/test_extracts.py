"""Regulator extracts against real Iceberg bronze: figures, reproducibility, delivery."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date

import pytest

from creditlake.extracts.config import ExtractConfigError, load_config
from creditlake.extracts.inclusive_finance import ExtractError, Period
from creditlake.extracts.run import run_extract


def _read_csv(path):
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_two_increases_two_controls(loan_book):
    result = run_extract("2026-10", deliver=False)
    checks = {c["item"]: c for c in result.checks}
    # Inclusive: L1 (micro), L3 (small), L4 (individual business). L2 is medium; L5's borrower
    # has 12 M of credit, above the 10 M boundary.
    # Balance: inclusive 100k -> 500k (+400%); all 1.0 M -> 10.4 M (+940%): growth check fails.
    assert checks["inclusive_loan_growth"]["value"] == "400.0000"
    assert checks["inclusive_loan_growth"]["benchmark"] == "940.0000"
    assert checks["inclusive_loan_growth"]["result"] == "fail"
    # Borrowers: 1 at the start of the year, 3 now.
    assert (checks["inclusive_borrowers"]["value"], checks["inclusive_borrowers"]["result"]) == (
        "3.0000",
        "pass",
    )
    # NPL: inclusive 50k / 500k = 10 %; bank 50k / 10.4 M = 0.4808 % (+3 pp = 3.4808): fails.
    assert checks["inclusive_npl_ratio"]["value"] == "10.0000"
    assert checks["inclusive_npl_ratio"]["benchmark"] == "3.4808"
    assert checks["inclusive_npl_ratio"]["result"] == "fail"
    # New inclusive loans in 2026: L3 (500k at 4.00 %) and L4 (100k at 4.50 %) -> 4.0833 %;
    # 2025's new inclusive loan L1 was at 4.50 %: the rate is controlled.
    assert checks["new_loan_rate"]["value"] == "0.0408"
    assert checks["new_loan_rate"]["result"] == "pass"

    rows = _read_csv(result.folders["loan_level"] / "loan_level_2026-10.csv")
    assert [r["loan_id"] for r in rows] == ["L1", "L2", "L3", "L4", "L5"]
    assert [r["inclusive"] for r in rows] == ["true", "false", "true", "true", "false"]
    assert rows[0]["enterprise_id"] == loan_book.enterprises[0][0]
    # No personal data: the guarantor's name and every name column stay out.
    assert not {"guarantor", "name", "legal_rep_name"} & set(rows[0])
    assert all("张三" not in v for r in rows for v in r.values())


def test_boundary_and_tolerance_are_configuration(loan_book, monkeypatch):
    monkeypatch.setenv("CREDITLAKE_INCLUSIVE_CREDIT_LIMIT", "20000000")
    monkeypatch.setenv("CREDITLAKE_NPL_TOLERANCE_PP", "10")
    result = run_extract("2026-10", deliver=False)
    checks = {c["item"]: c for c in result.checks}
    rows = _read_csv(result.folders["loan_level"] / "loan_level_2026-10.csv")
    assert [r["inclusive"] for r in rows] == ["true", "false", "true", "true", "true"]
    assert checks["inclusive_npl_ratio"]["result"] == "pass"
    assert result.manifests["inclusive_finance"]["config"]["inclusive_credit_limit"] == "20000000"


def test_pseudonymised_enterprise_ids(loan_book, monkeypatch):
    monkeypatch.setenv("CREDITLAKE_REGULATOR_ENTERPRISE_IDS", "pseudonymised")
    with pytest.raises(ExtractConfigError, match="PSEUDONYM_KEY"):
        load_config()
    monkeypatch.setenv("CREDITLAKE_REGULATOR_PSEUDONYM_KEY", "regulator-key")
    result = run_extract("2026-10", deliver=False)
    text = (result.folders["loan_level"] / "loan_level_2026-10.csv").read_text(encoding="utf-8")
    assert not any(u in text for u, _, _ in loan_book.enterprises)
    rows = _read_csv(result.folders["loan_level"] / "loan_level_2026-10.csv")
    assert {len(r["enterprise_id"]) for r in rows} == {64}
    assert rows[0]["enterprise_id_type"] == "pseudonymised"


def test_rerun_is_byte_identical_after_new_data(loan_book):
    first = run_extract("2026-10", deliver=False)
    files = {
        p: p.read_bytes() for folder in first.folders.values() for p in sorted(folder.iterdir())
    }
    manifest = first.manifests["inclusive_finance"]
    for entry in manifest["files"]:
        assert (
            hashlib.sha256(
                (first.folders["inclusive_finance"] / entry["name"]).read_bytes()
            ).hexdigest()
            == entry["sha256"]
        )
    assert set(manifest["snapshots"]) == {"bronze.loans", "bronze.enterprises"}

    # New data arrives: a correction of an October position and a new November file.
    u, loan = loan_book.enterprises[0][0], loan_book.loan
    loan_book.append(
        "loans",
        [
            loan("L1", u, date(2026, 10, 31), "999999.00", "1000000.00", batch="b2"),
            loan("L1", u, date(2026, 11, 30), "10.00", "200000.00", batch="b2"),
        ],
    )
    again = run_extract("2026-10", deliver=False)
    assert again.reused_snapshots
    assert {
        p: p.read_bytes() for folder in again.folders.values() for p in sorted(folder.iterdir())
    } == files

    refreshed = run_extract("2026-10", refresh=True, deliver=False)
    assert not refreshed.reused_snapshots
    assert (
        refreshed.manifests["inclusive_finance"]["snapshots"]["bronze.loans"]
        != manifest["snapshots"]["bronze.loans"]
    )
    rows = _read_csv(refreshed.folders["loan_level"] / "loan_level_2026-10.csv")
    assert rows[0]["outstanding_principal"] == "999999.00"


def test_snapshots_read_are_tagged_against_expiry(loan_book):
    from creditlake.lakehouse.catalog import catalog

    result = run_extract("2026-10", deliver=False)
    loans = catalog().load_table("bronze.loans")
    assert loans.metadata.refs["extract-2026-10"].snapshot_id == int(
        result.manifests["loan_level"]["snapshots"]["bronze.loans"]
    )


def test_posted_to_the_receiving_endpoint(loan_book, receiver, monkeypatch):
    url, state = receiver
    monkeypatch.setenv("CREDITLAKE_REGULATOR_ENDPOINT", url)
    state.fail_first = 1  # one 503 first: delivery retries
    result = run_extract("2026-10")
    assert [d["status"] for d in result.deliveries] == [201, 201]
    assert result.deliveries[0]["attempts"] == 2
    assert [r["period"] for r in state.received] == ["2026-10", "2026-10"]
    parts = state.received[0]["parts"]
    manifest = json.loads(parts["manifest.json"])
    for entry in manifest["files"]:
        assert hashlib.sha256(parts[entry["name"]]).hexdigest() == entry["sha256"]


def test_bad_periods_fail_clearly(loan_book):
    with pytest.raises(ExtractError, match="not YYYY-MM"):
        run_extract("2026-13", deliver=False)
    with pytest.raises(ExtractError, match="no loan positions"):
        run_extract("2024-01", deliver=False)
    assert str(Period.parse("2026-02").last_day) == "2026-02-28"


def test_rerun_survives_snapshot_expiry(loan_book):
    from creditlake import lakehouse

    first = run_extract("2026-10", deliver=False)
    before = {p.name: p.read_bytes() for p in first.folders["loan_level"].iterdir()}
    u, loan = loan_book.enterprises[0][0], loan_book.loan
    loan_book.append("loans", [loan("L9", u, date(2026, 11, 30), "10.00", "200000.00", batch="b3")])
    lakehouse.expire_snapshots(
        older_than_days=0, retain_last=1
    )  # keeps the tagged extract snapshots
    again = run_extract("2026-10", deliver=False)
    assert {p.name: p.read_bytes() for p in again.folders["loan_level"].iterdir()} == before


def test_extract_command(loan_book):
    from typer.testing import CliRunner

    from creditlake.extracts.cli import app

    first = CliRunner().invoke(app, ["--period", "2026-10"])
    assert first.exit_code == 0, first.output
    assert "current snapshots" in first.output and "inclusive_loan_growth" in first.output
    again = CliRunner().invoke(app, ["--period", "2026-10"])
    assert "recorded snapshots (re-run)" in again.output
    bad = CliRunner().invoke(app, ["--period", "2026-1"])
    assert bad.exit_code == 2 and "not YYYY-MM" in bad.output
