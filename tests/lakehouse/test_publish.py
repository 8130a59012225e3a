"""Write-audit-publish on real Iceberg (SQLite catalog in a temp warehouse) and real GX."""

from __future__ import annotations

import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from lakehouse_batches import good_batch, good_record, make_batch

from creditlake import lakehouse
from creditlake.lakehouse.catalog import table

PII_VALUES = ["440305198001010001", "13800000001", "张1三"]


def _bronze_snapshots(dataset: str) -> list[int]:
    tbl = table(f"bronze.{dataset}")
    return [] if tbl is None else [s.snapshot_id for s in tbl.snapshots()]


def _accounts_then_readings():
    accounts = lakehouse.publish(good_batch("utility_accounts", 10, batch_id="acc-1"))
    readings = [good_record("meter_readings", i) for i in range(20)]
    for i, row in enumerate(readings):
        row["account_no"] = f"account_no-{i % 10}"
    unknown = dict(readings[0], account_no="account_no-999", period="2024-01")
    negative = dict(readings[1], period="2024-02", consumption="-1")
    exact_copy = dict(readings[2])
    batch = make_batch(
        "meter_readings",
        readings + [unknown, negative, exact_copy],
        "mr-1",
        watermark="2026-11-20T08:00:00Z",
    )
    return accounts, batch


def test_publish_quarantines_counts_and_stores_watermark():
    accounts, batch = _accounts_then_readings()
    assert accounts.status == "published" and accounts.published == 10
    result = lakehouse.publish(batch)
    assert result.status == "published"
    assert (result.received, result.published, result.quarantined, result.duplicates) == (
        23,
        20,
        2,
        1,
    )
    assert result.received == result.published + result.quarantined + result.duplicates
    assert result.quarantine_reasons == {"negative_value": 1, "unresolved_reference": 1}

    bronze = lakehouse.read_bronze("meter_readings")
    assert bronze.num_rows == 20
    assert set(bronze["_batch_id"].to_pylist()) == {"mr-1"}
    assert bronze.schema.field("consumption").type == pa.decimal128(20, 4)
    assert len(bronze["_record_hash"][0].as_py()) == 64

    quarantined = (
        lakehouse.quarantine("utility")
        .filter(pc.equal(lakehouse.quarantine("utility")["dataset"], "meter_readings"))
        .to_pylist()
    )
    assert sorted(q["reason_codes"] for q in quarantined) == [
        "negative_value",
        "unresolved_reference",
    ]
    assert all(json.loads(q["raw"])["account_no"] for q in quarantined)
    assert {q["row_number"] for q in quarantined} == {20, 21}

    snap = table("bronze.meter_readings").current_snapshot().summary.additional_properties
    assert snap["creditlake.batch_id"] == "mr-1"
    assert (
        snap["creditlake.watermark"]
        == "2026-11-20T08:00:00Z"
        == lakehouse.watermark("meter_readings")
    )

    logged = (
        lakehouse.ingest_log()
        .filter(pc.equal(lakehouse.ingest_log()["batch_id"], "mr-1"))
        .to_pylist()
    )
    assert len(logged) == 1 and logged[0]["status"] == "published"
    assert (
        logged[0]["received"]
        == logged[0]["published"] + logged[0]["quarantined"] + logged[0]["duplicates"]
    )


def test_same_batch_twice_is_a_no_op_and_a_reread_window_adds_nothing():
    first = lakehouse.publish(good_batch("penalties", 15, batch_id="p-1"))
    snapshots = {n: _bronze_snapshots(n) for n in ("penalties",)}
    log_rows = lakehouse.ingest_log().num_rows
    again = lakehouse.publish(good_batch("penalties", 15, batch_id="p-1"))
    assert again.status == "already_published"
    assert (again.received, again.published) == (first.received, first.published)
    assert {n: _bronze_snapshots(n) for n in snapshots} == snapshots
    assert lakehouse.ingest_log().num_rows == log_rows

    # A lookback re-read: same records in a new batch, plus 5 new ones.
    reread = lakehouse.publish(
        good_batch("penalties", 20, batch_id="p-2", watermark="2026-11-21T00:00:00Z")
    )
    assert (reread.published, reread.duplicates, reread.quarantined) == (5, 15, 0)
    assert lakehouse.read_bronze("penalties").num_rows == 20
    assert lakehouse.watermark("penalties") == "2026-11-21T00:00:00Z"
    # a late, older window never moves the cursor back
    lakehouse.publish(good_batch("penalties", 3, batch_id="p-0", watermark="2026-11-01T00:00:00Z"))
    assert lakehouse.watermark("penalties") == "2026-11-21T00:00:00Z"


