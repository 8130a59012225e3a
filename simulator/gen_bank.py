"""The bank's loan book: loans drawn from the product catalog, repayment schedules, and
positions (month-end for the history, every business day for the future days).

Days past due follow one rule everywhere: the age of the oldest installment due and not yet
paid. A loan of a distressed firm first has one installment paid late (special mention,
as its story says), then stops paying: 90+ days past due in the month gen_stories planned.
Who borrows does not depend on the firm's future, nor does its product or its price.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import LOAN_CLASSIFICATIONS
from creditlake.core.reference import LOAN_PRODUCTS_CSV
from creditlake.simulator import gen_common as gc
from creditlake.simulator.gen_enterprises import World

PRODUCTS_CSV = LOAN_PRODUCTS_CSV
NO_DEFAULT = np.iinfo(np.int64).max // 4


@dataclass
class Products:
    product_id: np.ndarray
    product_type: np.ndarray
    min_amount: np.ndarray  # cents
    max_amount: np.ndarray
    min_term: np.ndarray
    max_term: np.ndarray
    base_rate: np.ndarray
    max_rate: np.ndarray
    collateral: np.ndarray
    monthly: np.ndarray  # amortising monthly, else one bullet repayment at maturity


def load_products(path: Path = PRODUCTS_CSV) -> Products:
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    col = lambda name, kind=str: np.array([kind(r[name]) for r in rows])  # noqa: E731
    return Products(
        col("product_id"),
        col("product_type"),
        (col("min_amount", float) * 100).astype(np.int64),
        (col("max_amount", float) * 100).astype(np.int64),
        col("min_term_days", int),
        col("max_term_days", int),
        col("base_rate", float),
        col("max_rate", float),
        col("collateral_type"),
        col("repayment_method") == "monthly",
    )


def _choose_products(rng, products: Products, size: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Micro firms take online lines and short loans; larger firms secured loans; chain
    members often finance their receivables."""
    pid = list(products.product_id)
    weights = {
        0: {"P01": 5, "P02": 3, "P03": 3, "P04": 1},
        1: {"P01": 2, "P02": 4, "P03": 3, "P04": 2, "P08": 1, "P07": 1},
        2: {"P02": 3, "P04": 2, "P07": 3, "P08": 2},
        3: {"P02": 2, "P07": 3, "P08": 2},
    }
    choice = np.zeros(len(size), int)
    for s, w in weights.items():
        p = np.array([w.get(x, 0) for x in pid], float)
        mask = size == s
        choice[mask] = rng.choice(len(pid), mask.sum(), p=p / p.sum())
    chain = member & (rng.random(len(size)) < 0.4)
    choice[chain] = rng.choice([pid.index("P05"), pid.index("P06")], chain.sum())
    return choice


