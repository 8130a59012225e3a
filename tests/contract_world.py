"""A small world of records made from the feed contract's text alone (tests/contract_text.py),
with its own truth. Nothing here comes from creditlake or the simulator, so a second
implementation of the contract can catch places where creditlake's own reading of it deviates.

Every served record is a `Row`: the record as it goes on the wire (JSON values; a money
value may be a number or a string; a string may hold '\\udcXX' surrogates that go out as
the raw, invalid UTF-8 byte XX) and whether it is good or carries one planted section 3
defect. The truth follows from the rows: `good_versions`, `bad_records`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from contract_text import (
    BANK_DATASETS,
    SCHEMA,
    USCC_ALPHABET,
    UTC,
    T,
    gs15_check_digit,
    id_no,
    typed,
    uscc_check_char,
)

AS_OF = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # the platforms' "now"
SNAPSHOT_TIMES = (datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC))
PERIODS = tuple(f"2026-{m:02d}" for m in range(3, 11))
BANK_DAYS = (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25))

# -- rows ---------------------------------------------------------------------------------------


@dataclass
class Row:
    dataset: str
    record: dict  # as it goes on the wire
    version: datetime | date  # updated_at instant, or the bank file's day
    bad: str | None = None  # the planted section 3 reason (a creditlake.core.contract.REASONS key)

    @property
    def key(self) -> tuple:
        return tuple(self.record.get(k) for k in SCHEMA[self.dataset][0])

    @property
    def order(self) -> tuple:
        return (self.version, tuple(str(k) for k in self.key))


def ts_text(moment: datetime, style: int) -> str:
    """RFC 3339 UTC in the spellings the standard allows (Z or +00:00, fraction digits or
    none), every spelling the same instant."""
    fraction = f".{moment.microsecond // 1000:03d}" if moment.microsecond or style % 5 == 1 else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + ("+00:00" if style % 5 == 3 else "Z")


def money(rng: random.Random, low: int, high: int, style: int):
    """Money as the contract allows it: a JSON number or a decimal string, 0 to 2 places."""
    cents = rng.randint(low * 100, high * 100)
    value = Decimal(cents) / 100
    if style % 4 == 0:
        return int(value) if value == int(value) else float(value)
    if style % 4 == 1:
        return str(int(value))
    if style % 4 == 2:
        return f"{value.quantize(Decimal('0.1'))}"
    return f"{value:.2f}"


REGIONS = ("440305", "440304", "110108", "310115", "330106", "320505", "510107", "420111")
CITY = {
    "4403": "深圳市",
    "1101": "北京市",
    "3101": "上海市",
    "3301": "杭州市",
    "3205": "苏州市",
    "5101": "成都市",
    "4201": "武汉市",
}
INDUSTRIES = (
    "C3311",
    "C1810",
    "C3969",
    "F5191",
    "F5261",
    "I6510",
    "E4710",
    "G5430",
    "H6210",
    "M7320",
    "A0141",
)
WORDS = (
    "华达",
    "鑫源",
    "恒通",
    "瑞丰",
    "中科",
    "金桥",
    "宏远",
    "星辰",
    "联创",
    "博雅",
    "安泰",
    "永盛",
    "天合",
    "嘉禾",
    "锦程",
    "盛世",
    "同心",
    "远航",
    "汇智",
    "新元",
)
SURNAMES = "王李张刘陈杨黄赵周吴"
# Text that CSV and JSON must carry intact: delimiters, quotes, a line break, a backslash,
# a character outside the Basic Multilingual Plane (U+20BB7, as in real names)
ADDRESSES = (
    "{city}科技园{n}号",
    '{city}高新区"创业"大厦, {n}层',
    "{city}工业区{n}号\r\n东门",
    "{city}𠮷祥路{n}号 C\\D座",
)


@dataclass
class Enterprise:
    uscc: str
    name: str
    region: str
    legacy: str | None
    legacy_fails_gs15: bool
    individual: bool


@dataclass
class World:
    seed: int
    rows: dict[str, list[Row]] = field(default_factory=dict)  # served order, duplicates included
    enterprises: list[Enterprise] = field(default_factory=list)

    # -- the truth --------------------------------------------------------------------------
    def served(self, dataset: str, mode: str = "incremental") -> list[Row]:
        """What a pull in `mode` receives: every row (incremental), the newest snapshot's
        rows (snapshot), or the rows of complete drop files (bank)."""
        if dataset in BANK_DATASETS:
            return [r for r in self.rows[dataset] if r.version not in self.incomplete_days(dataset)]
        if mode == "snapshot":
            return self.snapshot_rows(dataset, SNAPSHOT_TIMES[-1])
        return self.rows[dataset]

    def good_versions(self, dataset: str, mode: str = "incremental") -> dict[tuple, Row]:
        """(key as text, version) -> the good row: what bronze must hold, each once."""
        return {
            (_text_key(r.key), r.version): r for r in self.served(dataset, mode) if r.bad is None
        }

    def bad_records(self, dataset: str, mode: str = "incremental") -> list[tuple[tuple, str]]:
        """(key as text, reason) of each distinct bad record: what quarantine must hold."""
        seen, out = set(), []
        for row in self.served(dataset, mode):
            if row.bad is not None and id(row) not in seen:
                seen.add(id(row))
                out.append((_text_key(row.key), row.bad))
        return out

    def snapshot_rows(self, dataset: str, as_of: datetime) -> list[Row]:
        """A snapshot holds each key's newest version at its time (both rows of a conflicting
        pair: they share that version), once."""
        newest: dict[tuple, datetime] = {}
        for row in self.rows[dataset]:
            if row.version <= as_of:
                newest[row.key] = max(newest.get(row.key, row.version), row.version)
        out, seen = [], set()
        for row in self.rows[dataset]:
            if row.version <= as_of and row.version == newest[row.key] and id(row) not in seen:
                seen.add(id(row))
                out.append(row)
        return out

    def incomplete_days(self, dataset: str) -> set[date]:
        """Drop files written without their .sha256 companion (still 'being written')."""
        return {BANK_DAYS[-1]} if dataset == "repayments" else set()

    def legacy_failing_gs15(self) -> list[Enterprise]:
        return [e for e in self.enterprises if e.legacy_fails_gs15]


def _text_key(key: tuple) -> tuple:
    return tuple(None if k is None else str(k) for k in key)


# -- building the world -----------------------------------------------------------------------


def build_world(seed: int = 20261202, enterprises: int = 60) -> World:
    rng = random.Random(seed)
    world = World(seed)
    world.enterprises = _enterprises(rng, enterprises)
    builder = _Builder(rng, world)
    builder.commerce()
    builder.tax()
    builder.social_security()
    builder.utility()
    builder.supply_chain()
    builder.bank()
    for name, rows in world.rows.items():
        if name not in BANK_DATASETS:
            rows.sort(key=lambda r: r.order)  # section 1.1: ordered by (updated_at, key)
    return world


def _uscc(rng: random.Random, region: str, i: int) -> str:
    # registration authority and category: '9' (market regulation) leads most codes, but
    # 'Y', 'N', '1' and '5' lead real ones too (section 2: the alphabet and check digit only)
    lead = {3: "Y1", 7: "N2", 11: "11", 13: "51"}.get(i % 17, "92" if i % 9 == 4 else "91")
    org = "".join(rng.choice(USCC_ALPHABET if j == 8 else "0123456789ABCDEFGH") for j in range(9))
    body = lead + region + org
    return body + uscc_check_char(body)


def _enterprises(rng: random.Random, n: int) -> list[Enterprise]:
    out = []
    for i in range(n):
        region = REGIONS[i % len(REGIONS)]
        code = _uscc(rng, region, i)
        individual = code[1] == "2"
        city = CITY.get(region[:4], "")
        suffix = "经营部" if individual else ("有限公司" if i % 5 else "（有限合伙）")
        name = f"{city}{WORDS[i % len(WORDS)]}{WORDS[(i * 7 + 3) % len(WORDS)]}{'科技' if i % 2 else '实业'}{suffix}"
        legacy, fails = None, False
        if i % 5 in (1, 3):  # registered before 2015: a legacy number
            body = region + f"{rng.randrange(10**8):08d}"
            right = gs15_check_digit(body)
            fails = i % 10 == 3  # older numbers without their GS15 digit: still valid
            legacy = body + (str((int(right) + 1 + i % 8) % 10) if fails else right)
        out.append(Enterprise(code, name, region, legacy, fails, individual))
    return out


class _Builder:
    def __init__(self, rng: random.Random, world: World):
        self.rng, self.world, self.n = rng, world, 0
        self.start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

    # -- helpers ----------------------------------------------------------------------------
    def moment(
        self, after: datetime | None = None, before: datetime = AS_OF - timedelta(hours=1)
    ) -> datetime:
        after = after or self.start
        span = int((before - after).total_seconds())
        micro = self.rng.choice((0, 0, 0, 250_000, 125_000))
        return after + timedelta(seconds=self.rng.randrange(1, max(span, 2)), microseconds=micro)

    def add(
        self,
        dataset: str,
        record: dict,
        when: datetime,
        bad: str | None = None,
        twice: bool = False,
    ) -> Row:
        self.n += 1
        record = dict(record)
        record["updated_at"] = ts_text(when, self.n)
        row = Row(dataset, record, typed(T, record["updated_at"]), bad)
        rows = self.world.rows.setdefault(dataset, [])
        rows.append(row)
        if twice:  # the same record sent twice (section 1.1)
            rows.append(row)
        return row

    def correct(self, row: Row, changes: dict, after: datetime | None = None) -> Row:
        """A newer version of the same key (section 1.1: a correction)."""
        record = {k: v for k, v in row.record.items() if k != "updated_at"}
        record.update(changes)
        return self.add(
            row.dataset, record, self.moment(after=max(row.version, after or row.version))
        )

    def good_usccs(self) -> list[Enterprise]:
        return self.world.enterprises

    def new_uscc(self, region: str = "440305") -> str:
        return _uscc(self.rng, region, 0)

    # -- commerce -----------------------------------------------------------------------------
    def commerce(self) -> None:
        rng = self.rng
        for i, e in enumerate(self.world.enterprises):
            born = date(1960 + i % 30, 1 + i % 12, 1 + i % 27)
            record = {
                "uscc": e.uscc,
                "name": e.name,
                "legacy_reg_no": e.legacy,
                "enterprise_type": "individual_business"
                if e.individual
                else (
                    "partnership"
                    if i % 5 == 0
                    else ("sole_proprietorship" if i % 11 == 2 else "limited_company")
                ),
                "size_class": ("micro", "small", "medium", "large")[min(i % 7, 3)],
                "industry_code": INDUSTRIES[i % len(INDUSTRIES)],
                "region_code": e.region,
                "registered_capital": money(rng, 10_000, 5_000_000, i),
                "established_on": (
                    date(2003, 1, 1) + timedelta(days=rng.randrange(8000))
                ).isoformat(),
                "status": "active" if i % 13 else "suspended",
                "address": ADDRESSES[i % len(ADDRESSES)].format(
                    city=CITY.get(e.region[:4], ""), n=1 + i
                ),
                "park_id": f"PARK-{e.region[:4]}-{i % 3}" if i % 3 else None,
                "legal_rep_name": SURNAMES[i % 10] + WORDS[i % len(WORDS)][0],
                "legal_rep_id_no": id_no(e.region, born, i),
                "contact_phone": f"13{rng.randrange(10**9):09d}",
            }
            if i % 4 == 2:  # optional fields absent altogether rather than null
                for name in ("address", "park_id", "contact_phone", "legacy_reg_no"):
                    if record.get(name) is None or name != "legacy_reg_no":
                        record.pop(name, None)
            if i % 6 == 1:
                record["registry_source"] = "SAMR-v2"  # a field the contract does not list
            first = self.add(
                "enterprises",
                record,
                self.moment(before=datetime(2026, 6, 1, tzinfo=UTC)),
                twice=i % 15 == 4,
            )
            if i % 6 == 0:  # corrected later: moved, or suspended
                self.correct(
                    first, {"address": f"{CITY.get(e.region[:4], '')}新区{i}栋", "status": "active"}
                )
        region = "440305"

        def bad(changes: dict, reason: str, drop: tuple = ()) -> Row:
            record = {
                "uscc": self.new_uscc(region),
                "name": "深圳市坏数据实业有限公司",
                "enterprise_type": "limited_company",
                "size_class": "micro",
                "industry_code": "C3311",
                "region_code": region,
                "established_on": "2019-05-20",
                "status": "active",
                "legal_rep_name": "赵四",
            }
            record.update(changes)
            for name in drop:
                record.pop(name)
            return self.add("enterprises", record, self.moment(), bad=reason)

        good_code = self.new_uscc(region)
        bad({"uscc": good_code[:17]}, "invalid_uscc")  # length
        wrong = USCC_ALPHABET[(USCC_ALPHABET.index(good_code[17]) + 1) % 31]
        bad({"uscc": good_code[:17] + wrong}, "invalid_uscc")  # check digit
        # its registry record is quarantined, yet the courts list it: an orphan downstream
        self.orphan = bad({}, "missing_required", drop=("name",)).record["uscc"]
        bad({"address": "深圳市南山区\udcff\udcfe路"}, "invalid_utf8")  # bytes that are not UTF-8
        bad({"legacy_reg_no": "44030500000012"}, "invalid_identifier")  # 14 digits, not 15
        bad(
            {"established_on": "0201-05-20"}, "out_of_range"
        )  # a real date, seventeen centuries early

        changes, ents = [], self.world.enterprises
        for i in range(24):
            e = ents[(i * 5) % len(ents)]
            kind = (
                "legal_rep",
                "address",
                "registered_capital",
                "name",
                "shareholder",
                "business_scope",
            )[i % 6]
            record = {
                "change_id": f"CHG-{i:04d}",
                "uscc": e.uscc,
                "change_date": (date(2025, 1, 1) + timedelta(days=rng.randrange(600))).isoformat(),
                "change_type": kind,
                "before": f"旧{kind}{i}",
                "after": f"新{kind}{i}" if i % 4 else None,
            }
            if i % 5 == 2:
                record.pop("before")
            changes.append(self.add("enterprise_changes", record, self.moment(), twice=i == 7))
        self.add(
            "enterprise_changes",
            {
                "change_id": "CHG-BAD-1",
                "uscc": ents[1].uscc,
                "change_date": "2026-04-01",
                "change_type": "merger",
            },
            self.moment(),
            bad="unknown_code",
        )
        self.add(
            "enterprise_changes",
            {
                "change_id": "CHG-BAD-2",
                "uscc": ents[2].uscc,
                "change_date": "2026/04/01",
                "change_type": "address",
            },
            self.moment(),
            bad="malformed_value",
        )

        for i in range(16):
            e = ents[(i * 3 + 1) % len(ents)]
            record = {
                "penalty_id": f"PEN-{i:04d}",
                "uscc": e.uscc,
                "decided_on": (date(2025, 3, 1) + timedelta(days=rng.randrange(500))).isoformat(),
                "authority": f"{CITY.get(e.region[:4], '')}市场监督管理局",
                "category": (
                    "tax",
                    "environment",
                    "product_quality",
                    "labour",
                    "market_order",
                    "other",
                )[i % 6],
                "amount": money(rng, 500, 200_000, i) if i % 5 else None,
            }
            row = self.add("penalties", record, self.moment())
            if i == 3:
                self.correct(row, {"amount": "12000.00"})
        self.add(
            "penalties",
            {
                "penalty_id": "PEN-ORPHAN-1",
                "uscc": self.orphan,
                "decided_on": "2026-03-03",
                "authority": "深圳市市场监督管理局",
                "category": "market_order",
                "amount": 3000,
            },
            self.moment(),
        )
        self.add(
            "penalties",
            {
                "penalty_id": "PEN-BAD-1",
                "uscc": "91440300MA5FIOO0X1",
                "decided_on": "2026-02-02",
                "authority": "深圳市市场监督管理局",
                "category": "tax",
            },
            self.moment(),
            bad="invalid_uscc",
        )
        self.add(
            "penalties",
            {
                "penalty_id": "PEN-BAD-2",
                "uscc": ents[4].uscc,
                "decided_on": "2026-02-03",
                "authority": "深圳市市场监督管理局",
                "category": "labour",
                "amount": "-500.00",
            },
            self.moment(),
            bad="negative_value",
        )

        for i in range(10):
            e = ents[(i * 7 + 2) % len(ents)]
            listed = date(2025, 6, 1) + timedelta(days=rng.randrange(400))
            record = {
                "record_id": f"ABN-{i:04d}",
                "uscc": e.uscc,
                "listed_on": listed.isoformat(),
                "reason": "通过登记的住所或者经营场所无法联系",
                "removed_on": None,
            }
            row = self.add(
                "abnormal_operations", record, self.moment(after=datetime(2026, 3, 1, tzinfo=UTC))
            )
            if i % 3 == 0:  # removed from the list later
                self.correct(row, {"removed_on": (listed + timedelta(days=30)).isoformat()})
        self.add(
            "abnormal_operations",
            {"record_id": "ABN-BAD-1", "uscc": ents[5].uscc, "listed_on": "2026-05-05"},
            self.moment(),
            bad="missing_required",
        )

        for i in range(8):
            e = ents[(i * 11 + 6) % len(ents)]
            record = {
                "case_no": f"(2026)粤0305执{1000 + i}号",
                "uscc": e.uscc,
                "court": "深圳市南山区人民法院",
                "filed_on": (date(2025, 9, 1) + timedelta(days=rng.randrange(300))).isoformat(),
                "amount": money(rng, 10_000, 900_000, i + 1),
                "cleared_on": None,
            }
            if i % 2:
                record.pop("cleared_on")
            self.add("dishonest_debtors", record, self.moment(), twice=i == 5)
        self.add(
            "dishonest_debtors",
            {
                "case_no": "(2027)粤0305执1号",
                "uscc": ents[9].uscc,
                "court": "深圳市南山区人民法院",
                "filed_on": "2027-01-15",
                "amount": 5000,
            },
            self.moment(),
            bad="future_date",
        )

    # -- tax ----------------------------------------------------------------------------------
    def taxpayer_ids(self) -> list[str]:
        """A taxpayer is keyed by its USCC, or by its legacy number when it registered with
        one (every number that fails GS15 among them: they are valid)."""
        return [
            e.legacy if e.legacy and (e.legacy_fails_gs15 or i % 2) else e.uscc
            for i, e in enumerate(self.world.enterprises)
        ]

    def tax(self) -> None:
        rng = self.rng
        ids = self.taxpayer_ids()
        for i, tid in enumerate(ids):
            record = {
                "taxpayer_id": tid,
                "taxpayer_kind": "general" if i % 3 else "small_scale",
                "credit_rating": ("A", "B", "M", "C", "D")[i % 5],
                "rating_year": 2025,
            }
            row = self.add(
                "taxpayers", record, self.moment(before=datetime(2026, 5, 1, tzinfo=UTC))
            )
            if i % 7 == 0:  # re-rated
                self.correct(row, {"credit_rating": "B", "rating_year": 2026})
        conflict = {
            "taxpayer_id": self.new_uscc("110108"),
            "taxpayer_kind": "general",
            "credit_rating": "A",
            "rating_year": 2026,
        }
        when = self.moment()
        self.add("taxpayers", conflict, when, bad="conflicting_duplicate")
        self.add("taxpayers", {**conflict, "credit_rating": "C"}, when, bad="conflicting_duplicate")
        self.add(
            "taxpayers",
            {
                "taxpayer_id": self.new_uscc("110108"),
                "taxpayer_kind": "general",
                "credit_rating": "AA",
                "rating_year": 2026,
            },
            self.moment(),
            bad="unknown_code",
        )

        failing = {e.legacy for e in self.world.enterprises if e.legacy_fails_gs15}
        for i, tid in enumerate(ids):
            if i % 3 == 2 and tid not in failing:  # not every taxpayer has filed yet
                continue
            for j, period in enumerate(PERIODS):
                closes = datetime.fromisoformat(period + "-01").replace(tzinfo=UTC) + timedelta(
                    days=40
                )
                revenue = rng.randint(50_000, 3_000_000)
                record = {
                    "taxpayer_id": tid,
                    "period": period,
                    "tax_type": "vat",
                    "declared_revenue": money(rng, revenue, revenue, i + j),
                    "tax_payable": money(rng, revenue // 20, revenue // 20, i + j + 1),
                    "tax_paid": money(rng, revenue // 25, revenue // 20, i + j + 2),
                    "filed_on": (closes.date() - timedelta(days=20)).isoformat(),
                }
                if (i + j) % 9 == 4:
                    record.pop("filed_on")
                row = self.add(
                    "tax_filings",
                    record,
                    self.moment(after=closes - timedelta(days=19), before=closes),
                    twice=(i, j) == (2, 3),
                )
                if (i + j) % 17 == 0:
                    self.correct(row, {"tax_paid": record["tax_payable"]})
            cit = {
                "taxpayer_id": tid,
                "period": "2026-06",
                "tax_type": "cit",
                "declared_revenue": None,
                "tax_payable": money(rng, 1_000, 90_000, i),
                "tax_paid": money(rng, 1_000, 90_000, i + 1),
                "filed_on": "2026-07-20",
            }
            self.add(
                "tax_filings",
                cit,
                self.moment(
                    after=datetime(2026, 7, 20, tzinfo=UTC), before=datetime(2026, 8, 1, tzinfo=UTC)
                ),
            )
        self.add(
            "tax_filings",
            {
                "taxpayer_id": ids[0],
                "period": "2027-03",
                "tax_type": "vat",
                "declared_revenue": "1000.00",
            },
            self.moment(),
            bad="future_date",
        )
        self.add(
            "tax_filings",
            {
                "taxpayer_id": ids[1],
                "period": "2026-13",
                "tax_type": "vat",
                "declared_revenue": "1000.00",
            },
            self.moment(),
            bad="malformed_value",
        )

        for i in range(10):
            tid = ids[(i * 5 + 3) % len(ids)]
            record = {
                "arrear_id": f"ARR-{i:04d}",
                "taxpayer_id": tid,
                "tax_type": ("vat", "cit")[i % 2],
                "amount": money(rng, 1_000, 80_000, i),
                "since": f"2026-0{1 + i % 8}-15",
                "settled_on": None,
            }
            row = self.add(
                "tax_arrears", record, self.moment(after=datetime(2026, 9, 1, tzinfo=UTC))
            )
            if i % 4 == 1:
                self.correct(row, {"settled_on": "2026-10-30"})
        self.add(
            "tax_arrears",
            {
                "arrear_id": "ARR-BAD-1",
                "taxpayer_id": ids[3],
                "tax_type": "vat",
                "since": "2026-03-01",
            },
            self.moment(),
            bad="missing_required",
        )
        wrong = self.new_uscc()
        wrong = wrong[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(wrong[17]) + 5) % 31]
        self.add(
            "tax_arrears",
            {
                "arrear_id": "ARR-BAD-2",
                "taxpayer_id": wrong,
                "tax_type": "vat",
                "amount": "100.00",
                "since": "2026-03-01",
            },
            self.moment(),
            bad="invalid_uscc",
        )

    # -- social security --------------------------------------------------------------------------
    def social_security(self) -> None:
        rng = self.rng
        for i, e in enumerate(self.world.enterprises[::2]):
            heads = rng.randint(2, 80)
            for j, period in enumerate(PERIODS):
                due = Decimal(heads * 1150)
                paid = due if (i + j) % 6 else due / 2
                closes = datetime.fromisoformat(period + "-01").replace(tzinfo=UTC) + timedelta(
                    days=35
                )
                record = {
                    "uscc": e.uscc,
                    "period": period,
                    "insured_headcount": heads,
                    "contribution_due": float(due) if j % 2 else f"{due:.2f}",
                    "contribution_paid": f"{paid:.1f}" if j % 3 else int(paid),
                    "paid_on": (closes.date() - timedelta(days=10)).isoformat() if paid else None,
                }
                row = self.add(
                    "ss_contributions",
                    record,
                    self.moment(after=closes - timedelta(days=9), before=closes),
                    twice=(i, j) == (4, 4),
                )
                if paid != due and j % 2 == 0:  # paid up later
                    self.correct(row, {"contribution_paid": f"{due:.2f}"})
        ents = self.world.enterprises
        self.add(
            "ss_contributions",
            {
                "uscc": ents[1].uscc,
                "period": "2026-13",
                "insured_headcount": 5,
                "contribution_due": "500.00",
                "contribution_paid": "500.00",
            },
            self.moment(),
            bad="malformed_value",
        )
        self.add(
            "ss_contributions",
            {
                "uscc": ents[3].uscc,
                "period": "2026-10",
                "insured_headcount": 5_000_000,
                "contribution_due": "500.00",
                "contribution_paid": "500.00",
            },
            self.moment(after=datetime(2026, 11, 6, tzinfo=UTC)),
            bad="out_of_range",
        )
        wrong = ents[5].uscc[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(ents[5].uscc[17]) + 3) % 31]
        self.add(
            "ss_contributions",
            {
                "uscc": wrong,
                "period": "2026-10",
                "insured_headcount": 5,
                "contribution_due": "500.00",
                "contribution_paid": "500.00",
            },
            self.moment(),
            bad="invalid_uscc",
        )

    # -- utility ----------------------------------------------------------------------------------
    def utility(self) -> None:
        rng = self.rng
        accounts = []
        for i, e in enumerate(self.world.enterprises):
            for utility in ("electricity", "water")[: 1 + i % 2]:
                no = f"{'E' if utility == 'electricity' else 'W'}{e.region}{i:05d}"
                record = {
                    "account_no": no,
                    "utility": utility,
                    "holder_name": e.name,
                    "uscc": e.uscc if i % 3 else None,  # often missing (section 2)
                    "address": f"{CITY.get(e.region[:4], '')}科技园{1 + i}号",
                    "opened_on": f"20{10 + i % 14:02d}-0{1 + i % 9}-1{i % 10}",
                    "closed_on": None,
                }
                if i % 4 == 1:
                    record.pop("uscc")
                self.add(
                    "utility_accounts", record, self.moment(before=datetime(2026, 3, 1, tzinfo=UTC))
                )
                accounts.append((no, utility))
        self.add(
            "utility_accounts",
            {
                "account_no": "G440305-BAD1",
                "utility": "gas",
                "holder_name": "某某燃气用户",
                "address": "深圳市南山区一路1号",
            },
            self.moment(),
            bad="unknown_code",
        )
        self.add(
            "utility_accounts",
            {
                "account_no": "E440305-BAD2",
                "utility": "electricity",
                "holder_name": "某某用户",
                "address": "深圳市南山区二路2号",
                "opened_on": "2024-02-30",
            },
            self.moment(),
            bad="malformed_value",
        )

        for i, (no, utility) in enumerate(accounts):
            for j, period in enumerate(PERIODS):
                places = Decimal("0.1") if utility == "electricity" else Decimal("0.01")
                use = (Decimal(rng.randint(1_000, 900_000)) * places).quantize(places)
                billed = (use * Decimal("0.85")).quantize(Decimal("0.01"))
                closes = datetime.fromisoformat(period + "-01").replace(tzinfo=UTC) + timedelta(
                    days=33
                )
                record = {
                    "account_no": no,
                    "period": period,
                    "consumption": float(use) if j % 2 else str(use),
                    "amount_billed": float(billed) if (i + j) % 3 == 0 else f"{billed:.2f}",
                    "amount_paid": None,
                    "due_on": (closes.date() + timedelta(days=15)).isoformat(),
                }
                if j % 4 == 3:
                    record.pop("amount_paid")
                row = self.add(
                    "meter_readings",
                    record,
                    self.moment(after=closes - timedelta(days=3), before=closes),
                    twice=(i, j) in ((3, 2), (3, 3)),
                )
                if (i + j) % 3:  # paid: the reading is re-sent with the payment
                    paid_on = closes + timedelta(days=rng.randint(1, 12))
                    if paid_on < AS_OF - timedelta(days=1):
                        self.correct(
                            row,
                            {"amount_paid": f"{billed:.2f}", "paid_on": paid_on.date().isoformat()},
                            after=paid_on,
                        )
        first = accounts[0][0]
        self.add(
            "meter_readings",
            {
                "account_no": first,
                "period": "2026-10",
                "consumption": -12.5,
                "amount_billed": "10.00",
            },
            self.moment(after=datetime(2026, 11, 4, tzinfo=UTC)),
            bad="negative_value",
        )
        self.add(
            "meter_readings",
            {
                "account_no": "E999999-UNKNOWN",
                "period": "2026-09",
                "consumption": "100.5",
                "amount_billed": "85.43",
            },
            self.moment(),
            bad="unresolved_reference",
        )

    # -- supply chain -----------------------------------------------------------------------------
    def supply_chain(self) -> None:
        rng = self.rng
        ents = self.world.enterprises
        cores = ents[:4]
        chains = ("华南电子供应链", "长三角汽配链", "西南食品链", "京津装备链")
        for i, e in enumerate(cores):
            record = {
                "uscc": e.uscc,
                "name": e.name,
                "chain_name": chains[i],
                "confirmed_credit_limit": money(rng, 5_000_000, 90_000_000, i),
            }
            row = self.add(
                "core_enterprises", record, self.moment(before=datetime(2026, 4, 1, tzinfo=UTC))
            )
            if i == 1:
                self.correct(row, {"confirmed_credit_limit": 120000000})
        conflict = {
            "uscc": ents[4].uscc,
            "name": ents[4].name,
            "chain_name": "华中物流链",
            "confirmed_credit_limit": "30000000.00",
        }
        when = self.moment()
        self.add("core_enterprises", conflict, when, bad="conflicting_duplicate")
        self.add(
            "core_enterprises",
            {**conflict, "confirmed_credit_limit": "35000000.00"},
            when,
            bad="conflicting_duplicate",
        )

        invoices = []
        for i in range(160):
            seller = ents[4 + i % (len(ents) - 4)]
            buyer = cores[i % 4] if i % 3 else ents[(i * 7) % len(ents)]
            if buyer is seller:
                buyer = ents[(i * 7 + 1) % len(ents)]
            issued = date(2026, 2, 1) + timedelta(days=rng.randrange(250))
            amount = Decimal(rng.randint(100_000, 50_000_000)) / 100
            record = {
                "invoice_no": f"INV{2026_0000_0000 + i * 37}",
                "seller_uscc": seller.uscc,
                "seller_name": seller.name,
                "buyer_uscc": buyer.uscc if i % 5 else None,
                "buyer_name": buyer.name,
                "issued_on": issued.isoformat(),
                "amount": float(amount) if i % 2 else f"{amount:.2f}",
                "tax_amount": f"{(amount * Decimal('0.13')).quantize(Decimal('0.01'))}",
                "due_on": (issued + timedelta(days=60)).isoformat(),
                "paid_on": None,
                "status": "issued",
            }
            if i % 5 == 3:
                record.pop("buyer_uscc")
            if i % 8 == 5:
                record["invoice_kind"] = "全电发票"  # not in the contract
            when = self.moment(
                after=datetime.combine(issued, datetime.min.time(), UTC) + timedelta(hours=1)
            )
            row = self.add("invoices", record, when, twice=i in (10, 11))
            paid = issued + timedelta(days=rng.randint(20, 90))
            if i % 3 and paid < (AS_OF - timedelta(days=2)).date():
                row = self.correct(
                    row,
                    {"status": "paid", "paid_on": paid.isoformat()},
                    after=datetime.combine(paid, datetime.min.time(), UTC),
                )
            invoices.append((row, buyer, seller, issued, amount))
        seller = ents[10]
        base = {
            "seller_uscc": seller.uscc,
            "seller_name": seller.name,
            "buyer_name": cores[0].name,
            "issued_on": "2026-08-01",
            "status": "issued",
            "amount": "1000.00",
        }
        self.add(
            "invoices",
            {**base, "invoice_no": "INV-BAD-1", "amount": 9_800_000_000_000},
            self.moment(after=datetime(2026, 8, 2, tzinfo=UTC)),
            bad="out_of_range",
        )
        self.add(
            "invoices",
            {**base, "invoice_no": "INV-BAD-4", "due_on": "9999-12-31"},  # a "no date" sentinel
            self.moment(after=datetime(2026, 8, 2, tzinfo=UTC)),
            bad="out_of_range",
        )
        self.add(
            "invoices",
            {**base, "invoice_no": "INV-BAD-2", "status": "void"},
            self.moment(after=datetime(2026, 8, 2, tzinfo=UTC)),
            bad="unknown_code",
        )
        self.add(
            "invoices",
            {**{k: v for k, v in base.items() if k != "buyer_name"}, "invoice_no": "INV-BAD-3"},
            self.moment(after=datetime(2026, 8, 2, tzinfo=UTC)),
            bad="missing_required",
        )

        n = 0
        for row, buyer, seller, issued, amount in invoices:
            if buyer not in cores or n >= 40:
                continue
            n += 1
            confirmed = issued + timedelta(days=5)
            record = {
                "confirmation_id": f"RC-{n:05d}",
                "core_uscc": buyer.uscc,
                "supplier_uscc": seller.uscc,
                "invoice_no": row.record["invoice_no"],
                "confirmed_amount": f"{amount:.2f}" if n % 2 else float(amount),
                "confirmed_on": confirmed.isoformat(),
                "matures_on": (issued + timedelta(days=180)).isoformat(),
            }
            self.add(
                "receivable_confirmations",
                record,
                self.moment(
                    after=datetime.combine(confirmed, datetime.min.time(), UTC) + timedelta(hours=1)
                ),
            )
        base = {
            "core_uscc": cores[0].uscc,
            "supplier_uscc": ents[10].uscc,
            "confirmed_amount": "500.00",
            "confirmed_on": "2026-08-05",
            "matures_on": "2027-02-01",
        }
        self.add(
            "receivable_confirmations",
            {**base, "confirmation_id": "RC-BAD-1", "invoice_no": "INV-NEVER-SENT"},
            self.moment(after=datetime(2026, 8, 6, tzinfo=UTC)),
            bad="unresolved_reference",
        )
        self.add(
            "receivable_confirmations",
            {
                **base,
                "confirmation_id": "RC-BAD-2",
                "invoice_no": invoices[0][0].record["invoice_no"],
                "confirmed_on": "05/08/2026",
            },
            self.moment(after=datetime(2026, 8, 6, tzinfo=UTC)),
            bad="malformed_value",
        )

    # -- the bank's file drop (section 5) ------------------------------------------------------
    def bank(self) -> None:
        rng = self.rng
        # (product, collateral, min amount, max amount, term days, rate low, rate high): the
        # bank's own catalogue of loan products (revolving lines, short-term, guaranteed, ...)
        products = (
            ("P01", "none", 10_000, 500_000, 365, 0.0345, 0.0785),
            ("P02", "none", 50_000, 3_000_000, 180, 0.0365, 0.0650),
            ("P04", "guarantee", 100_000, 5_000_000, 730, 0.0375, 0.0600),
            ("P05", "receivable", 50_000, 10_000_000, 120, 0.0330, 0.0550),
            ("P07", "property", 300_000, 10_000_000, 1095, 0.0310, 0.0520),
        )
        loans = []
        for i, e in enumerate(self.world.enterprises[:30]):
            product, collateral, low, high, term, r_low, r_high = products[i % len(products)]
            start = date(2026, 1, 10) + timedelta(days=rng.randrange(200))
            limit = Decimal(rng.randint(low // 100, high // 100)) * 100
            loans.append(
                {
                    "loan_id": f"L{2026000 + i}",
                    "uscc": e.uscc,
                    "product_id": product,
                    "branch_id": f"BR{e.region[:4]}",
                    "contract_date": start.isoformat(),
                    "maturity_date": (start + timedelta(days=term)).isoformat(),
                    "credit_limit": limit,
                    "rate": f"{rng.uniform(r_low, r_high):.4f}",
                    "collateral_type": collateral,
                    "guarantor": "深圳市中小企业融资担保有限公司"
                    if collateral == "guarantee"
                    else None,
                    "late": 45 if i % 10 == 7 else 0,
                    "start": start,
                }
            )
        for day in BANK_DAYS:
            for loan in loans:
                late = loan["late"] + (day - BANK_DAYS[0]).days if loan["late"] else 0
                outstanding = (loan["credit_limit"] * Decimal("0.8")).quantize(Decimal("0.01"))
                record = {
                    "loan_id": loan["loan_id"],
                    "uscc": loan["uscc"],
                    "product_id": loan["product_id"],
                    "branch_id": loan["branch_id"],
                    "contract_date": loan["contract_date"],
                    "maturity_date": loan["maturity_date"],
                    "credit_limit": f"{loan['credit_limit']:.2f}",
                    "outstanding_principal": f"{outstanding:.2f}",
                    "annual_rate": loan["rate"],
                    "collateral_type": loan["collateral_type"],
                    "guarantor": loan["guarantor"],
                    "classification": "special_mention" if late else "normal",
                    "days_past_due": str(late),
                    "as_of_date": day.isoformat(),
                }
                self.world.rows.setdefault("loans", []).append(Row("loans", record, day))
        first = loans[0]
        bad_loan = {
            "loan_id": "L-BAD-1",
            "uscc": first["uscc"][:16] + "IO",
            "product_id": "P01",
            "branch_id": "BR4403",
            "contract_date": "2026-03-01",
            "maturity_date": "2027-03-01",
            "credit_limit": "100000.00",
            "outstanding_principal": "50000.00",
            "annual_rate": "0.0400",
            "collateral_type": "none",
            "guarantor": None,
            "classification": "normal",
            "days_past_due": "0",
            "as_of_date": BANK_DAYS[0].isoformat(),
        }
        self.world.rows["loans"].append(Row("loans", bad_loan, BANK_DAYS[0], "invalid_uscc"))
        self.world.rows["loans"].append(
            Row(
                "loans",
                {
                    **bad_loan,
                    "loan_id": "L-BAD-2",
                    "uscc": first["uscc"],
                    "annual_rate": "4.35",
                    "as_of_date": BANK_DAYS[1].isoformat(),
                },
                BANK_DAYS[1],
                "out_of_range",
            )
        )
        self.world.rows["loans"].append(
            Row(
                "loans",
                {
                    **bad_loan,
                    "loan_id": "L-BAD-3",
                    "uscc": first["uscc"],
                    "guarantor": "担保\udcc3(公司",
                    "as_of_date": BANK_DAYS[2].isoformat(),
                },
                BANK_DAYS[2],
                "invalid_utf8",
            )
        )

        for loan in loans:
            due = loan["start"] + timedelta(days=30)
            n = 0
            principal = (loan["credit_limit"] / 10).quantize(Decimal("0.01"))
            while due <= BANK_DAYS[-1] + timedelta(days=40):
                n += 1
                interest = (loan["credit_limit"] * Decimal(loan["rate"]) / 12).quantize(
                    Decimal("0.01")
                )
                record = {
                    "repayment_id": f"{loan['loan_id']}-{n:02d}",
                    "loan_id": loan["loan_id"],
                    "due_on": due.isoformat(),
                    "paid_on": None,
                    "principal_due": f"{principal:.2f}",
                    "principal_paid": "0.00",
                    "interest_due": f"{interest:.2f}",
                    "interest_paid": "0",
                }
                # a file carries the instalments booked that day: the schedule on day one, then
                # each payment again (a new version) on the day it is paid
                self.world.rows.setdefault("repayments", []).append(
                    Row("repayments", dict(record), BANK_DAYS[0])
                )
                if due <= BANK_DAYS[-1] and not loan["late"]:
                    pay_day = max(due, BANK_DAYS[0])
                    if pay_day in BANK_DAYS and pay_day != BANK_DAYS[0]:
                        paid = {
                            **record,
                            "paid_on": pay_day.isoformat(),
                            "principal_paid": f"{principal:.2f}",
                            "interest_paid": f"{interest:.2f}",
                        }
                        self.world.rows["repayments"].append(Row("repayments", paid, pay_day))
                    elif due < BANK_DAYS[0]:
                        self.world.rows["repayments"][-1] = Row(
                            "repayments",
                            {
                                **record,
                                "paid_on": due.isoformat(),
                                "principal_paid": f"{principal:.2f}",
                                "interest_paid": f"{interest:.2f}",
                            },
                            BANK_DAYS[0],
                        )
                due += timedelta(days=30)
        for row in [r for r in self.world.rows["repayments"] if r.record["paid_on"] is None][:3]:
            early = {
                **row.record,
                "paid_on": BANK_DAYS[1].isoformat(),
                "principal_paid": row.record["principal_due"],
                "interest_paid": row.record["interest_due"],
            }  # paid ahead of its due date
            self.world.rows["repayments"].append(Row("repayments", early, BANK_DAYS[1]))
        bad = {
            "due_on": "2026-11-01",
            "paid_on": "2026-11-01",
            "principal_due": "100.00",
            "principal_paid": "100.00",
            "interest_due": "1.00",
            "interest_paid": "1.00",
        }
        self.world.rows["repayments"].append(
            Row(
                "repayments",
                {**bad, "repayment_id": "R-BAD-1", "loan_id": "L-NEVER"},
                BANK_DAYS[0],
                "unresolved_reference",
            )
        )
        self.world.rows["repayments"].append(
            Row(
                "repayments",
                {
                    **bad,
                    "repayment_id": "R-BAD-2",
                    "loan_id": loans[1]["loan_id"],
                    "principal_paid": "-100.00",
                },
                BANK_DAYS[1],
                "negative_value",
            )
        )
        # the last day's repayments file is still being written: no companion yet
        self.world.rows["repayments"].append(
            Row(
                "repayments",
                {**bad, "repayment_id": "R-LATE-1", "loan_id": loans[2]["loan_id"]},
                BANK_DAYS[2],
            )
        )
