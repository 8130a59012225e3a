"""The monthly inclusive-finance report ("two increases, two controls") and the loan-level extract.

Pure computation over Arrow tables of bronze (every record version), done in an in-memory
DuckDB so nothing touches the marts file. Inclusive small and micro loans: loans to small
or micro enterprises and individual businesses whose total credit with the bank (sum of
credit limits of their loans outstanding on the reporting date) is at most the configured
boundary. The four checks:
  1. balance growth: inclusive loans' growth since the start of the year >= all loans' growth;
  2. borrowers: inclusive borrowers now >= at the start of the year;
  3. NPL: inclusive NPL ratio <= the bank's overall NPL ratio + tolerance (percentage points);
  4. pricing: the credit-weighted average rate of inclusive loans contracted this year <= the
     configured ceiling, else <= last year's average (the rate is "controlled").
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

from creditlake.extracts.config import RegulatorConfig

SCHEMA_VERSION = 1
NPL_CLASSES = ("substandard", "doubtful", "loss")
INCLUSIVE_SIZES = ("micro", "small")


class ExtractError(Exception):
    """The extract cannot be produced for this period (e.g. no loan positions)."""


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        if not re.fullmatch(r"\d{4}-\d{2}", text or "") or not 1 <= int(text[5:]) <= 12:
            raise ExtractError(f"period {text!r} is not YYYY-MM")
        return cls(int(text[:4]), int(text[5:]))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])


def _connect(loans: pa.Table, enterprises: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.register("bronze_loans", loans)
    con.register("bronze_enterprises", enterprises)
    order = ", ".join(
        c + " desc"
        for c in ("_file_date", "_ingested_at", "_record_hash")
        if c in loans.column_names
    )
    # Bronze keeps every version: the newest per key is the truth (ties broken by content hash);
    # a loan is named by its bank and its id (each bank's loan ids are its own).
    key = ", ".join(c for c in ("_bank_id", "loan_id", "as_of_date") if c in loans.column_names)
    con.execute(f"""
        create temp table positions as
        select * exclude (rn) from (
            select *, row_number() over (partition by {key} order by {order or "loan_id"}) as rn
            from bronze_loans) where rn = 1""")
    e_order = ", ".join(
        c + " desc"
        for c in ("updated_at", "_ingested_at", "_record_hash")
        if c in enterprises.column_names
    )
    con.execute(f"""
        create temp table register as
        select uscc, size_class, enterprise_type, industry_code, region_code from (
            select *, row_number() over (partition by uscc order by {e_order or "uscc"}) as rn
            from bronze_enterprises) where rn = 1""")
    return con


def _reporting_dates(con, period: Period) -> tuple[date, date | None]:
    """The last position date in the period, and the last one of the previous year (year start)."""
    (day,) = con.execute(
        "select max(as_of_date) from positions where as_of_date between ? and ?",
        [period.first_day, period.last_day],
    ).fetchall()[0]
    if day is None:
        raise ExtractError(
            f"no loan positions in bronze.loans for {period} (has the bank's file been ingested?)"
        )
    (year_start,) = con.execute(
        "select max(as_of_date) from positions where as_of_date between ? and ?",
        [date(period.year - 1, 12, 1), date(period.year - 1, 12, 31)],
    ).fetchall()[0]
    return day, year_start


def _book(con, day: date, limit) -> str:
    """Loans outstanding on `day` with their borrower's attributes and inclusive flag (a temp table)."""
    name = "book_" + day.strftime("%Y%m%d")
    con.execute(
        f"""
        create or replace temp table {name} as
        with outstanding as (
            select * from positions where as_of_date = ? and outstanding_principal > 0),
        borrowers as (
            select uscc, sum(credit_limit) as borrower_total_credit from outstanding group by uscc)
        select o.*, b.borrower_total_credit, r.size_class, r.enterprise_type, r.industry_code, r.region_code,
               coalesce((r.size_class in {INCLUSIVE_SIZES} or r.enterprise_type = 'individual_business')
                        and b.borrower_total_credit <= ?, false) as inclusive,
               o.classification in {NPL_CLASSES} as npl
        from outstanding o join borrowers b using (uscc) left join register r using (uscc)""",
        [day, limit],
    )
    return name


