"""Chinese enterprise, person, court and address names from faker's zh_CN word lists, vectorised.

Names are assembled column-wise from word arrays (take + join), so a million names cost
the same few Arrow calls as ten. Utility holders and invoice buyers use *variants* of an
enterprise name (full-width forms, spaces, a different legal-form suffix), which is what
makes the identity resolution downstream a real problem.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.address import zh_CN as address_zh
from faker.providers.company import zh_CN as company_zh
from faker.providers.person import zh_CN as person_zh

COMPANY_PREFIXES = list(company_zh.Provider.company_prefixes)
PLACE_WORDS = list(address_zh.Provider.districts) + list(address_zh.Provider.cities)
LAST_NAMES = list(person_zh.Provider.last_names)
_LAST_WEIGHTS = np.array(list(person_zh.Provider.last_names.values()), dtype=float)
FIRST_CHARS = sorted(set("".join(person_zh.Provider.first_names)))

# Industry words by GB/T 4754 section: what the trade part of a firm's name says.
INDUSTRY_WORDS = {
    "A": ["农业", "种植", "养殖", "生态农业", "农产品"],
    "B": ["矿业", "石材", "砂石"],
    "C": [
        "机械",
        "电子",
        "精密制造",
        "塑胶制品",
        "五金",
        "纺织",
        "服饰",
        "食品",
        "化工",
        "新材料",
        "汽车配件",
        "家具",
        "印刷包装",
        "医疗器械",
    ],
    "D": ["能源", "电力", "燃气"],
    "E": ["建筑工程", "装饰工程", "市政工程", "建设"],
    "F": ["商贸", "贸易", "电子商务", "百货", "建材", "进出口"],
    "G": ["物流", "运输", "货运代理", "仓储"],
    "H": ["餐饮", "酒店管理", "餐饮管理"],
    "I": ["信息技术", "软件", "网络科技", "数据科技"],
    "J": ["投资管理", "融资租赁"],
    "K": ["房地产开发", "物业管理"],
    "L": ["商务咨询", "人力资源", "广告", "企业管理"],
    "M": ["科技", "检测技术", "工程设计"],
    "N": ["环保科技", "园林绿化"],
    "O": ["家政服务", "汽车维修", "美容美发"],
    "P": ["教育咨询", "培训"],
    "Q": ["健康管理", "诊所"],
    "R": ["文化传媒", "体育发展", "影视"],
}
# Legal-form endings by contract enterprise_type.
TYPE_SUFFIXES = {
    "limited_company": ["有限公司", "有限责任公司", "股份有限公司"],
    "sole_proprietorship": ["厂", "经营部", "商行"],
    "partnership": ["合伙企业（有限合伙）", "合伙企业（普通合伙）"],
    "individual_business": ["店", "经营部", "工作室", "商行"],
}
PARK_KINDS = [
    "工业园区",
    "经济技术开发区",
    "高新技术产业园",
    "科技园",
    "中央商务区",
    "物流园",
    "创业园",
]
ROAD_SUFFIXES = ["路", "大道", "街", "大街"]
# Province abbreviations used in court case numbers, e.g. （2025）粤0305执1234号.
PROVINCE_ABBR = {
    "11": "京",
    "12": "津",
    "13": "冀",
    "14": "晋",
    "15": "内",
    "21": "辽",
    "22": "吉",
    "23": "黑",
    "31": "沪",
    "32": "苏",
    "33": "浙",
    "34": "皖",
    "35": "闽",
    "36": "赣",
    "37": "鲁",
    "41": "豫",
    "42": "鄂",
    "43": "湘",
    "44": "粤",
    "45": "桂",
    "46": "琼",
    "50": "渝",
    "51": "川",
    "52": "贵",
    "53": "云",
    "54": "藏",
    "61": "陕",
    "62": "甘",
    "63": "青",
    "64": "宁",
    "65": "新",
    "71": "台",
    "81": "港",
    "82": "澳",
}


def _words(words) -> pa.Array:
    return pa.array(list(words), pa.string())


def pick(rng: np.random.Generator, words, n: int, p=None) -> pa.Array:
    return _words(words).take(pa.array(rng.choice(len(words), size=n, p=p)))


def join(*parts, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def person_names(rng: np.random.Generator, n: int) -> pa.Array:
    """Surname by real frequency plus one or two given-name characters."""
    last = pick(rng, LAST_NAMES, n, _LAST_WEIGHTS / _LAST_WEIGHTS.sum())
    first = join(pick(rng, FIRST_CHARS, n), pick(rng, FIRST_CHARS, n))
    one_char = rng.random(n) < 0.35
    first = pc.if_else(pa.array(one_char), pc.utf8_slice_codeunits(first, 0, 1), first)
    return join(last, first)


def enterprise_names(
    rng: np.random.Generator,
    city_words: pa.Array,
    sections: np.ndarray,
    type_labels: np.ndarray,
    person: pa.Array,
) -> pa.Array:
    """City + trade name + industry word + legal form; individual businesses often carry
    the owner's name. Duplicates get another trade word until every name is unique."""
    n = len(sections)
    industry = np.empty(n, dtype=object)
    for section, words in INDUSTRY_WORDS.items():
        mask = sections == section
        industry[mask] = np.asarray(words, dtype=object)[rng.integers(0, len(words), mask.sum())]
    industry[industry == None] = "商贸"  # noqa: E711 - sections without a word list
    suffix = np.empty(n, dtype=object)
    for kind, words in TYPE_SUFFIXES.items():
        mask = type_labels == kind
        suffix[mask] = np.asarray(words, dtype=object)[rng.integers(0, len(words), mask.sum())]
    trade = pick(rng, COMPANY_PREFIXES, n)
    owner_named = (type_labels == "individual_business") & (rng.random(n) < 0.5)
    trade = pc.if_else(pa.array(owner_named), person, trade)
    names = join(city_words, trade, pa.array(industry.astype(str)), pa.array(suffix.astype(str)))
    for _ in range(12):  # each round fixes almost all remaining duplicates
        dup = _duplicated(names)
        if not dup.any():
            return names
        extra = pick(rng, PLACE_WORDS + COMPANY_PREFIXES, n)
        longer = join(
            city_words, trade, extra, pa.array(industry.astype(str)), pa.array(suffix.astype(str))
        )
        trade = pc.if_else(pa.array(dup), join(trade, extra), trade)
        names = pc.if_else(pa.array(dup), longer, names)
    raise RuntimeError("could not make enterprise names unique")