def test_corrections_keep_every_version_and_latest_takes_the_newest():
    lakehouse.publish(good_batch("penalties", 5, batch_id="c-1"))
    fixed = [dict(good_record("penalties", 0), amount="1.00", updated_at="2026-11-21T08:00:00Z")]
    lakehouse.publish(make_batch("penalties", fixed, "c-2"))
    assert lakehouse.read_bronze("penalties").num_rows == 6
    newest = lakehouse.latest("penalties").to_pylist()
    assert len(newest) == 5
    assert next(r for r in newest if r["penalty_id"] == "penalty_id-0")["amount"] == pytest.approx(
        1
    )


def _assert_held(result, dataset: str, fragment: str) -> None:
    assert result.status == "held", result
    assert fragment in result.message
    assert _bronze_snapshots(dataset) == [] or lakehouse.read_bronze(dataset).num_rows == 0
    assert lakehouse.watermark(dataset) is None
    held = (
        lakehouse.ingest_log()
        .filter(pc.equal(lakehouse.ingest_log()["status"], "held"))
        .to_pylist()
    )
    assert any(fragment in (h["message"] or "") for h in held)


def test_batch_with_mostly_bad_rows_is_held():
    rows = [dict(good_record("tax_arrears", i), tax_type="gst") for i in range(12)]
    rows += [good_record("tax_arrears", 100 + i) for i in range(8)]
    _assert_held(
        lakehouse.publish(make_batch("tax_arrears", rows, "ta-1")),
        "tax_arrears",
        "12 of 20 distinct records are bad",
    )
    assert lakehouse.quarantine("tax").num_rows == 0


def test_batch_missing_a_required_column_is_held():
    rows = [good_record("abnormal_operations", i) for i in range(15)]
    for row in rows:
        del row["reason"]
    _assert_held(
        lakehouse.publish(make_batch("abnormal_operations", rows, "ab-1")),
        "abnormal_operations",
        "required column 'reason' missing",
    )


def test_row_count_far_from_the_usual_is_held_and_release_publishes_it(monkeypatch):
    monkeypatch.setattr(sys.modules["creditlake.lakehouse.publish"], "ROW_COUNT_SLACK", 0)
    for k in range(3):
        lakehouse.publish(good_batch("dishonest_debtors", 20, start=20 * k, batch_id=f"dd-{k}"))
    big = good_batch("dishonest_debtors", 150, start=100, batch_id="dd-big")
    result = lakehouse.publish(big)
    assert result.status == "held"
    # A daily pull may be quiet (lower bound 0); far above the recent peak is suspicious.
    assert (
        "row count 150 far from the usual" in result.message
        and "between 0 and 100" in result.message
    )
    assert lakehouse.read_bronze("dishonest_debtors").num_rows == 60
    released = lakehouse.publish(big, release=True)
    assert released.status == "published" and released.published == 150
    assert "released despite" in released.message


def test_row_count_of_a_batch_in_parts_is_judged_on_the_whole_batch(monkeypatch):
    from creditlake.core.batch import part_id

    monkeypatch.setattr(sys.modules["creditlake.lakehouse.publish"], "ROW_COUNT_SLACK", 0)
    for k in range(3):  # history: three snapshots of 40 rows, the last one in 4 parts of 10
        parts = 4 if k == 2 else 1
        for n in range(parts):
            lakehouse.publish(
                good_batch(
                    "abnormal_operations",
                    40 // parts,
                    start=40 * k + n * 10,
                    batch_id=part_id(f"ab-{k}", n + 1, parts),
                    mode="snapshot",
                    batch_rows=40,
                )
            )
    # 5 rows as one part of a 40-row snapshot are as usual (the parts of ab-2 add up to 40) ...
    part = good_batch(
        "abnormal_operations",
        5,
        start=200,
        batch_id=part_id("ab-3", 1, 8),
        mode="snapshot",
        batch_rows=40,
    )
    assert lakehouse.publish(part).status == "published"
    # ... while a whole snapshot of 5 rows (under 0.2 x 40) is a cut-off export
    cut_off = good_batch("abnormal_operations", 5, start=300, batch_id="ab-4", mode="snapshot")
    held = lakehouse.publish(cut_off)
    assert held.status == "held" and "row count 5 far from the usual" in held.message
    assert "between 8 and 200" in held.message  # median 40 over ab-0, ab-1 and ab-2 (parts summed)


