"""The feed contract's sections 1, 2 and 5 as data, transcribed from docs/feed-contract.md alone.

Nothing here comes from creditlake or the simulator: the platforms, datasets, keys, fields,
types, required flags, code lists and personal fields are copied from the contract's text, and
the identifiers (USCC, GS15 legacy numbers, resident id numbers) are computed by this module's
own functions. `typed` says what a wire value means (what a lakehouse must hold for it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

UTC = UTC

# -- section 1 and 2, as data ----------------------------------------------------------------

S, D, T, P, M, I, N = "str", "date", "ts", "period", "money", "int", "num"  # noqa: E741  (the contract's type letters)
PLATFORMS = {
    "commerce": (
        "/commerce/v1",
        (
            "enterprises",
            "enterprise_changes",
            "penalties",
            "abnormal_operations",
            "dishonest_debtors",
        ),
    ),
    "tax": ("/tax/v1", ("taxpayers", "tax_filings", "tax_arrears")),
    "social-security": ("/social-security/v1", ("ss_contributions",)),
    "utility": ("/utility/v1", ("utility_accounts", "meter_readings")),
    "supply-chain": (
        "/supply-chain/v1",
        ("core_enterprises", "invoices", "receivable_confirmations"),
    ),
}
# dataset -> (key, [(field, type, required)]); every API dataset also has updated_at* (ts)
SCHEMA: dict[str, tuple[tuple[str, ...], list[tuple[str, str, bool]]]] = {
    "enterprises": (
        ("uscc",),
        [
            ("uscc", S, True),
            ("name", S, True),
            ("legacy_reg_no", S, False),
            ("enterprise_type", S, True),
            ("size_class", S, True),
            ("industry_code", S, True),
            ("region_code", S, True),
            ("registered_capital", M, False),
            ("established_on", D, True),
            ("status", S, True),
            ("address", S, False),
            ("park_id", S, False),
            ("legal_rep_name", S, True),
            ("legal_rep_id_no", S, False),
            ("contact_phone", S, False),
        ],
    ),
    "enterprise_changes": (
        ("change_id",),
        [
            ("change_id", S, True),
            ("uscc", S, True),
            ("change_date", D, True),
            ("change_type", S, True),
            ("before", S, False),
            ("after", S, False),
        ],
    ),
    "penalties": (
        ("penalty_id",),
        [
            ("penalty_id", S, True),
            ("uscc", S, True),
            ("decided_on", D, True),
            ("authority", S, True),
            ("category", S, True),
            ("amount", M, False),
        ],
    ),
    "abnormal_operations": (
        ("record_id",),
        [
            ("record_id", S, True),
            ("uscc", S, True),
            ("listed_on", D, True),
            ("reason", S, True),
            ("removed_on", D, False),
        ],
    ),
    "dishonest_debtors": (
        ("case_no",),
        [
            ("case_no", S, True),
            ("uscc", S, True),
            ("court", S, True),
            ("filed_on", D, True),
            ("amount", M, False),
            ("cleared_on", D, False),
        ],
    ),
    "taxpayers": (
        ("taxpayer_id",),
        [
            ("taxpayer_id", S, True),
            ("taxpayer_kind", S, True),
            ("credit_rating", S, True),
            ("rating_year", I, True),
        ],
    ),
    "tax_filings": (
        ("taxpayer_id", "period", "tax_type"),
        [
            ("taxpayer_id", S, True),
            ("period", P, True),
            ("tax_type", S, True),
            ("declared_revenue", M, False),
            ("tax_payable", M, False),
            ("tax_paid", M, False),
            ("filed_on", D, False),
        ],
    ),
    "tax_arrears": (
        ("arrear_id",),
        [
            ("arrear_id", S, True),
            ("taxpayer_id", S, True),
            ("tax_type", S, True),
            ("amount", M, True),
            ("since", D, True),
            ("settled_on", D, False),
        ],
    ),
    "ss_contributions": (
        ("uscc", "period"),
        [
            ("uscc", S, True),
            ("period", P, True),
            ("insured_headcount", I, True),
            ("contribution_due", M, True),
            ("contribution_paid", M, True),
            ("paid_on", D, False),
        ],
    ),
    "utility_accounts": (
        ("account_no",),
        [
            ("account_no", S, True),
            ("utility", S, True),
            ("holder_name", S, True),
            ("uscc", S, False),
            ("address", S, True),
            ("opened_on", D, False),
            ("closed_on", D, False),
        ],
    ),
    "meter_readings": (
        ("account_no", "period"),
        [
            ("account_no", S, True),
            ("period", P, True),
            ("consumption", N, True),
            ("amount_billed", M, True),
            ("amount_paid", M, False),
            ("due_on", D, False),
            ("paid_on", D, False),
        ],
    ),
    "core_enterprises": (
        ("uscc",),
        [
            ("uscc", S, True),
            ("name", S, True),
            ("chain_name", S, True),
            ("confirmed_credit_limit", M, False),
        ],
    ),
    "invoices": (
        ("invoice_no",),
        [
            ("invoice_no", S, True),
            ("seller_uscc", S, True),
            ("seller_name", S, True),
            ("buyer_uscc", S, False),
            ("buyer_name", S, True),
            ("issued_on", D, True),
            ("amount", M, True),
            ("tax_amount", M, False),
            ("due_on", D, False),
            ("paid_on", D, False),
            ("status", S, True),
        ],
    ),
    "receivable_confirmations": (
        ("confirmation_id",),
        [
            ("confirmation_id", S, True),
            ("core_uscc", S, True),
            ("supplier_uscc", S, True),
            ("invoice_no", S, True),
            ("confirmed_amount", M, True),
            ("confirmed_on", D, True),
            ("matures_on", D, True),
        ],
    ),
    # section 5: the bank's files; a version is the file's business day
    "loans": (
        ("loan_id", "as_of_date"),
        [
            ("loan_id", S, True),
            ("uscc", S, True),
            ("product_id", S, True),
            ("branch_id", S, True),
            ("contract_date", D, True),
            ("maturity_date", D, True),
            ("credit_limit", M, True),
            ("outstanding_principal", M, True),
            ("annual_rate", N, True),
            ("collateral_type", S, True),
            ("guarantor", S, False),
            ("classification", S, True),
            ("days_past_due", I, True),
            ("as_of_date", D, True),
        ],
    ),
    "repayments": (
        ("repayment_id",),
        [
            ("repayment_id", S, True),
            ("loan_id", S, True),
            ("due_on", D, True),
            ("paid_on", D, False),
            ("principal_due", M, True),
            ("principal_paid", M, True),
            ("interest_due", M, True),
            ("interest_paid", M, True),
        ],
    ),
}
for _name in SCHEMA:
    if _name not in ("loans", "repayments"):
        SCHEMA[_name][1].append(("updated_at", T, True))
CODES = {  # (dataset, field) -> the code list section 2 and 5 give
    ("enterprises", "enterprise_type"): (
        "limited_company",
        "sole_proprietorship",
        "partnership",
        "individual_business",
    ),
    ("enterprises", "size_class"): ("micro", "small", "medium", "large"),
    ("enterprises", "status"): ("active", "suspended", "revoked", "cancelled"),
    ("enterprise_changes", "change_type"): (
        "legal_rep",
        "address",
        "registered_capital",
        "name",
        "shareholder",
        "business_scope",
    ),
    ("penalties", "category"): (
        "tax",
        "environment",
        "product_quality",
        "labour",
        "market_order",
        "other",
    ),
    ("taxpayers", "taxpayer_kind"): ("general", "small_scale"),
    ("taxpayers", "credit_rating"): ("A", "B", "M", "C", "D"),
    ("tax_filings", "tax_type"): ("vat", "cit"),
    ("tax_arrears", "tax_type"): ("vat", "cit"),  # the same taxes as the filings
    ("utility_accounts", "utility"): ("electricity", "water"),
    ("invoices", "status"): ("issued", "paid", "cancelled", "reversed"),
    ("loans", "collateral_type"): ("none", "property", "equipment", "receivable", "guarantee"),
    ("loans", "classification"): ("normal", "special_mention", "substandard", "doubtful", "loss"),
}
BANK_DATASETS = ("loans", "repayments")
API_DATASETS = tuple(d for _, names in PLATFORMS.values() for d in names)
PERSONAL = {"enterprises": ("legal_rep_name", "legal_rep_id_no", "contact_phone")}  # section 4


def platform_of(dataset: str) -> str:
    return next(p for p, (_, names) in PLATFORMS.items() if dataset in names)


def field_types(dataset: str) -> dict[str, str]:
    return {name: ftype for name, ftype, _ in SCHEMA[dataset][1]}


# -- identifiers (section 2), computed here ---------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 0-9A-HJ-NPQRTUWXY


def uscc_check_char(body17: str) -> str:
    """GB 32100-2015: weights 3^i mod 31; the check character makes the sum 0 mod 31."""
    total = sum(USCC_ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body17))
    return USCC_ALPHABET[-total % 31]


def gs15_check_digit(body14: str) -> str:
    """ISO 7064 MOD 11,10 over the first 14 digits of a legacy registration number."""
    carry = 10
    for ch in body14:
        carry = (((carry + int(ch)) % 10 or 10) * 2) % 11
    return str((11 - carry) % 10)


def id_no(region: str, born: date, serial: int) -> str:
    """GB 11643 resident identity number: region, birth date, serial, MOD 11-2 check."""
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    total = sum(int(ch) * pow(2, 17 - i, 11) for i, ch in enumerate(body))
    return body + "10X98765432"[total % 11]


def typed(ftype: str, wire):
    """The value the contract means by a wire value (what bronze must hold)."""
    if wire is None:
        return None
    text = str(wire)
    if ftype == M:
        return Decimal(text).quantize(Decimal("0.01"))
    if ftype == N:
        return Decimal(text).quantize(Decimal("0.0001"))
    if ftype == I:
        return int(text)
    if ftype == D:
        return date.fromisoformat(text)
    if ftype == T:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00")).astimezone(UTC)
    return text
