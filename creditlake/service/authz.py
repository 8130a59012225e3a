"""Authorisation before query: an enterprise's credit view for a bank, for a stated purpose.

An authorisation is what the enterprise signed: enterprise (USCC), bank, purpose, validity
window, the sha256 of the signed document, and its revocation. The bank registers and revokes
it with that evidence. Post-loan management needs no separate letter: the loan contract
carries the enterprise's consent, so it holds while the bank has a loan outstanding to it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from creditlake.core import uscc as uscc_codes
from creditlake.service.store import Store

# The purposes of enterprise credit-query authorisation letters.
PURPOSES = {
    "loan_application": "credit application: loan, credit line or trade finance",
    "post_loan_management": "monitoring a borrower while a loan is outstanding",
    "guarantee_review": "reviewing the enterprise as guarantor or guaranteed party",
    "account_opening": "opening a corporate account or a business relationship",
    "other": "another purpose the signed letter names",
}
POST_LOAN = "post_loan_management"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class AuthorisationError(ValueError):
    """A registration or revocation that cannot be accepted (the message says why)."""


@dataclass(frozen=True)
class Authorisation:
    id: str
    uscc: str
    bank_id: str
    purpose: str
    valid_from: str
    valid_to: str
    document_sha256: str
    registered_at: str
    revoked_at: str | None = None
    revocation_sha256: str | None = None

    def active_on(self, day: date) -> bool:
        return self.revoked_at is None and self.valid_from <= day.isoformat() <= self.valid_to


def check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise AuthorisationError(f"purpose {purpose!r} is not one of {', '.join(PURPOSES)}")


def enterprise(uscc: str) -> str:
    """The USCC as stored (normalised), or AuthorisationError saying what is wrong with it."""
    code = uscc_codes.normalise(uscc)
    problem = uscc_codes.check(code)
    if problem:
        raise AuthorisationError(f"uscc {uscc!r}: {problem}")
    return code


def register(
    store: Store,
    bank_id: str,
    uscc: str,
    purpose: str,
    valid_from: date,
    valid_to: date,
    document_sha256: str,
) -> Authorisation:
    code = enterprise(uscc)
    check_purpose(purpose)
    if purpose == POST_LOAN:
        raise AuthorisationError(
            "post_loan_management holds by the loan contract while a loan is outstanding; "
            "it is not registered"
        )
    if valid_to < valid_from:
        raise AuthorisationError(f"valid_to {valid_to} is before valid_from {valid_from}")
    if not SHA256.match(document_sha256.lower()):
        raise AuthorisationError("document_sha256 must be the 64 hex digits of the signed letter")
    auth = Authorisation(
        id=str(uuid.uuid4()),
        uscc=code,
        bank_id=bank_id,
        purpose=purpose,
        valid_from=valid_from.isoformat(),
        valid_to=valid_to.isoformat(),
        document_sha256=document_sha256.lower(),
        registered_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    store.execute(
        "INSERT INTO authorisations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        tuple(auth.__dict__.values()),
    )
    return auth


def revoke(store: Store, bank_id: str, auth_id: str, evidence_sha256: str) -> Authorisation:
    if not SHA256.match(evidence_sha256.lower()):
        raise AuthorisationError("evidence_sha256 must be the 64 hex digits of the revocation")
    found = get(store, bank_id, auth_id)
    if found is None:
        raise LookupError(auth_id)
    if found.revoked_at is None:
        store.execute(
            "UPDATE authorisations SET revoked_at = ?, revocation_sha256 = ? "
            "WHERE id = ? AND bank_id = ?",
            (
                datetime.now(UTC).isoformat(timespec="seconds"),
                evidence_sha256.lower(),
                auth_id,
                bank_id,
            ),
        )
    return get(store, bank_id, auth_id)


def get(store: Store, bank_id: str, auth_id: str) -> Authorisation | None:
    rows = store.execute(
        "SELECT * FROM authorisations WHERE id = ? AND bank_id = ?", (auth_id, bank_id)
    )
    return Authorisation(*rows[0]) if rows else None


def of_bank(store: Store, bank_id: str, uscc: str | None = None) -> list[Authorisation]:
    sql, params = "SELECT * FROM authorisations WHERE bank_id = ?", [bank_id]
    if uscc:
        sql, params = sql + " AND uscc = ?", [*params, uscc]
    return [
        Authorisation(*row) for row in store.execute(sql + " ORDER BY registered_at", tuple(params))
    ]


def authorised_usccs(store: Store, bank_id: str, day: date) -> set[str]:
    """Enterprises with any active registered authorisation for the bank on `day`."""
    return {a.uscc for a in of_bank(store, bank_id) if a.active_on(day)}


def permits(
    store: Store, bank_id: str, uscc: str, purpose: str, day: date, has_outstanding_loan
) -> bool:
    """May `bank_id` see `uscc` for `purpose` today? `has_outstanding_loan()` is asked only for
    post-loan management."""
    if purpose == POST_LOAN:
        return bool(has_outstanding_loan())
    return any(a.purpose == purpose and a.active_on(day) for a in of_bank(store, bank_id, uscc))