def test_schema_drift_is_reported_and_optional_columns_may_be_absent():
    rows = [good_record("core_enterprises", i) for i in range(10)]
    for row in rows:
        row["rating_agency"] = "x"
        del row["confirmed_credit_limit"]
    result = lakehouse.publish(
        make_batch("core_enterprises", rows, "ce-1", unknown_fields=["rating_agency"])
    )
    assert result.status == "published" and result.published == 10
    assert "unknown fields reported: rating_agency" in result.message
    logged = (
        lakehouse.ingest_log()
        .filter(pc.equal(lakehouse.ingest_log()["batch_id"], "ce-1"))
        .to_pylist()[0]
    )
    assert logged["unknown_fields"] == "rating_agency"
    assert lakehouse.read_bronze("core_enterprises")["confirmed_credit_limit"].null_count == 10


def test_personal_data_never_leaves_landing(tmp_path):
    from creditlake.expectations import build_data_docs

    rows = [good_record("enterprises", i) for i in range(12)]
    rows[1]["status"] = "zombie"  # quarantined: its raw text must be pseudonymised too
    changes = [
        dict(
            good_record("enterprise_changes", 0),
            change_type="legal_rep",
            before="张1三",
            after="李四光",
        )
    ]
    assert lakehouse.publish(make_batch("enterprises", rows, "e-1")).quarantined == 1
    assert lakehouse.publish(make_batch("enterprise_changes", changes, "ec-1")).published == 1
    lakehouse.export_bronze_views(tmp_path / "warehouse" / "marts" / "creditlake.duckdb")
    build_data_docs()

    bronze = lakehouse.read_bronze("enterprises")
    assert len(bronze["legal_rep_id_no"][0].as_py()) == 64  # an HMAC token, not the number
    tokens = set(bronze["legal_rep_id_no"].to_pylist())
    assert len(tokens) == 11  # distinct people stay distinct: joins still work

    secrets = PII_VALUES + ["李四光"]
    files = [
        p for p in (tmp_path / "warehouse").rglob("*") if p.is_file() and "landing" not in p.parts
    ]
    assert any(p.suffix == ".parquet" for p in files)
    for path in files:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            text = json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False)
        else:
            text = path.read_bytes().decode("utf-8", errors="ignore")
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{path} holds personal data {leaked}"


def test_missing_pii_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("CREDITLAKE_PII_KEY")
    with pytest.raises(RuntimeError, match="CREDITLAKE_PII_KEY is not set"):
        lakehouse.publish(good_batch("enterprises", 3, batch_id="e-nokey"))
    assert lakehouse.read_bronze("enterprises").num_rows == 0


def test_bank_file_batches_version_by_file_date():
    loans = lakehouse.publish(
        good_batch(
            "loans",
            10,
            batch_id="loans_20261120",
            mode="file",
            watermark="2026-11-20",
            file_date="2026-11-20",
        )
    )
    assert loans.published == 10
    repayments = [dict(good_record("repayments", i), loan_id=f"L{i}") for i in range(5)]
    repayments.append(dict(good_record("repayments", 9), loan_id="L-unknown"))
    batch = make_batch(
        "repayments", repayments, "repayments_20261120", mode="file", watermark="2026-11-20"
    )
    batch.table = batch.table.set_column(
        batch.table.column_names.index("_source"),
        "_source",
        pa.array(["repayments_20261120.csv.gz"] * 6),
    )
    result = lakehouse.publish(batch)
    assert (result.published, result.quarantined) == (5, 1)
    bronze = lakehouse.read_bronze("repayments")
    assert set(map(str, bronze["_file_date"].to_pylist())) == {"2026-11-20"}
    assert lakehouse.watermark("repayments") == "2026-11-20"


def test_snapshot_far_below_the_usual_is_held(monkeypatch):
    monkeypatch.setattr(sys.modules["creditlake.lakehouse.publish"], "ROW_COUNT_SLACK", 0)
    for k in range(3):
        lakehouse.publish(
            good_batch("dishonest_debtors", 50, start=50 * k, batch_id=f"snap-{k}", mode="snapshot")
        )
    cut_off = lakehouse.publish(
        good_batch("dishonest_debtors", 5, start=500, batch_id="snap-cut", mode="snapshot")
    )
    assert cut_off.status == "held"
    assert (
        "row count 5 far from the usual" in cut_off.message
        and "between 10 and 250" in cut_off.message
    )