def _duplicated(values: pa.Array) -> np.ndarray:
    """True for every occurrence but the first of a repeated value."""
    codes = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    dup = np.ones(len(values), bool)
    dup[first] = False
    return dup


def _by_kind(values: pa.Array, kind: np.ndarray, variants: list) -> pa.Array:
    """Apply variant i (a function of an array) to the rows of kind i only."""
    out = values
    for i, variant in enumerate(variants):
        mask = kind == i
        if mask.any():
            out = pc.replace_with_mask(out, pa.array(mask), variant(values.filter(pa.array(mask))))
    return out


def name_variants(rng: np.random.Generator, names: pa.Array) -> pa.Array:
    """How the same enterprise is typed by a utility clerk or an invoice issuer: legal form
    swapped or dropped, half-width brackets, a stray half- or full-width space."""
    return _by_kind(
        names,
        rng.integers(0, 6, len(names)),
        [
            lambda v: pc.replace_substring(
                pc.replace_substring(v, "有限责任公司", "有限公司"), "股份有限公司", "有限公司"
            ),
            lambda v: pc.replace_substring_regex(v, "有限公司$", "有限责任公司"),
            lambda v: pc.replace_substring_regex(
                v, "(股份)?有限(责任)?公司$|经营部$|商行$|工作室$|（有限合伙）$|（普通合伙）$", ""
            ),
            lambda v: pc.replace_substring(pc.replace_substring(v, "（", "("), "）", ")"),
            lambda v: pc.replace_substring_regex(v, "^(..)(.)", "\\1 \\2"),
            lambda v: pc.replace_substring_regex(
                v, "^(.+?[市县区])", "\\1\u3000"
            ),  # a full-width space after the place
        ],
    )


def address_variants(rng: np.random.Generator, addresses: pa.Array) -> pa.Array:
    """Utility addresses: province dropped, '号' dropped, a leading space, '号楼' for '号'."""
    return _by_kind(
        addresses,
        rng.integers(0, 4, len(addresses)),
        [
            lambda v: pc.replace_substring_regex(v, "^[^省市]*?(省|自治区)", ""),
            lambda v: pc.replace_substring_regex(v, "号$", ""),
            lambda v: pc.utf8_replace_slice(v, 0, 0, " "),
            lambda v: pc.replace_substring_regex(v, "([0-9]+)号", "\\1号楼"),
        ],
    )


def id_numbers(rng: np.random.Generator, regions: np.ndarray, birth_days: np.ndarray) -> pa.Array:
    """18-digit resident identity numbers (GB 11643): region, birth date, sequence, ISO 7064 MOD 11-2."""
    n = len(regions)
    birth = birth_days.astype("datetime64[D]").astype(str)
    digits = np.zeros((n, 17), dtype=np.int64)
    region = np.asarray(regions, dtype=np.int64)
    for i in range(6):
        digits[:, i] = region // 10 ** (5 - i) % 10
    ymd = np.char.replace(birth.astype("U10"), "-", "").astype(np.int64)
    for i in range(8):
        digits[:, 6 + i] = ymd // 10 ** (7 - i) % 10
    seq = rng.integers(0, 1000, n)
    for i in range(3):
        digits[:, 14 + i] = seq // 10 ** (2 - i) % 10
    weights = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
    check = (12 - (digits * weights).sum(axis=1) % 11) % 11
    chars = np.array(list("0123456789X"))[check]
    body = np.zeros((n, 18), dtype="U1")
    body[:, :17] = digits.astype("U1")
    body[:, 17] = chars
    return pa.array(body.view("U18").ravel())


def phones(rng: np.random.Generator, n: int) -> pa.Array:
    second = rng.choice(np.array([3, 5, 7, 8, 9]), n)
    return pa.array(
        np.char.add(
            np.char.add("1", second.astype(str)),
            np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9),
        )
    )
