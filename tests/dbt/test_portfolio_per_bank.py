"""The portfolio marts of a world lent by two banks: each bank's rows sum its own book only.

The two-bank world (tests/conftest.py): loans booked at one of two banks, each dropping into
its own folder (contract section 5); some borrowers and products are at both. fct_product_month and rpt_portfolio_month are held against each
bank's loans in fct_loan_month: a mart summing across banks gives each bank the market's figures.
"""

from __future__ import annotations

import pytest
from service_world import BANKS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def marts(two_bank_marts):
    import duckdb

    con = duckdb.connect(str(two_bank_marts), read_only=True)
    yield con
    con.close()


def test_the_banks_share_products_and_borrowers(marts):
    """Else summing across banks would go unseen by the tests below."""
    for mart in ("fct_product_month", "rpt_portfolio_month"):
        banks = marts.execute(f"SELECT DISTINCT bank_id FROM marts.{mart} ORDER BY 1").fetchall()
        assert banks == [(b,) for b in BANKS], mart
    ((shared_products,),) = marts.execute("""
        SELECT count(*) FROM (SELECT product_id, month FROM marts.fct_product_month
                              WHERE balance > 0 GROUP BY all HAVING count(*) = 2)""").fetchall()
    ((shared_borrowers,),) = marts.execute("""
        SELECT count(*) FROM (SELECT uscc, month FROM marts.fct_loan_month
                              WHERE exposure > 0 GROUP BY all HAVING count(DISTINCT bank_id) = 2)
    """).fetchall()
    assert shared_products > 0 and shared_borrowers > 0


def test_product_month_sums_each_banks_own_loans(marts):
    mart = "SELECT bank_id, product_id, month, balance, borrowers, new_loans FROM marts.fct_product_month"
    book = """
        SELECT l.bank_id, l.product_id, l.month, sum(l.exposure),
               count(DISTINCT l.uscc) FILTER (WHERE l.exposure > 0),
               count(*) FILTER (WHERE l.is_new_in_month)
        FROM marts.fct_loan_month AS l JOIN marts.dim_product USING (product_id)
        GROUP BY all"""
    assert _differences(marts, mart, book) == []


@pytest.mark.parametrize("dimension", ["product", "branch", "industry", "region", "park", "chain"])
def test_portfolio_month_sums_each_banks_own_loans(marts, dimension):
    """Every dimension splits a bank's month: its values add up to the bank's exposure, loans,
    warned exposure and (of a borrower's dimension) borrowers; a borrower of both banks counts
    at each."""
    per_borrower = dimension not in ("product", "branch")
    mart = f"""
        SELECT bank_id, month, sum(exposure), sum(loans), sum(warned_exposure),
               {"sum(borrowers)" if per_borrower else "NULL"}
        FROM marts.rpt_portfolio_month WHERE dimension = '{dimension}' GROUP BY all"""
    book = f"""
        WITH warned AS (
            SELECT DISTINCT l.bank_id, l.loan_id, l.month
            FROM marts.fct_loan_month AS l JOIN marts.fct_risk_warnings AS w
                ON w.uscc = l.uscc AND l.month BETWEEN w.first_seen_month AND w.last_seen_month)
        SELECT l.bank_id, l.month, sum(l.exposure), count(*),
               coalesce(sum(l.exposure) FILTER (WHERE w.loan_id IS NOT NULL), 0),
               {"count(DISTINCT l.uscc)" if per_borrower else "NULL"}
        FROM marts.fct_loan_month AS l
        JOIN marts.dim_enterprise USING (uscc)
        LEFT JOIN warned AS w USING (bank_id, loan_id, month)
        WHERE l.exposure > 0
        GROUP BY all"""
    assert _differences(marts, mart, book) == []


def _differences(con, mart: str, book: str) -> list[tuple]:
    """The rows of either query the other lacks (none when the mart is the bank's own book)."""
    return con.execute(
        f"WITH mart AS ({mart}), book AS ({book}) "
        "(FROM mart EXCEPT FROM book) UNION ALL (FROM book EXCEPT FROM mart)"
    ).fetchall()
