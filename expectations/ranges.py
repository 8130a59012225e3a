"""Per-dataset extras the contract leaves open: plausible ranges and future-dated fields.

A value outside its plausible range is quarantined as `out_of_range` (contract section 3:
"a value far outside any plausible range"). Bounds are deliberately wide: they catch
typing slips (a missing decimal point, a year 2206), not unusual businesses.
"""

from __future__ import annotations

from creditlake.core.contract import DATE, INT, MONEY, NUM, PERIOD

# Defaults by type: (min, max); None = unbounded on that side. Negatives are a separate
# reason (negative_value), so numeric minima here apply only where 0 is not the floor.
MONEY_MAX = 1e12  # one trillion yuan: more than any SME figure in these feeds
NUM_MAX = 1e12
INT_MAX = 1e9
OLDEST_DATE = "1949-10-01T00:00:00"  # no registration, contract or filing predates the PRC
OLDEST_PERIOD = "1990-01-01T00:00:00"
LATEST_DATE = "2100-12-31T00:00:00"  # for fields that may lie in the future

TYPE_DEFAULTS = {MONEY: (None, MONEY_MAX), NUM: (None, NUM_MAX), INT: (None, INT_MAX)}

RANGES: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "enterprises": {"registered_capital": (None, 1e11)},
    "penalties": {"amount": (None, 1e10)},
    "dishonest_debtors": {"amount": (None, 1e11)},
    "taxpayers": {"rating_year": (1990, 2100)},
    "tax_filings": {
        "declared_revenue": (None, 1e11),
        "tax_payable": (None, 1e10),
        "tax_paid": (None, 1e10),
    },
    "tax_arrears": {"amount": (None, 1e10)},
    "ss_contributions": {
        "insured_headcount": (None, 200_000),
        "contribution_due": (None, 1e9),
        "contribution_paid": (None, 1e9),
    },
    "meter_readings": {
        "consumption": (None, 1e9),
        "amount_billed": (None, 1e9),
        "amount_paid": (None, 1e9),
    },
    "core_enterprises": {"confirmed_credit_limit": (None, 1e12)},
    "invoices": {"amount": (None, 1e10), "tax_amount": (None, 2e9)},
    "receivable_confirmations": {"confirmed_amount": (None, 1e10)},
    "loans": {
        "credit_limit": (None, 1e10),
        "outstanding_principal": (None, 1e10),
        "annual_rate": (None, 0.36),  # 36%: the legal ceiling for lending rates in China
        "days_past_due": (None, 10_000),
    },
    "repayments": {
        "principal_due": (None, 1e10),
        "principal_paid": (None, 1e10),
        "interest_due": (None, 1e9),
        "interest_paid": (None, 1e9),
    },
}

# Dates that lie in the future by nature (maturities, due dates); every other date,
# period and timestamp later than the batch's as-of time is `future_date`.
FUTURE_ALLOWED = {
    "loans": {"maturity_date"},
    "repayments": {"due_on"},
    "invoices": {"due_on"},
    "meter_readings": {"due_on"},
    "receivable_confirmations": {"matures_on"},
}


def numeric_range(dataset: str, field: str, ftype: str) -> tuple[float | None, float | None]:
    return RANGES.get(dataset, {}).get(field, TYPE_DEFAULTS.get(ftype, (None, None)))


def future_allowed(dataset: str, field: str) -> bool:
    return field in FUTURE_ALLOWED.get(dataset, set())


def oldest(ftype: str) -> str:
    return OLDEST_PERIOD if ftype == PERIOD else OLDEST_DATE


DATE_TYPES = (DATE, PERIOD)