def _figures(con, book: str) -> dict:
    row = con.execute(f"""
        select sum(outstanding_principal), sum(outstanding_principal) filter (where npl),
               sum(outstanding_principal) filter (where inclusive),
               sum(outstanding_principal) filter (where inclusive and npl),
               count(distinct uscc) filter (where inclusive), count(distinct uscc)
        from {book}""").fetchall()[0]
    keys = (
        "all_balance",
        "all_npl_balance",
        "inclusive_balance",
        "inclusive_npl_balance",
        "inclusive_borrowers",
        "all_borrowers",
    )
    return {k: (v if v is not None else 0) for k, v in zip(keys, row)}


def _new_loan_rate(con, start: date, end: date, limit) -> tuple[object, int]:
    """Credit-weighted average rate of inclusive loans contracted in [start, end]."""
    row = con.execute(
        f"""
        with latest as (
            select * exclude (rn) from (
                select *, row_number() over (partition by loan_id order by as_of_date desc) rn
                from positions where as_of_date <= ?) where rn = 1),
        borrowers as (
            select uscc, as_of_date, sum(credit_limit) total from positions
            where outstanding_principal > 0 group by all),
        new_loans as (
            select l.* from latest l
            left join borrowers b on b.uscc = l.uscc and b.as_of_date = l.as_of_date
            left join register r on r.uscc = l.uscc
            where l.contract_date between ? and ?
              and (r.size_class in {INCLUSIVE_SIZES} or r.enterprise_type = 'individual_business')
              and coalesce(b.total, l.credit_limit) <= ?)
        select sum(annual_rate * credit_limit) / nullif(sum(credit_limit), 0), count(*) from new_loans""",
        [end, start, end, limit],
    ).fetchall()[0]
    return row[0], row[1]


def _pct(numerator, denominator):
    return None if not denominator else round(float(numerator) / float(denominator) * 100, 4)


def _growth(now, before):
    return None if not before else round((float(now) / float(before) - 1) * 100, 4)


def _item(name: str, description: str, value, benchmark, rule: str) -> dict:
    if value is None or benchmark is None:
        result = "not_assessable"
    else:
        result = "pass" if (value >= benchmark if rule == ">=" else value <= benchmark) else "fail"
    return {
        "item": name,
        "description": description,
        "value": _text(value),
        "benchmark": _text(benchmark),
        "rule": f"value {rule} benchmark",
        "result": result,
    }


def _text(value) -> str | None:
    return None if value is None else f"{float(value):.4f}"


