"""Supply-chain platform: core enterprises, e-invoices between firms, receivable confirmations.

Members of a chain invoice their core enterprise; everyone invoices other firms. A buyer in
distress pays later and later (days beyond terms rise), then not at all; a distressed core
does that to all its suppliers. Each invoice is published when issued and again when paid,
cancelled or reversed.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import INVOICE_STATUSES
from creditlake.simulator import gen_common as gc
from creditlake.simulator import gen_names as names
from creditlake.simulator.gen_enterprises import World

INVOICES_PER_MONTH = np.array([0.6, 1.5, 3.0, 6.0])  # by size class
BUYER_NAME_ONLY_RATE = 0.10


def core_enterprises(world: World, cal: gc.Calendar, seed: int) -> pa.Table:
    rng = gc.rng_for(seed, "core-enterprises")
    cores = np.flatnonzero(world.is_core)
    k = len(cores)
    limit = (
        np.round(world.revenue[cores, 0:6].mean(axis=1) * 2.4 / 1e6) * 1e8
    )  # ~20% of annual revenue, whole millions
    limit = np.maximum(limit, 1e9).astype(np.int64)
    # The platform cuts a core's confirmed limit two months after its payments turned.
    turned = world.plan.turn_t["payments"][cores]
    cut = turned < cal.panel_months
    cut_day = gc.month_start(
        cal.first_mi + np.clip(turned, 0, cal.panel_months) + 2
    ) + rng.integers(0, 20, k)
    take = pa.array(cores)
    columns = {
        "uscc": world.uscc.take(take),
        "name": world.name.take(take),
        "chain_name": world.chain_name.take(take),
        "confirmed_credit_limit": gc.money(np.where(cut, limit // 2, limit)),
    }
    return gc.versions(
        "core_enterprises",
        columns,
        gc.uniform_seconds(rng, cal.first_day - rng.integers(30, 300, k)),
        gc.uniform_seconds(rng, cut_day),
        cut,
        {"confirmed_credit_limit": gc.money(limit)},
        cal.end_ts,
    )


def invoices(
    world: World, cal: gc.Calendar, seed: int, general: np.ndarray
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Returns (invoices, receivable_confirmations, identity rows for buyer-name-only invoices)."""
    rng = gc.rng_for(seed, "invoices")
    n = world.n
    member = world.core_of >= 0
    # Sales (e-invoices are tax records) follow the seller's declared revenue; a failing core
    # buys less from its members as its own payments turn: the drag on its chain.
    selling = (1 - world.plan.loss["tax"]) * world.active
    paying = 1 - world.plan.loss["payments"]
    rate = INVOICES_PER_MONTH[world.size][:, None] * selling
    to_others = rng.poisson(rate)
    core_buys = paying[np.maximum(world.core_of, 0)]
    to_core = rng.poisson(np.where(member[:, None], 1.2 * selling * core_buys, 0.0))
    counts = (to_others + to_core).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    seller, t = cell // cal.panel_months, cell % cal.panel_months
    # Within a cell the first `to_core` invoices go to the core enterprise.
    rank = np.arange(len(cell)) - np.repeat(np.cumsum(counts) - counts, counts)
    core_bound = to_core.ravel()[cell]
    buyer = rng.integers(0, n - 1, len(cell))
    buyer = np.where(buyer >= seller, buyer + 1, buyer)  # never oneself
    buyer = np.where(~world.active[buyer, t], rng.integers(0, n - 1, len(cell)), buyer)
    buyer = np.where(buyer == seller, (seller + 1) % n, buyer)
    buyer = np.where(rank < core_bound, world.core_of[seller], buyer)
    start = gc.month_start(cal.first_mi + t)
    length = gc.month_start(cal.first_mi + t + 1) - start
    issued = start + (rng.random(len(cell)) * length).astype(np.int64)
    issued_ts = gc.uniform_seconds(rng, issued, 8, 20)
    keep = issued_ts < cal.end_ts
    issued_ts, seller, buyer, t, issued = gc.in_time_order(
        issued_ts[keep], seller[keep], buyer[keep], t[keep], issued[keep]
    )
    m = len(seller)

    expected = INVOICES_PER_MONTH[world.size[seller]] + np.where(member[seller], 1.2, 0)
    amount = np.maximum(
        10_000, np.round(world.revenue[seller, t] / expected * rng.uniform(0.3, 0.9, m) * 100)
    ).astype(np.int64)
    tax = np.round(amount * np.where(general[seller], 0.13, 0.03)).astype(np.int64)
    to_a_core = world.is_core[buyer]
    terms = np.where(to_a_core, rng.choice([60, 90], m), rng.choice([15, 30, 45], m))
    due = issued + terms
    # Payment behaviour is the buyer's: on time when healthy, later the more its payments
    # feed has fallen (distress or a dip), and in distress at last not at all.
    lost = world.plan.loss["payments"][buyer, t]
    delay = np.clip(np.round(rng.normal(-3, 5, m)), -20, 12).astype(np.int64)
    delay = delay + rng.integers(15, 45, m) * np.minimum(4, np.round(lost * 10)).astype(np.int64)
    paid_on = np.maximum(due + delay, issued + 1)
    never = (t >= world.plan.arrears_t["payments"][buyer]) & (rng.random(m) < 0.3)
    u = rng.random(m)
    cancelled, reversed_ = u < 0.01, (u >= 0.01) & (u < 0.015)
    paid_ts = gc.uniform_seconds(rng, paid_on)
    cancel_ts = gc.uniform_seconds(
        rng, issued + np.where(cancelled, rng.integers(1, 10, m), rng.integers(10, 60, m))
    )
    paid = ~cancelled & ~reversed_ & ~never & (paid_ts < cal.end_ts)
    status = np.where(cancelled, 2, np.where(reversed_, 3, np.where(paid, 1, 0)))
    second_ts = np.where(cancelled | reversed_, cancel_ts, paid_ts)

    name_only = rng.random(m) < BUYER_NAME_ONLY_RATE
    retyped = np.flatnonzero(name_only & (rng.random(m) < 0.5))  # half of them typed differently
    variants = names.name_variants(rng, world.name.take(pa.array(buyer[retyped])))
    variant_of = np.full(m, -1)
    variant_of[retyped] = np.arange(len(retyped))
    year2 = gc.month_of(issued) // 12 % 100
    province = world.region[seller] // 10000
    serial = 1_000_000_000_000_000 + rng.permutation(m)

    def invoice_no(rows: np.ndarray) -> pa.Array:
        return names.join(
            gc.ints(year2[rows]), gc.ints(province[rows]), gc.numbered("", serial[rows], 16)
        )

    def build(rows: np.ndarray) -> dict[str, pa.Array]:
        buyer_name = world.name.take(pa.array(buyer[rows]))
        retype = variant_of[rows] >= 0
        buyer_name = pc.replace_with_mask(
            buyer_name, pa.array(retype), variants.take(pa.array(variant_of[rows][retype]))
        )
        return {
            "invoice_no": invoice_no(rows),
            "seller_uscc": gc.take(world.uscc, seller[rows]),
            "seller_name": world.name.take(pa.array(seller[rows])),
            "buyer_uscc": gc.take(world.uscc, buyer[rows], ~name_only[rows]),
            "buyer_name": buyer_name,
            "issued_on": gc.dates(issued[rows]),
            "amount": gc.money(amount[rows]),
            "tax_amount": gc.money(tax[rows]),
            "due_on": gc.dates(due[rows]),
            "paid_on": gc.dates(paid_on[rows], status[rows] == 1),
            "status": gc.codes(INVOICE_STATUSES, status[rows]),
        }

    table = gc.versions_in_order(
        "invoices",
        build,
        issued_ts,
        second_ts,
        status > 0,
        ("paid_on",),
        {"status": "issued"},
        cal.end_ts,
    )
    identity = pa.table(
        {
            "source": pa.array(["invoice_buyer"] * int(name_only.sum())),
            "source_id": invoice_no(np.flatnonzero(name_only)),
            "uscc": world.uscc.take(pa.array(buyer[name_only])),
            "uscc_missing": pa.array(np.ones(int(name_only.sum()), bool)),
        }
    )

    # The core confirms about half of its members' invoices as payable receivables.
    confirm = (
        (buyer == world.core_of[seller]) & (status != 2) & (status != 3) & (rng.random(m) < 0.5)
    )
    idx = np.flatnonzero(confirm)
    confirmed_on = issued[idx] + rng.integers(2, 11, len(idx))
    confirmed_ts = gc.uniform_seconds(rng, confirmed_on)
    within = confirmed_ts < cal.end_ts
    idx, confirmed_on, confirmed_ts = idx[within], confirmed_on[within], confirmed_ts[within]
    confirmations = gc.table(
        "receivable_confirmations",
        {
            "confirmation_id": gc.numbered("RC", 1_000_000_000 + np.arange(len(idx)), 10),
            "core_uscc": gc.take(world.uscc, buyer[idx]),
            "supplier_uscc": gc.take(world.uscc, seller[idx]),
            "invoice_no": invoice_no(idx),
            "confirmed_amount": gc.money(amount[idx]),
            "confirmed_on": gc.dates(confirmed_on),
            "matures_on": gc.dates(due[idx]),
        },
        confirmed_ts,
    )
    return table, confirmations, identity
