"""The banks allowed through the door, and their API keys, stored only as hashes.

A bank file (TOML, CREDITLAKE_SERVICE_BANKS) lists each bank once:

    [[banks]]
    id = "bank_a"                 # the bank_id of its drop folder (contract section 5)
    name = "Bank A"
    key_sha256 = "9f2c..."        # creditlake service new-key bank_a prints key and hash

Keys are 32 random bytes: a SHA-256 of such a key cannot be searched back, so the file may be
read by operators, and checking one costs microseconds (a slow password hash would not).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

BANK_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # as connectors.settings checks drop folders


class BankFileError(ValueError):
    """The bank file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Bank:
    id: str
    name: str
    key_sha256: str


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """(key, its hash): the key goes to the bank once, the hash into the bank file."""
    key = "clk_" + secrets.token_urlsafe(32)
    return key, key_hash(key)


def load(path: Path) -> dict[str, Bank]:
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BankFileError(f"{path}: {exc}") from None
    banks: dict[str, Bank] = {}
    for i, entry in enumerate(doc.get("banks", [])):
        bank_id, digest = entry.get("id", ""), str(entry.get("key_sha256", "")).lower()
        if not BANK_ID.match(bank_id):
            raise BankFileError(f"{path}: banks[{i}]: id {bank_id!r} is not a bank_id")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise BankFileError(f"{path}: bank {bank_id}: key_sha256 must be 64 hex digits")
        if bank_id in banks:
            raise BankFileError(f"{path}: bank {bank_id} is listed twice")
        banks[bank_id] = Bank(bank_id, entry.get("name", bank_id), digest)
    if not banks:
        raise BankFileError(f"{path}: lists no bank ([[banks]] with id and key_sha256)")
    return banks


def authenticate(banks: dict[str, Bank], key: str | None) -> Bank | None:
    """The bank whose key this is, or None. Every bank is compared (in constant time each), so
    the time taken says nothing about which hash came close."""
    if not key:
        return None
    digest = key_hash(key)
    found = None
    for bank in banks.values():
        if hmac.compare_digest(bank.key_sha256, digest):
            found = bank
    return found