def build_report(
    loans: pa.Table, enterprises: pa.Table, period: Period, config: RegulatorConfig
) -> tuple[pa.Table, pa.Table, pa.Table, date]:
    """(check items, supporting figures, loan-level rows, reporting date) for `period`."""
    limit = config.inclusive_credit_limit
    con = _connect(loans, enterprises)
    day, year_start = _reporting_dates(con, period)
    now = _figures(con, _book(con, day, limit))
    start = _figures(con, _book(con, year_start, limit)) if year_start else None

    all_npl = _pct(now["all_npl_balance"], now["all_balance"])
    inclusive_npl = _pct(now["inclusive_npl_balance"], now["inclusive_balance"])
    rate_now, new_now = _new_loan_rate(con, date(period.year, 1, 1), day, limit)
    if config.new_loan_rate_ceiling is not None:
        rate_benchmark, rate_basis = config.new_loan_rate_ceiling, "the configured ceiling"
    else:
        rate_benchmark, _ = _new_loan_rate(
            con, date(period.year - 1, 1, 1), date(period.year - 1, 12, 31), limit
        )
        rate_basis = "last year's average"
    items = [
        _item(
            "inclusive_loan_growth",
            "inclusive small/micro loan balance growth since the start of the year (%) "
            "against all loans' growth (%)",
            _growth(now["inclusive_balance"], start and start["inclusive_balance"]),
            _growth(now["all_balance"], start and start["all_balance"]),
            ">=",
        ),
        _item(
            "inclusive_borrowers",
            "inclusive small/micro borrowers against the start of the year",
            now["inclusive_borrowers"],
            start and start["inclusive_borrowers"],
            ">=",
        ),
        _item(
            "inclusive_npl_ratio",
            f"inclusive NPL ratio (%) against the bank's NPL ratio (%) "
            f"+ {config.npl_tolerance_pp} pp",
            inclusive_npl,
            None if all_npl is None else all_npl + float(config.npl_tolerance_pp),
            "<=",
        ),
        _item(
            "new_loan_rate",
            f"average annual rate of inclusive loans contracted this year against {rate_basis}",
            rate_now,
            rate_benchmark,
            "<=",
        ),
    ]
    for row in items:
        row.update(period=str(period), reporting_date=day.isoformat())
    items_table = pa.Table.from_pylist(items, schema=ITEMS_SCHEMA)

    figures = [
        {
            "period": str(period),
            "date": day.isoformat(),
            "basis": "reporting_date",
            "metric": k,
            "value": _text(v),
        }
        for k, v in now.items()
    ]
    if start:
        figures += [
            {
                "period": str(period),
                "date": year_start.isoformat(),
                "basis": "year_start",
                "metric": k,
                "value": _text(v),
            }
            for k, v in start.items()
        ]
    figures.append(
        {
            "period": str(period),
            "date": day.isoformat(),
            "basis": "reporting_date",
            "metric": "inclusive_new_loans_ytd",
            "value": _text(new_now),
        }
    )
    figures_table = pa.Table.from_pylist(figures, schema=FIGURES_SCHEMA)
    return (
        items_table,
        figures_table,
        _loan_level(con, f"book_{day:%Y%m%d}", period, day, config),
        day,
    )


def _loan_level(con, book: str, period: Period, day: date, config: RegulatorConfig) -> pa.Table:
    # No personal data: no names, no guarantor, no legal representative; enterprises by USCC
    # or by a keyed pseudonym, as the regulator's configuration says.
    table = con.sql(f"""
        select loan_id, uscc, size_class, enterprise_type, industry_code, region_code, product_id, branch_id,
               contract_date, maturity_date, credit_limit, outstanding_principal, annual_rate, collateral_type,
               classification, days_past_due, borrower_total_credit, inclusive
        from {book} order by loan_id""").to_arrow_table()
    ids = table.column("uscc").to_pylist()
    if config.enterprise_ids == "pseudonymised":
        key = config.pseudonym_key.encode()
        ids = [hmac.new(key, u.encode(), hashlib.sha256).hexdigest() for u in ids]
    n = table.num_rows
    table = table.drop_columns(["uscc"])
    table = table.add_column(1, "enterprise_id", pa.array(ids, pa.string()))
    table = table.add_column(
        2, "enterprise_id_type", pa.array([config.enterprise_ids] * n, pa.string())
    )
    table = table.add_column(0, "reporting_date", pa.array([day] * n, pa.date32()))
    return table.add_column(0, "period", pa.array([str(period)] * n, pa.string()))


ITEMS_SCHEMA = pa.schema(
    [
        ("period", pa.string()),
        ("reporting_date", pa.string()),
        ("item", pa.string()),
        ("description", pa.string()),
        ("value", pa.string()),
        ("benchmark", pa.string()),
        ("rule", pa.string()),
        ("result", pa.string()),
    ]
)
FIGURES_SCHEMA = pa.schema(
    [
        ("period", pa.string()),
        ("date", pa.string()),
        ("basis", pa.string()),
        ("metric", pa.string()),
        ("value", pa.string()),
    ]
)
