"""The feed contract (docs/feed-contract.md, a copy of the platforms' ../shared/feed-contract.md) as data.

Every platform, dataset, key, field type, required flag, code list and personal-data flag is
declared once, in contract.toml (or the copy CREDITLAKE_CONTRACT names), and loaded here at
import. The simulator serves it, the connectors pull and type it, the expectations validate
it and the bronze tables are created from it. Section 3's reason codes live here too: each
is implemented by validation code, so a contract copy cannot add one.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

# Field types of contract section 2.
STR, DATE, TS, PERIOD, MONEY, INT, NUM = "str", "date", "ts", "period", "money", "int", "num"


@dataclass(frozen=True)
class Field:
    name: str
    type: str = STR
    required: bool = False
    codes: tuple[str, ...] | None = None  # accepted values of a code field
    pii: bool = False  # personal data: pseudonymised before anything past landing
    identifier: str | None = None  # "uscc", "uscc_or_legacy": validated as such
    references: tuple[str, str] | None = None  # (dataset, field) that must exist
    low: float | None = None  # plausible range (creditlake's choice): out_of_range outside it
    high: float | None = None
    future: bool = False  # a date that may lie after the as-of time (a maturity, a due date)


@dataclass(frozen=True)
class Dataset:
    name: str
    platform: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    cursor: str = "updated_at"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def pii_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.pii]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def is_file_drop(self) -> bool:
        """Arrives in the bank's file drop (section 5), not from an API."""
        return PLATFORMS[self.platform].is_file_drop


@dataclass(frozen=True)
class Platform:
    name: str  # path segment and CLI name, e.g. "social-security"
    prefix: str  # e.g. "/social-security/v1"; "" for the bank's file drop
    datasets: tuple[Dataset, ...] = field(default_factory=tuple)

    @property
    def slug(self) -> str:
        """The name as an identifier (DAG ids, Connection ids, variables): social_security."""
        return self.name.replace("-", "_")

    @property
    def is_file_drop(self) -> bool:
        """The bank's file drop (section 5): no API, no prefix."""
        return not self.prefix

    @property
    def env_prefix(self) -> str:
        """CREDITLAKE_<PLATFORM>_... variable stem, e.g. CREDITLAKE_SOCIAL_SECURITY."""
        return "CREDITLAKE_" + self.slug.upper()


UPDATED_AT = Field("updated_at", TS, required=True)
TYPES = (STR, DATE, TS, PERIOD, MONEY, INT, NUM)
IDENTIFIERS = ("uscc", "uscc_or_legacy", "legacy", "industry", "region")
DEFAULT_PATH = Path(__file__).with_name("contract.toml")


class ContractError(ValueError):
    """The contract file is not a valid contract; the message names the file and the entry."""


def contract_path() -> Path:
    """The contract in force: CREDITLAKE_CONTRACT, or the one this release carries."""
    return Path(os.environ.get("CREDITLAKE_CONTRACT") or DEFAULT_PATH)


def _field(where: str, doc: dict) -> Field:
    unknown = set(doc) - {
        *("name", "type", "required", "codes", "pii", "identifier", "references"),
        *("min", "max", "future"),
    }
    if unknown or "name" not in doc:
        raise ContractError(f"{where}: a field needs a name and knows no {sorted(unknown)}")
    f = Field(
        name=doc["name"],
        type=doc.get("type", STR),
        required=bool(doc.get("required", False)),
        codes=tuple(doc["codes"]) if "codes" in doc else None,
        pii=bool(doc.get("pii", False)),
        identifier=doc.get("identifier"),
        references=tuple(doc["references"].split(".", 1)) if "references" in doc else None,
        low=doc.get("min"),
        high=doc.get("max"),
        future=bool(doc.get("future", False)),
    )
    where = f"{where}.{f.name}"
    if f.type not in TYPES:
        raise ContractError(f"{where}: type {f.type!r} is not one of {', '.join(TYPES)}")
    if f.identifier is not None and f.identifier not in IDENTIFIERS:
        raise ContractError(f"{where}: identifier {f.identifier!r} is not one of {IDENTIFIERS}")
    if f.codes is not None and not f.codes:
        raise ContractError(f"{where}: an empty code list accepts nothing")
    if (f.low is not None or f.high is not None) and f.type not in (MONEY, NUM, INT):
        raise ContractError(f"{where}: min and max apply to money, num and int fields")
    if f.future and f.type not in (DATE, PERIOD, TS):
        raise ContractError(f"{where}: future applies to date, period and ts fields")
    if f.references is not None and len(f.references) != 2:
        raise ContractError(f"{where}: references must read 'dataset.field'")
    return f