def loan_book(
    world: World, cal: gc.Calendar, seed: int
) -> tuple[pa.Table, pa.Table, np.ndarray, np.ndarray]:
    """Returns (loans, repayments, has_loan per firm, default_day per firm or -1)."""
    rng = gc.rng_for(seed, "bank")
    products = load_products()
    n = world.n
    span = lambda t: np.clip(t, -24, cal.panel_months + 24)  # noqa: E731  (NEVER stays far off)
    onset_day = gc.month_start(cal.first_mi + span(world.onset_t))
    # Borrowers were chosen with the world, whatever their future (gen_stories.plan); a
    # quarter of them hold a second loan.
    borrows = world.plan.borrower
    second = borrows & (rng.random(n) < 0.25)
    firm = np.concatenate([np.flatnonzero(borrows), np.flatnonzero(second)])
    # Every loan of a firm with a planned default runs across it: it stops paying at D - 90.
    covering = world.distressed[firm]
    k = len(firm)
    product = _choose_products(rng, products, world.size[firm], world.core_of[firm] >= 0)
    monthly = products.monthly[product]

    term = rng.integers(np.maximum(products.min_term[product], 30), products.max_term[product] + 1)
    # Each loan is on the book at some month end of the history or after (so every borrower
    # shows in the files, whatever its future).
    opens_from = cal.first_day + 30 - term
    contract = opens_from + (rng.random(k) * (cal.end_day - 10 - opens_from)).astype(np.int64)
    # Default (90+ days past due) lands in the planned month: installments alignment adds < 1 month.
    default_target = gc.month_start(cal.first_mi + span(world.plan.default_t[firm])) + rng.integers(
        0, 5, k
    )
    amortising_contract = default_target - 90 - rng.integers(60, 241, k)
    bullet_contract = default_target - 90 + rng.integers(0, 10, k) - term  # matures at D - 90
    contract = np.where(covering, np.where(monthly, amortising_contract, bullet_contract), contract)
    term = np.where(
        covering & monthly,
        np.minimum(
            default_target - contract + rng.integers(90, 541, k), products.max_term[product]
        ),
        term,
    )
    # Loans numbered in contract order, so schedules and positions come out nearly in file order.
    contract, firm, covering, product, term, default_target = gc.in_time_order(
        contract, firm, covering, product, term, default_target
    )
    maturity = contract + term
    n_inst = np.where(
        products.monthly[product], np.maximum(1, np.round(term / 30)).astype(np.int64), 1
    )

    monthly_revenue = world.revenue[firm].max(axis=1)
    wanted = (
        np.round(monthly_revenue * rng.uniform(0.8, 4, k) / 1000) * 100_000
    )  # whole thousands, in cents
    amount = np.clip(wanted, products.min_amount[product], products.max_amount[product]).astype(
        np.int64
    )
    # Priced on what the bank can see (size), not on the firm's future.
    risk = np.clip(rng.uniform(0, 0.6, k) + np.where(world.size[firm] == 0, 0.25, 0), 0, 1)
    rate = np.round(
        products.base_rate[product]
        + (products.max_rate[product] - products.base_rate[product]) * risk,
        4,
    )

    # Installment schedule: due_j = contract + j * term // n (j = 1..n), equal principal.
    loan_of = np.repeat(np.arange(k), n_inst)
    j = np.arange(len(loan_of)) - np.repeat(np.cumsum(n_inst) - n_inst, n_inst) + 1
    due = contract[loan_of] + j * term[loan_of] // n_inst[loan_of]
    principal = amount // n_inst
    principal_due = np.where(
        j == n_inst[loan_of],
        amount[loan_of] - principal[loan_of] * (n_inst[loan_of] - 1),
        principal[loan_of],
    )
    previous_due = np.where(
        j == 1, contract[loan_of], contract[loan_of] + (j - 1) * term[loan_of] // n_inst[loan_of]
    )
    outstanding_before = amount[loan_of] - principal[loan_of] * (j - 1)
    interest_due = np.round(outstanding_before * rate[loan_of] * (due - previous_due) / 365).astype(
        np.int64
    )

    # Payment behaviour per loan: at most one late installment, and for a covering loan a
    # first missed installment after which nothing is paid.
    first_due_after = lambda day: _first_index_at_or_after(due, loan_of, n_inst, day)  # noqa: E731
    missed_j = np.where(covering, first_due_after(default_target - 90), NO_DEFAULT)
    # One installment paid late: at the onset for as many firms in distress as their story
    # says (none in a sudden default), at random for 7% of the others.
    late_j = np.where(
        covering,
        np.where(
            rng.random(k) < world.plan.late_installment[firm], first_due_after(onset_day[firm]), -1
        ),
        np.where(rng.random(k) < 0.07, rng.integers(1, 13, k), -1),
    )
    late_j = np.where((late_j >= missed_j) | (late_j > n_inst), -1, late_j)  # no such installment
    late_days = np.where(
        covering,
        rng.integers(10, 50, k),
        np.where(rng.random(k) < 0.15, rng.integers(30, 60, k), rng.integers(1, 25, k)),
    )
    missed_day = np.where(
        missed_j <= n_inst,
        due[np.minimum(np.cumsum(n_inst) - n_inst + missed_j - 1, len(due) - 1)],
        NO_DEFAULT,
    )
    missed_day = np.where(missed_j == NO_DEFAULT, NO_DEFAULT, missed_day)
    late_start = np.where(
        late_j >= 1, due[np.cumsum(n_inst) - n_inst + np.maximum(late_j, 1) - 1], NO_DEFAULT
    )

    loans, loan, as_of, dpd = _positions(
        world,
        cal,
        rng,
        products,
        firm,
        product,
        contract,
        maturity,
        amount,
        rate,
        n_inst,
        term,
        missed_j,
        missed_day,
        late_start,
        late_days,
    )
    repayments = _repayments(
        cal, loan_of, j, due, principal_due, interest_due, missed_j, late_j, late_days, contract
    )
    # Only loans the book shows (a position in the window) have repayments in the files.
    shown = np.zeros(k, bool)
    shown[loan] = True
    repayments = repayments.filter(
        pa.array(shown[np.asarray(repayments.column("_loan").to_numpy())])
    )
    repayments = repayments.drop_columns(["_loan"])
    loan_firm = firm[loan]
    default_day = np.full(n, NO_DEFAULT)
    defaulted = dpd >= 90
    np.minimum.at(default_day, loan_firm[defaulted], as_of[defaulted])
    has_loan = np.zeros(n, bool)
    has_loan[firm[loan]] = True
    return loans, repayments, has_loan, np.where(default_day == NO_DEFAULT, -1, default_day)


