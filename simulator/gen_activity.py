"""Monthly activity feeds: utility accounts and meter readings, taxpayers, tax filings and
arrears, social-security contributions. All derived from the world's panels, one row per
(firm, month) cell picked with numpy masks: no Python loop over firms or rows.

Monthly data for period P is published in month P+1 (readings in the first days, filings
around the 10th-15th); a payment later adds a second version of the record.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import TAX_CREDIT_RATINGS, TAXPAYER_KINDS
from creditlake.simulator import gen_common as gc
from creditlake.simulator import gen_names as names
from creditlake.simulator.gen_enterprises import (
    ELECTRICITY_INTENSITY,
    WATER_INTENSITY,
    World,
    taxpayer_ids,
)

MISSING_USCC_RATE = 0.30


def by_section(mapping: dict[str, float], sections: np.ndarray) -> np.ndarray:
    distinct, inverse = np.unique(sections, return_inverse=True)
    return np.array([mapping[s] for s in distinct], float)[inverse]


def _cells(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    firm, t = np.nonzero(mask)
    return firm.astype(np.int64), t.astype(np.int64)


def utility(world: World, cal: gc.Calendar, seed: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Returns (utility_accounts, meter_readings, identity rows for accounts)."""
    rng = gc.rng_for(seed, "utility")
    n = world.n
    has_water = (world.section == "C") | (rng.random(n) < 0.65)
    firm = np.concatenate([np.arange(n), np.flatnonzero(has_water)])
    kind = np.concatenate(
        [np.zeros(n, int), np.ones(has_water.sum(), int)]
    )  # 0 electricity, 1 water
    order = rng.permutation(len(firm))  # account numbers are not in firm order
    firm, kind = firm[order], kind[order]
    m = len(firm)
    account_no = pc.if_else(
        pa.array(kind == 0),
        gc.numbered("31", np.arange(m) + 1, 8),
        gc.numbered("52", np.arange(m) + 1, 8),
    )
    opened = world.established_day[firm] + rng.integers(0, 45, m)
    missing = rng.random(m) < MISSING_USCC_RATE
    holder = world.name.take(pa.array(firm))
    holder = pc.replace_with_mask(
        holder, pa.array(missing), names.name_variants(rng, holder.filter(pa.array(missing)))
    )
    address = world.address.take(pa.array(firm))
    moved = missing & (rng.random(m) < 0.6)
    address = pc.replace_with_mask(
        address, pa.array(moved), names.address_variants(rng, address.filter(pa.array(moved)))
    )
    first_seen = np.where(
        opened >= cal.first_day - 365,
        opened + rng.integers(1, 4, m),
        cal.first_day - rng.integers(1, 365, m),
    )
    accounts = gc.table(
        "utility_accounts",
        {
            "account_no": account_no,
            "utility": gc.codes(["electricity", "water"], kind),
            "holder_name": holder,
            "uscc": pc.if_else(pa.array(missing), gc.nulls(m), world.uscc.take(pa.array(firm))),
            "address": address,
            "opened_on": gc.dates(opened),
        },
        gc.uniform_seconds(rng, first_seen),
    )
    visible = accounts.column("_ts").to_numpy() < cal.end_ts
    identity = pa.table(
        {
            "source": pa.array(["utility_account"] * m),
            "source_id": account_no,
            "uscc": world.uscc.take(pa.array(firm)),
            "uscc_missing": pa.array(missing),
        }
    ).filter(pa.array(visible))

    # Readings: one per account and month since opening, published in the first days of the next month.
    opened_t = gc.month_of(opened) - cal.first_mi
    # From the first full month after opening, so an account is published before its readings.
    mask = (np.arange(cal.panel_months)[None, :] > opened_t[:, None]) & world.active[firm]
    acc, t = _cells(mask)
    bill_month = cal.first_mi + t + 1
    published = gc.uniform_seconds(
        rng, gc.month_start(bill_month) + rng.integers(0, 5, len(t)), 0, 24
    )
    keep = published < cal.end_ts
    published, acc, t, bill_month = gc.in_time_order(
        published[keep], acc[keep], t[keep], bill_month[keep]
    )
    f = firm[acc]
    water = kind[acc] == 1
    intensity = np.where(
        water,
        by_section(WATER_INTENSITY, world.section)[f],
        by_section(ELECTRICITY_INTENSITY, world.section)[f],
    )
    lost = world.plan.loss["electricity"][f, t]  # water follows the machines too
    consumption = np.maximum(
        1.0,
        np.round(
            world.revenue[f, t]
            * (1 - lost)
            / 1000
            * intensity
            * np.exp(rng.normal(0, 0.05, len(t))),
            1,
        ),
    )
    price = np.where(water, 3.5 + (world.region[f] % 7) * 0.4, 0.55 + (world.region[f] % 11) * 0.03)
    billed = np.round(consumption * price * 100).astype(np.int64)
    due = gc.month_start(bill_month) + 19
    paid_on = gc.month_start(bill_month) + rng.integers(5, 19, len(t))
    # A firm whose consumption fell (distress or a dip) often pays late, and in distress at
    # last not at all; a few healthy firms pay a bill late now and then.
    u = rng.random(len(t))
    late = np.where(lost > 0.02, u < np.clip(0.15 + 1.2 * lost, 0, 0.9), u < 0.02)
    paid_on = np.where(late, due + rng.integers(10, 75, len(t)), paid_on)
    unpaid = (t >= world.plan.arrears_t["electricity"][f]) & (rng.random(len(t)) < 0.35)
    paid_ts = gc.uniform_seconds(rng, paid_on)

    def build(rows: np.ndarray) -> dict[str, pa.Array]:
        amount = gc.money(billed[rows])  # billed and paid in full: one array for both columns
        return {
            "account_no": gc.take(account_no, acc[rows]),
            "period": gc.periods(cal.first_mi + t[rows]),
            "consumption": gc.decimal(consumption[rows], 1),
            "amount_billed": amount,
            "amount_paid": amount,
            "due_on": gc.dates(due[rows]),
            "paid_on": gc.dates(paid_on[rows]),
        }

    readings = gc.versions_in_order(
        "meter_readings",
        build,
        published,
        np.maximum(paid_ts, published + 3600),
        ~unpaid,
        ("amount_paid", "paid_on"),
        {},
        cal.end_ts,
    )
    return accounts.filter(pa.array(visible)), readings, identity


