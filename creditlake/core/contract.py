"""The feed contract (docs/feed-contract.md, a copy of the platforms' ../shared/feed-contract.md) as data.

Every platform, dataset, key, field type, required flag, code list and personal-data
flag lives here once. The simulator serves it, the connectors pull and type it, the
expectations validate it and the bronze tables are created from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    def env_prefix(self) -> str:
        """CREDITLAKE_<PLATFORM>_... variable stem, e.g. CREDITLAKE_SOCIAL_SECURITY."""
        return "CREDITLAKE_" + self.slug.upper()


UPDATED_AT = Field("updated_at", TS, required=True)
USCC = dict(identifier="uscc")

ENTERPRISE_TYPES = ("limited_company", "sole_proprietorship", "partnership", "individual_business")
SIZE_CLASSES = ("micro", "small", "medium", "large")
ENTERPRISE_STATUSES = ("active", "suspended", "revoked", "cancelled")
CHANGE_TYPES = (
    "legal_rep",
    "address",
    "registered_capital",
    "name",
    "shareholder",
    "business_scope",
)
PENALTY_CATEGORIES = ("tax", "environment", "product_quality", "labour", "market_order", "other")
TAXPAYER_KINDS = ("general", "small_scale")
TAX_CREDIT_RATINGS = ("A", "B", "M", "C", "D")
TAX_TYPES = ("vat", "cit")
UTILITIES = ("electricity", "water")
INVOICE_STATUSES = ("issued", "paid", "cancelled", "reversed")
COLLATERAL_TYPES = ("none", "property", "equipment", "receivable", "guarantee")
LOAN_CLASSIFICATIONS = ("normal", "special_mention", "substandard", "doubtful", "loss")


def _ds(platform: str, name: str, key: tuple[str, ...], *fields: Field) -> Dataset:
    return Dataset(name=name, platform=platform, key=key, fields=(*fields, UPDATED_AT))


COMMERCE = Platform(
    "commerce",
    "/commerce/v1",
    (
        _ds(
            "commerce",
            "enterprises",
            ("uscc",),
            Field("uscc", required=True, **USCC),
            Field("name", required=True),
            Field("legacy_reg_no", identifier="legacy"),
            Field("enterprise_type", required=True, codes=ENTERPRISE_TYPES),
            Field("size_class", required=True, codes=SIZE_CLASSES),
            Field("industry_code", required=True, identifier="industry"),
            Field("region_code", required=True, identifier="region"),
            Field("registered_capital", MONEY),
            Field("established_on", DATE, required=True),
            Field("status", required=True, codes=ENTERPRISE_STATUSES),
            Field("address"),
            Field("park_id"),
            Field("legal_rep_name", required=True, pii=True),
            Field("legal_rep_id_no", pii=True),
            Field("contact_phone", pii=True),
        ),
        _ds(
            "commerce",
            "enterprise_changes",
            ("change_id",),
            Field("change_id", required=True),
            Field("uscc", required=True, **USCC),
            Field("change_date", DATE, required=True),
            Field("change_type", required=True, codes=CHANGE_TYPES),
            Field("before"),
            Field("after"),
        ),
        _ds(
            "commerce",
            "penalties",
            ("penalty_id",),
            Field("penalty_id", required=True),
            Field("uscc", required=True, **USCC),
            Field("decided_on", DATE, required=True),
            Field("authority", required=True),
            Field("category", required=True, codes=PENALTY_CATEGORIES),
            Field("amount", MONEY),
        ),
        _ds(
            "commerce",
            "abnormal_operations",
            ("record_id",),
            Field("record_id", required=True),
            Field("uscc", required=True, **USCC),
            Field("listed_on", DATE, required=True),
            Field("reason", required=True),
            Field("removed_on", DATE),
        ),
        _ds(
            "commerce",
            "dishonest_debtors",
            ("case_no",),
            Field("case_no", required=True),
            Field("uscc", required=True, **USCC),
            Field("court", required=True),
            Field("filed_on", DATE, required=True),
            Field("amount", MONEY),
            Field("cleared_on", DATE),
        ),
    ),
)

TAX = Platform(
    "tax",
    "/tax/v1",
    (
        _ds(
            "tax",
            "taxpayers",
            ("taxpayer_id",),
            Field("taxpayer_id", required=True, identifier="uscc_or_legacy"),
            Field("taxpayer_kind", required=True, codes=TAXPAYER_KINDS),
            Field("credit_rating", required=True, codes=TAX_CREDIT_RATINGS),
            Field("rating_year", INT, required=True),
        ),
        _ds(
            "tax",
            "tax_filings",
            ("taxpayer_id", "period", "tax_type"),
            Field("taxpayer_id", required=True, identifier="uscc_or_legacy"),
            Field("period", PERIOD, required=True),
            Field("tax_type", required=True, codes=TAX_TYPES),
            Field("declared_revenue", MONEY),
            Field("tax_payable", MONEY),
            Field("tax_paid", MONEY),
            Field("filed_on", DATE),
        ),
        _ds(
            "tax",
            "tax_arrears",
            ("arrear_id",),
            Field("arrear_id", required=True),
            Field("taxpayer_id", required=True, identifier="uscc_or_legacy"),
            Field("tax_type", required=True, codes=TAX_TYPES),
            Field("amount", MONEY, required=True),
            Field("since", DATE, required=True),
            Field("settled_on", DATE),
        ),
    ),
)

SOCIAL_SECURITY = Platform(
    "social-security",
    "/social-security/v1",
    (
        _ds(
            "social-security",
            "ss_contributions",
            ("uscc", "period"),
            Field("uscc", required=True, **USCC),
            Field("period", PERIOD, required=True),
            Field("insured_headcount", INT, required=True),
            Field("contribution_due", MONEY, required=True),
            Field("contribution_paid", MONEY, required=True),
            Field("paid_on", DATE),
        ),
    ),
)

UTILITY = Platform(
    "utility",
    "/utility/v1",
    (
        _ds(
            "utility",
            "utility_accounts",
            ("account_no",),
            Field("account_no", required=True),
            Field("utility", required=True, codes=UTILITIES),
            Field("holder_name", required=True),
            Field("uscc", **USCC),
            Field("address", required=True),
            Field("opened_on", DATE),
            Field("closed_on", DATE),
        ),
        _ds(
            "utility",
            "meter_readings",
            ("account_no", "period"),
            Field("account_no", required=True, references=("utility_accounts", "account_no")),
            Field("period", PERIOD, required=True),
            Field("consumption", NUM, required=True),
            Field("amount_billed", MONEY, required=True),
            Field("amount_paid", MONEY),
            Field("due_on", DATE),
            Field("paid_on", DATE),
        ),
    ),
)

SUPPLY_CHAIN = Platform(
    "supply-chain",
    "/supply-chain/v1",
    (
        _ds(
            "supply-chain",
            "core_enterprises",
            ("uscc",),
            Field("uscc", required=True, **USCC),
            Field("name", required=True),
            Field("chain_name", required=True),
            Field("confirmed_credit_limit", MONEY),
        ),
        _ds(
            "supply-chain",
            "invoices",
            ("invoice_no",),
            Field("invoice_no", required=True),
            Field("seller_uscc", required=True, **USCC),
            Field("seller_name", required=True),
            Field("buyer_uscc", **USCC),
            Field("buyer_name", required=True),
            Field("issued_on", DATE, required=True),
            Field("amount", MONEY, required=True),
            Field("tax_amount", MONEY),
            Field("due_on", DATE),
            Field("paid_on", DATE),
            Field("status", required=True, codes=INVOICE_STATUSES),
        ),
        _ds(
            "supply-chain",
            "receivable_confirmations",
            ("confirmation_id",),
            Field("confirmation_id", required=True),
            Field("core_uscc", required=True, **USCC),
            Field("supplier_uscc", required=True, **USCC),
            Field("invoice_no", required=True, references=("invoices", "invoice_no")),
            Field("confirmed_amount", MONEY, required=True),
            Field("confirmed_on", DATE, required=True),
            Field("matures_on", DATE, required=True),
        ),
    ),
)

# The bank's loan book arrives as files (contract section 5); it has no updated_at,
# the file's business day (as_of_date, or the file date for repayments) orders versions.
BANK = Platform(
    "bank",
    "",
    (
        Dataset(
            "loans",
            "bank",
            ("loan_id", "as_of_date"),
            (
                Field("loan_id", required=True),
                Field("uscc", required=True, **USCC),
                Field("product_id", required=True),
                Field("branch_id", required=True),
                Field("contract_date", DATE, required=True),
                Field("maturity_date", DATE, required=True),
                Field("credit_limit", MONEY, required=True),
                Field("outstanding_principal", MONEY, required=True),
                Field("annual_rate", NUM, required=True),
                Field("collateral_type", required=True, codes=COLLATERAL_TYPES),
                Field("guarantor"),
                Field("classification", required=True, codes=LOAN_CLASSIFICATIONS),
                Field("days_past_due", INT, required=True),
                Field("as_of_date", DATE, required=True),
            ),
            cursor="as_of_date",
        ),
        Dataset(
            "repayments",
            "bank",
            ("repayment_id",),
            (
                Field("repayment_id", required=True),
                Field("loan_id", required=True, references=("loans", "loan_id")),
                Field("due_on", DATE, required=True),
                Field("paid_on", DATE),
                Field("principal_due", MONEY, required=True),
                Field("principal_paid", MONEY, required=True),
                Field("interest_due", MONEY, required=True),
                Field("interest_paid", MONEY, required=True),
            ),
            cursor="due_on",
        ),
    ),
)

PLATFORMS: dict[str, Platform] = {
    p.name: p for p in (COMMERCE, TAX, SOCIAL_SECURITY, UTILITY, SUPPLY_CHAIN, BANK)
}
API_PLATFORMS = [p for p in PLATFORMS.values() if p.prefix]
DATASETS: dict[str, Dataset] = {d.name: d for p in PLATFORMS.values() for d in p.datasets}


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