def _first_index_at_or_after(
    due: np.ndarray, loan_of: np.ndarray, n_inst: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Per loan, the 1-based number of the first installment due on or after `day` (n+1 if none)."""
    after = due >= day[loan_of]
    counts_before = np.bincount(loan_of, weights=~after, minlength=len(n_inst)).astype(np.int64)
    return counts_before + 1


def _positions(
    world,
    cal,
    rng,
    products,
    firm,
    product,
    contract,
    maturity,
    amount,
    rate,
    n_inst,
    term,
    missed_j,
    missed_day,
    late_start,
    late_days,
) -> tuple[pa.Table, np.ndarray, np.ndarray, np.ndarray]:
    history = gc.month_start(cal.panel_mi[: cal.months] + 1) - 1  # month ends
    future = np.arange(cal.start_day, cal.end_day)
    future = future[gc.next_business_day(future) == future]
    as_of_grid = np.concatenate([history, future])
    defaulting = missed_day != NO_DEFAULT
    mask = (contract[:, None] <= as_of_grid[None, :]) & (
        (as_of_grid[None, :] < maturity[:, None])
        | (defaulting[:, None] & (as_of_grid[None, :] >= missed_day[:, None]))
    )
    loan, a = np.nonzero(mask)
    a, loan = gc.in_time_order(a, loan)
    as_of = as_of_grid[a]
    file_day = gc.next_business_day(as_of)
    keep = file_day < cal.end_day
    loan, as_of, file_day = loan[keep], as_of[keep], file_day[keep]
    x = as_of - contract[loan]
    due_count = np.minimum(
        n_inst[loan], ((x + 1) * n_inst[loan] + term[loan] - 1) // term[loan] - 1
    )
    paid_count = np.minimum(due_count, missed_j[loan] - 1)
    late_open = (late_start[loan] <= as_of) & (as_of < late_start[loan] + late_days[loan])
    paid_count = paid_count - late_open
    principal = amount[loan] // n_inst[loan]
    outstanding = np.where(paid_count >= n_inst[loan], 0, amount[loan] - principal * paid_count)
    dpd = np.maximum(
        np.where(as_of >= missed_day[loan], as_of - missed_day[loan], 0),
        np.where(late_open, as_of - late_start[loan], 0),
    )
    classification = np.select([dpd == 0, dpd < 90, dpd < 180, dpd < 360], [0, 1, 2, 3], 4)
    f = firm[loan]
    p = product[loan]
    guarantor = pc.if_else(
        pa.array(products.collateral[p] == "guarantee"),
        pc.binary_join_element_wise(world.city.take(pa.array(f)), "融资担保有限公司", ""),
        gc.nulls(len(loan)),
    )
    columns = {
        "loan_id": gc.numbered("LN", 10_000_000 + loan, 8),
        "uscc": world.uscc.take(pa.array(f)),
        "product_id": pa.array(products.product_id).take(pa.array(p)),
        "branch_id": pc.binary_join_element_wise(
            gc.numbered("BR", world.region[f] // 100, 4), gc.ints(f % 3 + 1), "-"
        ),
        "contract_date": gc.dates(contract[loan]),
        "maturity_date": gc.dates(np.maximum(contract[loan] + 1, contract[loan] + term[loan])),
        "credit_limit": gc.money(amount[loan]),
        "outstanding_principal": gc.money(outstanding),
        "annual_rate": gc.decimal(rate[loan], 4),
        "collateral_type": pa.array(products.collateral).take(pa.array(p)),
        "guarantor": guarantor,
        "classification": gc.codes(LOAN_CLASSIFICATIONS, classification),
        "days_past_due": gc.ints(dpd),
        "as_of_date": gc.dates(as_of),
    }
    return bank_table("loans", columns, file_day), loan, as_of, dpd


def _repayments(
    cal, loan_of, j, due, principal_due, interest_due, missed_j, late_j, late_days, contract
) -> pa.Table:
    """The schedule arrives with the contract (nothing paid); a paid installment is re-sent
    the day it is paid. Missed installments keep their schedule row only."""
    m = len(loan_of)
    schedule_day = drop_day(cal, contract[loan_of])
    is_late = j == late_j[loan_of]
    missed = j >= missed_j[loan_of]
    paid_on = np.where(is_late, due + late_days[loan_of], due)
    paid_day = drop_day(cal, paid_on)
    repayment_id = pc.binary_join_element_wise(
        gc.numbered("LN", 10_000_000 + loan_of, 8), gc.numbered("", j, 3), "-"
    )
    columns = {
        "repayment_id": repayment_id,
        "loan_id": gc.numbered("LN", 10_000_000 + loan_of, 8),
        "due_on": gc.dates(due),
        "paid_on": gc.dates(paid_on),
        "principal_due": gc.money(principal_due),
        "principal_paid": gc.money(principal_due),
        "interest_due": gc.money(interest_due),
        "interest_paid": gc.money(interest_due),
    }
    zero = gc.money(np.zeros(m, np.int64))
    scheduled = bank_table(
        "repayments",
        {**columns, "paid_on": gc.nulls(m), "principal_paid": zero, "interest_paid": zero},
        schedule_day,
    )
    # A month-end history file carries only the newest version of an installment: when it
    # was scheduled and paid within one month, the schedule row is not sent separately.
    sent_alone = missed | (paid_day >= cal.end_day) | (paid_day != schedule_day)
    scheduled = scheduled.filter(pa.array(sent_alone))
    paid = bank_table("repayments", columns, paid_day).filter(
        pa.array(~missed & (paid_day < cal.end_day))
    )
    both = pa.concat_tables(
        [
            scheduled.append_column("_loan", pa.array(loan_of[sent_alone])),
            paid.append_column("_loan", pa.array(loan_of[~missed & (paid_day < cal.end_day)])),
        ]
    )
    return both.filter(pc.less(both.column("_ts"), cal.end_ts))


def drop_day(cal: gc.Calendar, day: np.ndarray) -> np.ndarray:
    """The business day of the drop file that carries an event on `day`.

    The history is dropped the way banks backfill: one file per month end (the same files as
    the month-end positions, never before the first of them); from start_clock on, one file
    per business day."""
    day = np.asarray(day, dtype=np.int64)
    month_end = gc.month_start(np.maximum(gc.month_of(day), cal.first_mi) + 1) - 1
    return gc.next_business_day(np.where(day < cal.start_day, month_end, day))


def bank_table(dataset: str, columns: dict[str, pa.Array], file_day: np.ndarray) -> pa.Table:
    """Bank rows carry the drop file's business day instead of updated_at."""
    t = gc.table(dataset, columns, np.asarray(file_day) * gc.DAY)
    return t.append_column("_file_date", gc.dates(file_day))