def _rating(rng, troubled_then: np.ndarray, core: np.ndarray) -> np.ndarray:
    n = len(troubled_then)
    healthy = rng.choice(5, n, p=[0.25, 0.53, 0.17, 0.04, 0.01])
    troubled = rng.choice(5, n, p=[0.0, 0.25, 0.05, 0.45, 0.25])
    return np.where(troubled_then, troubled, np.where(core, 0, healthy))


def taxpayers(world: World, cal: gc.Calendar, seed: int) -> tuple[pa.Table, np.ndarray]:
    """One record per taxpayer; a new version each April when last year's credit rating is
    published (new taxpayers start as 'M'). Also returns which firms are general taxpayers."""
    rng = gc.rng_for(seed, "taxpayers")
    n = world.n
    general = rng.random(n) < np.array([0.15, 0.6, 0.95, 1.0])[world.size]
    ids = taxpayer_ids(world)
    est_year = (
        world.established_day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    )
    first_year = (
        int(np.datetime64(cal.first_day - 400, "D").astype("datetime64[Y]").astype(int)) + 1970
    )
    end_year = int(np.datetime64(cal.end_day, "D").astype("datetime64[Y]").astype(int)) + 1970
    parts_firm, parts_ts, parts_rating, parts_year = [], [], [], []
    new = world.established_day >= cal.first_day - 400
    parts_firm.append(np.flatnonzero(new))
    parts_ts.append(
        gc.uniform_seconds(rng, world.established_day[new] + rng.integers(15, 31, new.sum()))
    )
    parts_rating.append(np.full(new.sum(), TAX_CREDIT_RATINGS.index("M")))
    parts_year.append(est_year[new])
    for year in range(first_year - 1, end_year):  # a few years: not a per-row loop
        publish = gc.day_number(f"{year + 1}-04-20")
        if not (cal.first_day - 400 <= publish < cal.end_day):
            continue
        rated = np.flatnonzero(world.established_day < gc.day_number(f"{year}-07-01"))
        year_end_t = (year + 1) * 12 - cal.first_mi  # panel index of January after the year
        # rated down once the firm's tax record turned (its story's tax lag) during the year
        troubled_then = world.plan.turn_t["tax"][rated] < year_end_t - 1
        parts_firm.append(rated)
        parts_ts.append(
            gc.uniform_seconds(rng, np.full(len(rated), publish) + rng.integers(0, 10, len(rated)))
        )
        parts_rating.append(_rating(rng, troubled_then, world.is_core[rated]))
        parts_year.append(np.full(len(rated), year))
    firm, ts = np.concatenate(parts_firm), np.concatenate(parts_ts)
    rating, year = np.concatenate(parts_rating), np.concatenate(parts_year)
    keep = ts < cal.end_ts
    firm, ts, rating, year = firm[keep], ts[keep], rating[keep], year[keep]
    order = np.lexsort((ts, firm))
    firm, ts, rating, year = firm[order], ts[order], rating[order], year[order]
    final = np.ones(len(firm), bool)
    final[:-1] = firm[:-1] != firm[1:]
    ts, firm, rating, year, final = gc.in_time_order(ts, firm, rating, year, final)
    return gc.table(
        "taxpayers",
        {
            "taxpayer_id": ids.take(pa.array(firm)),
            "taxpayer_kind": gc.codes(TAXPAYER_KINDS, np.where(general[firm], 0, 1)),
            "credit_rating": gc.codes(TAX_CREDIT_RATINGS, rating),
            "rating_year": gc.ints(year),
        },
        ts,
        final,
    ), general


