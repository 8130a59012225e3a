"""Section 2 of the feed contract, record by record: what `creditlake conformance` checks in
the records it samples (pages and snapshot files).

A record breaks section 2 when a required field is absent or null, a value is not of its
field's type (ts RFC 3339, date, period, money with at most 2 places, int, num), a code is
outside its list, or an identifier is not shaped as section 2 says: a USCC by its alphabet
and check digit, a legacy registration number by its 15 digits only (older ones lack a valid
GS15 check digit and are still valid), an industry code by its section and division, a
region code by its 6 digits. Section 3 defects that are not about shape (a negative amount,
a future date) are the lakehouse's business, not a platform's conformance.

Values come as parsed JSON (`json.loads(..., parse_float=Decimal)`: a number keeps its
digits) or as CSV text; both are judged by the same rules. Personal data is never quoted.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from creditlake.core import uscc
from creditlake.core.contract import DATE, INT, MONEY, NUM, PERIOD, STR, TS, Dataset, Field
from creditlake.core.reference import INDUSTRY_DIVISIONS_CSV
from creditlake.core.values import DATE_PATTERN, PERIOD_PATTERN

TS_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
DATE_RE = re.compile(DATE_PATTERN)  # the same shapes bronze parses
PERIOD_RE = re.compile(PERIOD_PATTERN)
DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")
MONEY_RE = re.compile(r"^-?\d+(\.\d{1,2})?$")
INT_RE = re.compile(r"^-?\d+$")
LEGACY_RE = re.compile(r"^\d{15}$")
INDUSTRY_RE = re.compile(r"^([A-T])(\d{2})\d{2}$")
REGION_RE = re.compile(r"^\d{6}$")
ID_NO_RE = re.compile(r"^\d{17}[\dX]$")
FREE_TEXT = {
    "before",
    "after",
}  # a change record's old and new value: a legal representative's name, say
SURROGATE = re.compile(
    "[\ud800-\udfff]"
)  # bytes that were not UTF-8, as decoded with surrogateescape


def parse_ts(value) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime; None if it is not one."""
    if not isinstance(value, str) or not TS_RE.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


@lru_cache(maxsize=1)
def _divisions() -> frozenset[str]:
    with open(INDUSTRY_DIVISIONS_CSV, encoding="utf-8") as f:
        return frozenset(row["section"] + row["division"] for row in csv.DictReader(f))


