"""Every reason code of contract section 3 comes from the right bad row, through real GX."""

from __future__ import annotations

import pyarrow as pa
import pytest
from lakehouse_batches import AS_OF, good_record, make_batch, make_uscc

from creditlake.core import contract
from creditlake.expectations import build_data_docs, validate
from creditlake.expectations.validation import data_docs_index

# dataset -> [(field, bad value, expected reason)]; each bad row differs from a good one
# in exactly one field.
BAD = {
    "enterprises": [
        ("uscc", make_uscc(900)[:-1] + ("0" if make_uscc(900)[-1] != "0" else "1"), "invalid_uscc"),
        ("uscc", "91440300ABC", "invalid_uscc"),
        ("uscc", "9144030000000000IO", "invalid_uscc"),
        ("legacy_reg_no", "440300100000019", None),  # GS15 fails: an observation (contract 2)
        ("legacy_reg_no", "44030010000001", "invalid_identifier"),  # 14 digits
        ("industry_code", "A3311", "invalid_identifier"),
        ("region_code", "999999", None),  # 6 digits, not in our table: an observation
        ("region_code", "44030", "invalid_identifier"),
        ("name", None, "missing_required"),
        ("status", "zombie", "unknown_code"),
        ("registered_capital", "-5.00", "negative_value"),
        ("registered_capital", "900000000000000.00", "out_of_range"),
        ("established_on", "2027-03-01", "future_date"),
        ("established_on", "1800-01-01", "out_of_range"),
        ("established_on", "2023-02-30", "malformed_value"),
        ("registered_capital", "12,50", "malformed_value"),
        ("address", "深圳\ufffd\ufffd路", "invalid_utf8"),
        ("legal_rep_id_no", "4403051980\ufffd", "invalid_utf8"),
    ],
    "taxpayers": [
        ("taxpayer_id", "440300100000019", None),  # a legacy number failing GS15: still valid
        ("taxpayer_id", "44030010000001X", "invalid_identifier"),
        ("taxpayer_id", "91440300000000001Z", "invalid_uscc"),
        ("rating_year", "1066", "out_of_range"),
        ("rating_year", "20x5", "malformed_value"),
    ],
    "ss_contributions": [
        ("period", "2027-01", "future_date"),
        ("period", "2026-13", "malformed_value"),
        ("insured_headcount", "-3", "negative_value"),
    ],
    "meter_readings": [
        ("consumption", "-12.5", "negative_value"),
        ("consumption", "5000000000", "out_of_range"),
        ("updated_at", "2026-11-20 08:00", "malformed_value"),
        ("updated_at", "2026-12-20T08:00:00Z", "future_date"),
        ("account_no", "NO-SUCH-ACCOUNT", "unresolved_reference"),
    ],
    "loans": [
        ("annual_rate", "4.35", "out_of_range"),
        ("maturity_date", "2031-06-30", None),  # maturities lie in the future: fine
        ("collateral_type", "pledge", "unknown_code"),
    ],
}


def _run(dataset: str, references=None):
    good = [good_record(dataset, i) for i in range(30)]
    bad = []
    for j, (field, value, _) in enumerate(BAD[dataset]):
        record = good_record(dataset, 1000 + j)
        record[field] = value
        bad.append(record)
    batch = make_batch(dataset, good + bad)
    return validate(dataset, batch.table, AS_OF, references=references), len(good)


@pytest.mark.parametrize("dataset", sorted(BAD))
def test_each_bad_row_gets_its_reason(shared_warehouse, dataset):
    references = None
    if dataset == "meter_readings":
        known = [good_record(dataset, i)["account_no"] for i in range(2000)]
        references = {"account_no": pa.array(known)}
    result, n_good = _run(dataset, references)
    assert result.batch_failures == []
    assert not any(row < n_good for row in result.reasons), "a good row was flagged"
    for j, (field, value, reason) in enumerate(BAD[dataset]):
        row = n_good + j
        if reason is None:
            assert row not in result.reasons
            continue
        assert row in result.reasons, f"{field}={value!r} not flagged"
        codes = result.reason_codes(row).split(",")
        assert reason in codes, f"{field}={value!r}: {codes}"
        assert set(codes) <= set(contract.REASONS)
        assert field in result.reason_detail(row)


def test_stricter_checks_than_the_contract_observe_and_keep_the_record(shared_warehouse):
    rows = [good_record("enterprises", i) for i in range(10)]
    rows[2]["legacy_reg_no"] = "440300100000019"  # last digit fails GS15 (allowed, contract 2)
    rows[3]["region_code"] = "999999"  # a 6-digit code our GB/T 2260 table does not list
    rows[4]["registered_capital"] = "1000.005"  # money beyond its 2 places
    result = validate("enterprises", make_batch("enterprises", rows).table, AS_OF)
    assert result.reasons == {} and result.batch_failures == []
    assert result.observed == {
        "legacy_check_digit:legacy_reg_no": [2],
        "region_code_not_in_reference:region_code": [3],
        "money_more_places_than_kept:registered_capital": [4],
    }
    assert str(result.prepared.typed["registered_capital"][4].as_py()) == "1000.01"


