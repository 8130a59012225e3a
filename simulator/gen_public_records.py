"""Commerce registry events and court lists: enterprise changes, administrative penalties,
abnormal-operation listings, dishonest judgment debtors.

Rare for healthy firms, frequent for firms in distress (once their story turns the registry;
court cases after the loan default), drawn per (firm, month) cell with numpy so cost is one pass over the panel.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import CHANGE_TYPES, PENALTY_CATEGORIES
from creditlake.simulator import gen_common as gc
from creditlake.simulator import gen_names as names
from creditlake.simulator.gen_enterprises import World

ABNORMAL_REASONS = [
    "通过登记的住所或者经营场所无法联系",
    "未按照规定的期限公示年度报告",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "未在责令的期限内公示有关企业信息",
]
SCOPES = [
    "一般项目：技术服务、技术开发、技术咨询",
    "销售：五金交电、建筑材料、日用百货",
    "货物进出口；技术进出口",
    "普通货物仓储服务；国内货物运输代理",
    "餐饮服务；食品经营",
    "机械设备研发、制造、销售",
    "企业管理咨询；市场营销策划",
]
AUTHORITIES = {
    "tax": ("国家税务总局", "税务局"),
    "environment": ("", "生态环境局"),
    "product_quality": ("", "市场监督管理局"),
    "labour": ("", "人力资源和社会保障局"),
    "market_order": ("", "市场监督管理局"),
    "other": ("", "应急管理局"),
}


def _events(
    rng, world: World, cal: gc.Calendar, healthy_rate: float, troubled_rate: float, delay: int = 0
):
    """(firm, panel month) cells that get an event: a higher rate from `delay` months after the
    firm's registry turned (its story's lag, or its collapse), as strong as its story says."""
    t = np.arange(cal.panel_months)[None, :]
    troubled = t >= world.plan.turn_t["registry"][:, None] + delay
    strength = world.plan.registry_strength[:, None]
    rate = np.where(
        troubled, healthy_rate + (troubled_rate - healthy_rate) * strength, healthy_rate
    )
    rate = rate * world.active
    firm, month = np.nonzero(rng.random(rate.shape) < rate)
    start = gc.month_start(cal.first_mi + month)
    day = start + (
        rng.random(len(month)) * (gc.month_start(cal.first_mi + month + 1) - start)
    ).astype(np.int64)
    return firm.astype(np.int64), day, troubled[firm, month]


def enterprise_changes(world: World, cal: gc.Calendar, seed: int) -> pa.Table:
    rng = gc.rng_for(seed, "changes")
    firm, day, troubled = _events(rng, world, cal, 0.015, 0.06)
    m = len(firm)
    healthy_mix = np.array([0.15, 0.25, 0.15, 0.05, 0.2, 0.2])
    troubled_mix = np.array([0.35, 0.1, 0.1, 0.0, 0.35, 0.1])  # owners and managers leave
    kind = np.where(troubled, rng.choice(6, m, p=troubled_mix), rng.choice(6, m, p=healthy_mix))
    take = pa.array(firm)
    capital = np.maximum(world.capital_cents[firm], 100_000_000)
    other = pa.array(rng.integers(0, world.n, m))
    shareholders = lambda: names.join(  # noqa: E731
        names.person_names(rng, m), pa.scalar("、"), names.person_names(rng, m)
    )  # noqa: E731
    scope_a, scope_b = names.pick(rng, SCOPES, m), names.pick(rng, SCOPES, m)
    options_before = [
        world.legal_rep.take(take),
        world.address.take(take),
        gc.money(capital),
        world.name.take(take),
        shareholders(),
        scope_a,
    ]
    options_after = [
        names.person_names(rng, m),
        world.address.take(other),
        gc.money(np.round(capital * np.where(troubled, 0.5, rng.uniform(1.2, 3.0, m)) / 100) * 100),
        names.name_variants(rng, world.name.take(take)),
        shareholders(),
        names.join(scope_a, pa.scalar("；"), scope_b),
    ]
    before, after = options_before[0], options_after[0]
    for i in range(1, 6):
        before = pc.if_else(pa.array(kind == i), options_before[i], before)
        after = pc.if_else(pa.array(kind == i), options_after[i], after)
    return gc.table(
        "enterprise_changes",
        {
            "change_id": gc.numbered("BG", 1_000_000_000 + np.arange(m), 10),
            "uscc": world.uscc.take(take),
            "change_date": gc.dates(day),
            "change_type": gc.codes(CHANGE_TYPES, kind),
            "before": before,
            "after": after,
        },
        gc.uniform_seconds(rng, day + rng.integers(1, 6, m)),
    )


def penalties(world: World, cal: gc.Calendar, seed: int) -> pa.Table:
    rng = gc.rng_for(seed, "penalties")
    firm, day, troubled = _events(rng, world, cal, 0.004, 0.03)
    m = len(firm)
    heavy = np.isin(world.section[firm], ["B", "C", "D"])
    healthy_mix = np.array([0.2, 0.1, 0.15, 0.1, 0.35, 0.1])
    heavy_mix = np.array([0.15, 0.35, 0.2, 0.1, 0.15, 0.05])
    troubled_mix = np.array([0.4, 0.05, 0.05, 0.35, 0.1, 0.05])
    category = np.where(
        troubled,
        rng.choice(6, m, p=troubled_mix),
        np.where(heavy, rng.choice(6, m, p=heavy_mix), rng.choice(6, m, p=healthy_mix)),
    )
    city = world.city.take(pa.array(firm))
    authority = gc.nulls(m)
    for i, cat in enumerate(PENALTY_CATEGORIES):
        head, tail = AUTHORITIES[cat]
        authority = pc.if_else(
            pa.array(category == i), names.join(pa.scalar(head), city, pa.scalar(tail)), authority
        )
    amount = np.round(np.exp(rng.uniform(np.log(500), np.log(300_000), m))) * 100
    return gc.table(
        "penalties",
        {
            "penalty_id": gc.numbered("CF", 1_000_000_000 + np.arange(m), 10),
            "uscc": world.uscc.take(pa.array(firm)),
            "decided_on": gc.dates(day),
            "authority": authority,
            "category": gc.codes(PENALTY_CATEGORIES, category),
            "amount": gc.money(amount.astype(np.int64)),
        },
        gc.uniform_seconds(rng, day + rng.integers(1, 11, m)),
    )


def abnormal_operations(world: World, cal: gc.Calendar, seed: int) -> pa.Table:
    """Listed when the registry cannot reach a firm or its annual report is missing; most
    healthy firms fix it and are removed, distressed ones rarely."""
    rng = gc.rng_for(seed, "abnormal")
    firm, day, troubled = _events(rng, world, cal, 0.001, 0.04, delay=2)
    m = len(firm)
    removed = rng.random(m) < np.where(troubled, 0.1, 0.8)
    removed_on = day + rng.integers(30, 200, m)
    return gc.versions(
        "abnormal_operations",
        {
            "record_id": gc.numbered("YC", 1_000_000_000 + np.arange(m), 10),
            "uscc": world.uscc.take(pa.array(firm)),
            "listed_on": gc.dates(day),
            "reason": names.pick(rng, ABNORMAL_REASONS, m),
            "removed_on": gc.dates(removed_on),
        },
        gc.uniform_seconds(rng, day + rng.integers(1, 4, m)),
        gc.uniform_seconds(rng, removed_on),
        removed,
        {"removed_on": gc.nulls(m)},
        cal.end_ts,
    )


def dishonest_debtors(
    world: World, cal: gc.Calendar, seed: int, default_day: np.ndarray
) -> pa.Table:
    """Court enforcement cases: most follow a loan default by a few months; a few healthy
    firms have a commercial dispute they settle."""
    rng = gc.rng_for(seed, "dishonest")
    n = world.n
    after_default = np.flatnonzero((default_day >= 0) & (rng.random(n) < 0.45))
    filed_default = default_day[after_default] + rng.integers(30, 150, len(after_default))
    healthy = np.flatnonzero(~world.distressed & (rng.random(n) < 0.0002 * cal.months))
    filed_healthy = cal.first_day + rng.integers(0, cal.end_day - cal.first_day, len(healthy))
    firm = np.concatenate([after_default, healthy])
    filed = np.concatenate([filed_default, filed_healthy])
    keep = filed < cal.end_day - 1
    firm, filed = firm[keep], filed[keep]
    m = len(firm)
    cleared = ~world.distressed[firm]
    cleared_on = filed + rng.integers(20, 120, m)
    year = gc.ints(gc.month_of(filed) // 12)
    abbr = np.array(
        [names.PROVINCE_ABBR.get(f"{r // 10000:02d}", "京") for r in np.unique(world.region)]
    )
    province = pa.array(abbr).take(
        pa.array(np.searchsorted(np.unique(world.region), world.region[firm]))
    )
    case_no = names.join(
        pa.scalar("（"),
        year,
        pa.scalar("）"),
        province,
        gc.ints(world.region[firm] // 100),
        pa.scalar("执"),
        gc.ints(1000 + np.arange(m)),
        pa.scalar("号"),
    )
    court = names.join(world.city.take(pa.array(firm)), pa.scalar("中级人民法院"))
    amount = (
        np.round(world.revenue[firm].max(axis=1) * rng.uniform(0.5, 3, m)).astype(np.int64) * 100
    )
    return gc.versions(
        "dishonest_debtors",
        {
            "case_no": case_no,
            "uscc": world.uscc.take(pa.array(firm)),
            "court": court,
            "filed_on": gc.dates(filed),
            "amount": gc.money(amount),
            "cleared_on": gc.dates(cleared_on),
        },
        gc.uniform_seconds(rng, filed + 1),
        gc.uniform_seconds(rng, cleared_on),
        cleared,
        {"cleared_on": gc.nulls(m)},
        cal.end_ts,
    )
