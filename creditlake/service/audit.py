"""The audit log: every request, refused ones included, as one entry of a hash chain.

An entry's body is canonical JSON of what was asked and answered: bank, purpose, enterprise,
endpoint, parameters, the sha256 of the answer, the time and the outcome. Its hash covers the
previous entry's hash, its sequence number and its body, so changing, removing or reordering
any entry breaks every hash from there on: `verify` names the first entry that does not hold.
A checkpoint (the head's sequence number and hash, signed with CREDITLAKE_AUDIT_KEY) is what a
regulator keeps: a log rewritten from the start still fails against it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from creditlake.service.store import GENESIS, Store, chain_hash


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record(
    store: Store,
    *,
    bank_id: str | None,
    purpose: str | None,
    uscc: str | None,
    endpoint: str,
    params: dict,
    result: bytes,
    outcome: str,
    status: int,
) -> tuple[int, str]:
    at = now()
    body = json.dumps(
        {
            "at": at,
            "bank_id": bank_id,
            "purpose": purpose,
            "uscc": uscc,
            "endpoint": endpoint,
            "params": params,
            "result_sha256": hashlib.sha256(result).hexdigest(),
            "outcome": outcome,
            "status": status,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return store.append(at, bank_id, purpose, uscc, endpoint, outcome, body)


@dataclass
class Verdict:
    entries: int
    head: tuple[int, str] | None  # (seq, entry_hash) of the last entry
    first_bad: int | None = None  # the sequence number where the chain stops holding
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None


COLUMNS = ("at", "bank_id", "purpose", "uscc", "endpoint", "outcome")


def verify(rows: list[tuple]) -> Verdict:
    """Check (seq, at, bank_id, purpose, uscc, endpoint, outcome, body, prev_hash, entry_hash)
    rows, in the order the store returns them by seq."""
    prev, expected_seq = GENESIS, 1
    for row in rows:
        seq, *columns, body, prev_hash, entry_hash = row
        bad = None
        if seq != expected_seq:
            bad = (
                f"entry {expected_seq} is missing (the next one is {seq})"
                if seq > expected_seq
                else f"entry {seq} is out of order"
            )
            seq = expected_seq
        elif prev_hash != prev:
            bad = "its previous hash is not the hash of the entry before it (removed or reordered)"
        elif chain_hash(prev_hash, seq, body) != entry_hash:
            bad = "its hash does not match its contents (changed)"
        else:
            doc = json.loads(body)
            if [doc.get(c) for c in COLUMNS] != list(columns):
                bad = "its columns differ from its hashed body (changed)"
        if bad:
            return Verdict(expected_seq - 1, (expected_seq - 1, prev), seq, bad)
        prev, expected_seq = entry_hash, expected_seq + 1
    head = (expected_seq - 1, prev) if expected_seq > 1 else None
    return Verdict(expected_seq - 1, head)


def read_all(owner: Store) -> list[tuple]:
    return owner.execute(
        "SELECT seq, at, bank_id, purpose, uscc, endpoint, outcome, body, prev_hash, entry_hash "
        "FROM audit_log ORDER BY seq"
    )


def sign(key: str, seq: int, entry_hash: str) -> dict:
    at = now()
    message = f"{seq}\n{entry_hash}\n{at}".encode()
    signature = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return {"seq": seq, "entry_hash": entry_hash, "at": at, "hmac_sha256": signature}


def write_checkpoint(folder: Path, key: str, seq: int, entry_hash: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"checkpoint-{seq:012d}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(sign(key, seq, entry_hash), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def check_checkpoints(folder: Path, key: str, rows: list[tuple]) -> list[str]:
    """Problems found against the signed checkpoints in `folder` (none: the log agrees)."""
    hashes = {row[0]: row[-1] for row in rows}
    problems = []
    for path in sorted(folder.glob("checkpoint-*.json")) if folder.is_dir() else []:
        point = json.loads(path.read_text(encoding="utf-8"))
        message = f"{point['seq']}\n{point['entry_hash']}\n{point['at']}".encode()
        good = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(good, point.get("hmac_sha256", "")):
            problems.append(f"{path.name}: the signature does not match (not ours, or edited)")
        elif hashes.get(point["seq"]) != point["entry_hash"]:
            problems.append(
                f"{path.name}: entry {point['seq']} no longer has the hash signed at {point['at']}"
            )
    return problems