def tax_filings(
    world: World, cal: gc.Calendar, seed: int, general: np.ndarray
) -> tuple[pa.Table, pa.Table]:
    """VAT (monthly for general taxpayers, quarterly for small-scale) and quarterly CIT
    prepayments (limited companies). Firms in arrears pay part of what they owe."""
    rng = gc.rng_for(seed, "tax-filings")
    n, T = world.n, cal.panel_months
    mi = cal.panel_mi
    quarter_end = (mi % 3 == 2)[None, :]
    ids = taxpayer_ids(world)
    limited = world.etype == 0
    lost = world.plan.loss["tax"]
    declared_monthly = world.revenue * (1 - lost)
    revenue_q = (
        declared_monthly
        + np.concatenate([np.zeros((n, 1)), declared_monthly[:, :-1]], 1)
        + np.concatenate([np.zeros((n, 2)), declared_monthly[:, :-2]], 1)
    )
    tax_arrears_t = world.plan.arrears_t["tax"]
    parts = []
    for tax_type, mask in (
        ("vat", world.active & (general[:, None] | quarter_end)),
        ("cit", world.active & quarter_end & limited[:, None]),
    ):
        firm, t = _cells(mask)
        quarterly = (tax_type == "cit") | ~general[firm]
        revenue = (
            np.where(quarterly, revenue_q[firm, t], declared_monthly[firm, t])
            * world.overdeclare_factor[firm]
        )
        revenue *= np.exp(rng.normal(0, 0.02, len(t)))
        if tax_type == "vat":
            rate = np.where(general[firm], 0.13 * 0.3, 0.01)
        else:
            rate = np.where(general[firm], 0.25 * 0.05, 0.05 * 0.05)
        declared = np.round(revenue * 100).astype(np.int64)
        payable = np.round(declared * rate).astype(np.int64)
        in_arrears = t >= tax_arrears_t[firm]
        paid = np.where(
            in_arrears, np.round(payable * rng.uniform(0, 0.5, len(t))).astype(np.int64), payable
        )
        filed = gc.month_start(cal.first_mi + t + 1) + rng.integers(6, 14, len(t))
        # late filing: often once declared revenue fell (distress or a dip), rarely otherwise
        late = rng.random(len(t)) < np.where(lost[firm, t] > 0.02, 0.3, 0.02)
        filed = np.where(late, filed + rng.integers(15, 40, len(t)), filed)
        ts = gc.uniform_seconds(rng, filed)
        keep = ts < cal.end_ts
        ts, firm, t, declared, payable, paid, filed = gc.in_time_order(
            ts[keep], firm[keep], t[keep], declared[keep], payable[keep], paid[keep], filed[keep]
        )
        parts.append(
            gc.table(
                "tax_filings",
                {
                    "taxpayer_id": gc.take(ids, firm),
                    "period": gc.periods(cal.first_mi + t),
                    "tax_type": gc.codes([tax_type], np.zeros(len(t), int)),
                    "declared_revenue": gc.money(declared),
                    "tax_payable": gc.money(payable),
                    "tax_paid": gc.money(paid),
                    "filed_on": gc.dates(filed),
                },
                ts,
            )
        )
    filings = pa.concat_tables(parts)

    # Arrears: every firm in distress from its arrears month; a few healthy firms briefly.
    troubled = np.flatnonzero(world.distressed & (tax_arrears_t < T))
    healthy = np.flatnonzero(
        ~world.distressed & world.active[:, -1] & (rng.random(n) < 0.008 * cal.months / 12)
    )
    firm = np.concatenate([troubled, healthy])
    # arrears that began before the history are listed from its first month
    t = np.concatenate([np.maximum(tax_arrears_t[troubled], 0), rng.integers(0, T, len(healthy))])
    firm, t = firm[world.active[firm, t]], t[world.active[firm, t]]
    since = gc.month_start(cal.first_mi + t + 1) + 15
    owed = np.round(
        world.revenue[firm, t]
        * np.where(general[firm], 0.039, 0.01)
        * rng.uniform(0.5, 1.0, len(t))
        * 100
    ).astype(np.int64)
    settles = ~world.distressed[firm]
    settled_on = since + rng.integers(5, 40, len(t))
    first_ts = gc.uniform_seconds(rng, since + rng.integers(3, 10, len(t)))
    arrears = gc.versions(
        "tax_arrears",
        {
            "arrear_id": gc.numbered("QS", 1_000_000_000 + np.arange(len(t)), 10),
            "taxpayer_id": ids.take(pa.array(firm)),
            "tax_type": gc.codes(["vat"], np.zeros(len(t), int)),
            "amount": gc.money(np.maximum(owed, 100)),
            "since": gc.dates(since),
            "settled_on": gc.dates(settled_on),
        },
        first_ts,
        gc.uniform_seconds(rng, settled_on),
        settles,
        {"settled_on": gc.nulls(len(t))},
        cal.end_ts,
    )
    return filings, arrears.filter(pc.less(arrears.column("_ts"), cal.end_ts))