def _dataset(platform: dict, doc: dict) -> Dataset:
    where = f"{platform['name']}.{doc.get('name')}"
    fields = tuple(_field(where, f) for f in doc.get("fields", ()))
    api = bool(platform["prefix"])
    if api:  # section 1: every API dataset carries updated_at, its cursor
        if any(f.name == UPDATED_AT.name for f in fields):
            raise ContractError(f"{where}: updated_at is implied for an API dataset")
        fields = (*fields, UPDATED_AT)
    ds = Dataset(
        name=doc["name"],
        platform=platform["name"],
        key=tuple(doc["key"]),
        fields=fields,
        cursor=doc.get("cursor", UPDATED_AT.name),
    )
    names = ds.field_names
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: a field is declared twice")
    missing = [k for k in (*ds.key, ds.cursor) if k not in names]
    if missing:
        raise ContractError(f"{where}: key or cursor {missing} is not a field")
    if api and ds.cursor != UPDATED_AT.name:
        raise ContractError(f"{where}: an API dataset's cursor is updated_at")
    return ds


def load(path: Path) -> dict[str, Platform]:
    """The platforms of the contract file at `path`, checked (ContractError says what is wrong)."""
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ContractError(f"{path}: {exc}") from None
    try:
        platforms = {
            p["name"]: Platform(
                p["name"], p["prefix"], tuple(_dataset(p, d) for d in p.get("datasets", ()))
            )
            for p in doc["platforms"]
        }
    except KeyError as exc:
        raise ContractError(f"{path}: missing {exc}") from None
    datasets = {d.name: d for p in platforms.values() for d in p.datasets}
    if len(datasets) != sum(len(p.datasets) for p in platforms.values()):
        raise ContractError(f"{path}: a dataset name is used twice")
    for d in datasets.values():
        for f in d.fields:
            if f.references and (
                f.references[0] not in datasets
                or f.references[1] not in datasets[f.references[0]].field_names
            ):
                raise ContractError(f"{path}: {d.name}.{f.name} references a field no dataset has")
    return platforms


PLATFORMS: dict[str, Platform] = load(contract_path())
API_PLATFORMS = [p for p in PLATFORMS.values() if p.prefix]
DATASETS: dict[str, Dataset] = {d.name: d for p in PLATFORMS.values() for d in p.datasets}


def _codes(dataset_name: str, field_name: str) -> tuple[str, ...]:
    """A code list the pipeline's own logic names (the simulator, ranges): from the contract."""
    return DATASETS[dataset_name].field(field_name).codes or ()


ENTERPRISE_TYPES = _codes("enterprises", "enterprise_type")
SIZE_CLASSES = _codes("enterprises", "size_class")
ENTERPRISE_STATUSES = _codes("enterprises", "status")
CHANGE_TYPES = _codes("enterprise_changes", "change_type")
PENALTY_CATEGORIES = _codes("penalties", "category")
TAXPAYER_KINDS = _codes("taxpayers", "taxpayer_kind")
TAX_CREDIT_RATINGS = _codes("taxpayers", "credit_rating")
TAX_TYPES = _codes("tax_filings", "tax_type")
UTILITIES = _codes("utility_accounts", "utility")
INVOICE_STATUSES = _codes("invoices", "status")
COLLATERAL_TYPES = _codes("loans", "collateral_type")
LOAN_CLASSIFICATIONS = _codes("loans", "classification")


def platform(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise KeyError(
            f"unknown platform {name!r}; expected one of {', '.join(PLATFORMS)}"
        ) from None


def dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}") from None


# Reason codes for bad records (contract section 3). The simulator's truth lists each
# planted bad record with one of these; validation quarantines with the same codes.
REASONS = {
    "invalid_uscc": "identifier fails GB 32100-2015 (length, alphabet or check digit)",
    "invalid_identifier": "a legacy registration number, industry or region code that is not valid",
    "missing_required": "a required field is null or absent",
    "unknown_code": "a code field holds a value outside its code list",
    "negative_value": "a consumption or money amount below zero",
    "future_date": "a date or period later than the batch's as-of time",
    "malformed_value": "a date, period, number or timestamp that does not parse",
    "conflicting_duplicate": "the same key and updated_at twice in one batch with different content",
    "unresolved_reference": "refers to a record that does not exist (e.g. a reading for an unknown account)",
    "invalid_utf8": "text that is not valid UTF-8",
    "out_of_range": "a value far outside any plausible range",
}

# Observations: checks stricter than the contract. They never quarantine a record (only the
# rules of section 3 do); each is counted per dataset, batch and rule in the ingest log and
# the data-quality marts.
OBSERVATIONS = {
    "legacy_check_digit": "a 15-digit legacy registration number whose last digit fails the GS15 "
    "check (older numbers may lack it, section 2)",
    "region_code_not_in_reference": "a 6-digit region code not in the GB/T 2260 table this release carries "
    "(new or renamed divisions)",
    "money_more_places_than_kept": "money sent with more than its 2 decimal places (rounded half away from zero)",
    "num_more_places_than_kept": "a decimal sent with more than the 4 places bronze keeps (rounded half away "
    "from zero)",
}