def test_conflicting_duplicate_flags_every_copy_but_not_exact_copies(shared_warehouse):
    rows = [good_record("penalties", i) for i in range(10)]
    exact = dict(rows[0])
    conflict = dict(rows[1], amount="999.00")
    result = validate("penalties", make_batch("penalties", rows + [exact, conflict]).table, AS_OF)
    assert 0 not in result.reasons and 10 not in result.reasons
    assert result.reason_codes(1) == result.reason_codes(11) == "conflicting_duplicate"


def test_pii_values_never_reach_gx_results(shared_warehouse):
    record = good_record("enterprises", 1)
    record["legal_rep_id_no"] = "440305198001011234\ufffd"
    validate(
        "enterprises",
        make_batch(
            "enterprises", [record] + [good_record("enterprises", i) for i in range(2, 12)]
        ).table,
        AS_OF,
    )
    stored = "".join(
        p.read_text(errors="ignore") for p in (shared_warehouse / "gx").rglob("*.json")
    )
    assert "440305198001011234" not in stored and "张2三" not in stored


def test_missing_required_column_is_a_batch_failure(shared_warehouse):
    rows = [good_record("penalties", i) for i in range(20)]
    for row in rows:
        del row["authority"]
    result = validate("penalties", make_batch("penalties", rows).table, AS_OF)
    assert any("required column 'authority'" in m for m in result.batch_failures)


def test_row_count_bounds_are_a_batch_failure(shared_warehouse):
    batch = make_batch("penalties", [good_record("penalties", i) for i in range(5)])
    result = validate("penalties", batch.table, AS_OF, row_count_bounds=(100, 1000))
    assert any("row count 5 far from the usual" in m for m in result.batch_failures)


def test_data_docs_index_is_built(shared_warehouse):
    validate("penalties", make_batch("penalties", [good_record("penalties", 1)]).table, AS_OF)
    index = build_data_docs()
    assert (
        index
        == data_docs_index()
        == shared_warehouse / "gx" / "data_docs" / "local_site" / "index.html"
    )
    html = index.read_text()
    assert "creditlake.penalties" in html


def test_data_docs_without_the_vendored_assets_still_build_and_say_why(
    shared_warehouse, monkeypatch, tmp_path, caplog
):
    from creditlake.core import assets

    monkeypatch.setattr(assets, "ROOT", tmp_path / "not-installed")
    validate("penalties", make_batch("penalties", [good_record("penalties", 2)]).table, AS_OF)
    html = build_data_docs().read_text()
    assert "browser assets not vendored" in caplog.text and "make install" in caplog.text
    assert "https://code.jquery.com/" in html  # GX's CDN links kept: online, the page works
    assert "dataContextId" not in html  # the logo, which names the context, goes all the same


def test_large_batches_validate_in_chunks_with_the_same_verdict(shared_warehouse, monkeypatch):
    import creditlake.expectations.validation as validation

    rows = [good_record("penalties", i) for i in range(25)]
    rows[3]["category"] = "speeding"
    rows[22]["amount"] = "-3.00"
    table = make_batch("penalties", rows).table
    whole = validate("penalties", table, AS_OF, row_count_bounds=(30, 100))
    monkeypatch.setattr(validation, "CHUNK_ROWS", 10)
    chunked = validate("penalties", table, AS_OF, row_count_bounds=(30, 100))
    assert (
        {r: whole.reason_codes(r) for r in whole.reasons}
        == {r: chunked.reason_codes(r) for r in chunked.reasons}
        == {3: "unknown_code", 22: "negative_value"}
    )
    assert whole.batch_failures == chunked.batch_failures and len(chunked.batch_failures) == 1


def test_invalid_utf8_is_caught_in_a_field_that_holds_personal_data_on_some_rows(shared_warehouse):
    # A legal-representative change names people in before/after: those values become tokens
    # before GX sees them, so the check must look at the bytes received (found at 100k scale).
    rows = [good_record("enterprise_changes", i) for i in range(12)]
    person = dict(
        good_record("enterprise_changes", 100), change_type="legal_rep", after="\ufffd赵芝利"
    )
    other = dict(good_record("enterprise_changes", 101), change_type="address", after="\ufffd深圳")
    result = validate(
        "enterprise_changes", make_batch("enterprise_changes", rows + [person, other]).table, AS_OF
    )
    assert result.reason_codes(12) == result.reason_codes(13) == "invalid_utf8"
    assert not any(row < 12 for row in result.reasons)