def ss_contributions(world: World, cal: gc.Calendar, seed: int) -> pa.Table:
    rng = gc.rng_for(seed, "social-security")
    firm, t = _cells(world.headcount > 0)
    wage_base = 3800 + (world.region % 13) * 250.0  # local contribution base, CNY per month
    due = np.round(world.headcount[firm, t] * wage_base[firm] * 0.28 * 100).astype(np.int64)
    in_arrears = t >= world.plan.arrears_t["headcount"][firm]
    share = np.where(rng.random(len(t)) < 0.4, 0.0, rng.uniform(0.2, 0.7, len(t)))
    paid = np.where(in_arrears, np.round(due * share).astype(np.int64), due)
    month_after = gc.month_start(cal.first_mi + t + 1)
    paid_on = month_after + rng.integers(5, 15, len(t))
    paid_on = np.where(in_arrears, paid_on + rng.integers(5, 25, len(t)), paid_on)
    ts = gc.uniform_seconds(rng, np.where(paid > 0, paid_on, month_after + 16))
    keep = ts < cal.end_ts
    ts, firm, t, due, paid, paid_on = gc.in_time_order(
        ts[keep], firm[keep], t[keep], due[keep], paid[keep], paid_on[keep]
    )
    return gc.table(
        "ss_contributions",
        {
            "uscc": gc.take(world.uscc, firm),
            "period": gc.periods(cal.first_mi + t),
            "insured_headcount": gc.ints(world.headcount[firm, t]),
            "contribution_due": gc.money(due),
            "contribution_paid": gc.money(paid),
            "paid_on": gc.dates(paid_on, paid > 0),
        },
        ts,
    )