def _number_text(value) -> str | None:
    """The digits of a JSON number (int or Decimal) or of a decimal string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        text = str(value) if isinstance(value, int) else format(value, "f")
        return text if DECIMAL_RE.match(text) else None
    if isinstance(value, str) and DECIMAL_RE.match(value.strip()):
        return value.strip()
    return None


def type_problem(ftype: str, value) -> str | None:
    """Why `value` is not of contract type `ftype` (None: it is)."""
    if ftype == STR:
        return None if isinstance(value, str) else f"{type(value).__name__}, not a string"
    if ftype == TS:
        return None if parse_ts(value) else "not an RFC 3339 timestamp"
    if ftype in (DATE, PERIOD):
        pattern = DATE_RE if ftype == DATE else PERIOD_RE
        if not isinstance(value, str) or not pattern.match(value):
            return f"not a {ftype}"
        try:
            date.fromisoformat(value if ftype == DATE else value + "-01")
        except ValueError:
            return f"not a real {ftype}"
        return None
    text = _number_text(value)
    if ftype == MONEY:
        if text is None:
            return "not a decimal number or string"
        if not MONEY_RE.match(text):
            # a JSON number may carry trailing zeros (12.500): only real places count
            try:
                if Decimal(text) != Decimal(text).quantize(Decimal("0.01")):
                    return "more than 2 decimal places"
            except InvalidOperation:
                return "not a decimal number or string"
        return None
    if ftype == INT:
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return None  # 12.0 is twelve
        return None if text is not None and INT_RE.match(text) else "not an integer"
    if ftype == NUM:
        return None if text is not None else "not a decimal number or string"
    return None


def identifier_problem(f: Field, value: str) -> str | None:
    kind = f.identifier
    if kind in ("uscc", "uscc_or_legacy") and value != uscc.normalise(value):
        return "spaces, hyphens or lower case in an identifier"
    if kind == "uscc":
        return uscc.check(value) and f"USCC: {uscc.check(value)}"
    if kind == "uscc_or_legacy":
        if LEGACY_RE.match(value):
            return None  # a legacy number: its check digit is not required (section 2)
        reason = uscc.check(value)
        return reason and f"neither a USCC ({reason}) nor a 15-digit legacy number"
    if kind == "legacy":
        return None if LEGACY_RE.match(value) else "not a 15-digit legacy registration number"
    if kind == "industry":
        match = INDUSTRY_RE.match(value)
        if not match:
            return "not a section letter and 4 digits"
        return (
            None
            if match.group(1) + match.group(2) in _divisions()
            else f"division {match.group(2)} is not in section {match.group(1)}"
        )
    if kind == "region":
        return None if REGION_RE.match(value) else "not a 6-digit region code"
    return None


def record_problems(ds: Dataset, record: dict) -> list[tuple[str, str, object]]:
    """(field, problem, value) for each way `record` breaks section 2."""
    out = []
    for f in ds.fields:
        value = record.get(f.name)
        if isinstance(value, str) and value == "" and f.type != STR:
            value = None  # an empty CSV cell is an absent value
        if value is None:
            if f.required:
                out.append((f.name, "required but absent", None))
            continue
        if isinstance(value, str) and SURROGATE.search(value):
            out.append((f.name, "not valid UTF-8", value))
            continue
        problem = type_problem(f.type, value)
        if problem is None and f.codes and value not in f.codes:
            problem = f"not one of {', '.join(f.codes)}"
        if problem is None and f.identifier and isinstance(value, str):
            problem = identifier_problem(f, value)
        if (
            problem is None
            and "id_no" in f.name
            and isinstance(value, str)
            and not ID_NO_RE.match(value)
        ):
            problem = "not an 18-character resident identity number"
        if problem:
            out.append((f.name, problem, value))
    return out


@dataclass
class RecordTally:
    """Records sampled from one dataset and how many break section 2, by rule."""

    dataset: Dataset
    records: int = 0
    bad: int = 0
    rules: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)  # rule -> a shown (masked) value
    unknown_fields: set = field(default_factory=set)
    not_objects: int = 0
    seen: set = field(default_factory=set)

    def add(self, record, source: str = "page") -> None:
        """Count a record once per kind of source (pages, csv.gz, jsonl.gz), however often
        the checks pulled it."""
        ident = (source, json.dumps(record, sort_keys=True, default=str))
        if ident in self.seen:
            return
        self.seen.add(ident)
        self.records += 1
        if not isinstance(record, dict):
            self.not_objects += 1
            self.bad += 1
            return
        self.unknown_fields.update(set(record) - set(self.dataset.field_names))
        problems = record_problems(self.dataset, record)
        if problems:
            self.bad += 1
        for name, problem, value in problems:
            rule = f"{name}: {problem}"
            self.rules[rule] += 1
            self.examples.setdefault(rule, self._shown(name, value))

    def _shown(self, name: str, value) -> str:
        if value is None:
            return ""
        if name in FREE_TEXT or any(f.name == name and f.pii for f in self.dataset.fields):
            return "(personal data or free text, not shown)"
        text = str(value).encode("utf-8", "backslashreplace").decode()
        return repr(text[:40])

    @property
    def share(self) -> float:
        return self.bad / self.records if self.records else 0.0

    def summary(self, limit: int = 3) -> str:
        parts = [f"{self.bad} of {self.records} sampled records ({self.share:.1%}) break section 2"]
        if self.not_objects:
            parts.append(f"{self.not_objects} not JSON objects")
        for rule, count in self.rules.most_common(limit):
            example = self.examples.get(rule)
            parts.append(f"{rule} x{count}" + (f" (e.g. {example})" if example else ""))
        if self.unknown_fields:
            parts.append(
                "fields the contract does not list (schema drift, allowed): "
                + ", ".join(sorted(self.unknown_fields)[:5])
            )
        return "; ".join(parts)
