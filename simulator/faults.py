"""The deterministic fault plan: which request meets which fault (contract section 1.3).

Every decision is a hash of (seed, rate, request signature, attempt number of that
signature), so two servers with the same seed and rate answer the same sequence of
requests with the same faults, and a retry of a faulted request is a fresh draw.
A request meets a fault with probability `rate`; the kind is then drawn uniformly
among the kinds that make sense for that endpoint.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections import Counter
from dataclasses import dataclass

RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED, TOKEN_EXPIRY, DUPLICATES = (
    "rate_limit",
    "server_error",
    "reset",
    "truncated",
    "token_expiry",
    "duplicates",
)

# Which faults each kind of endpoint can meet. The token endpoint only meets transient
# faults: a 401 there means wrong credentials, which a client must not retry.
KINDS = {
    "token": (RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED),
    "page": (RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED, TOKEN_EXPIRY, DUPLICATES),
    "listing": (RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED, TOKEN_EXPIRY),
    "file": (RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED),
}
SERVER_ERROR_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 0  # SERVER_ERROR: which 5xx
    retry_after_date: bool = False  # RATE_LIMIT: Retry-After as HTTP-date instead of delta-seconds
    duplicates: int = 0  # DUPLICATES: how many earlier records the page repeats


def _unit(*parts: object) -> float:
    """A uniform draw in [0, 1) fixed by `parts`."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return struct.unpack("<Q", digest)[0] / 2.0**64


class FaultPlan:
    def __init__(self, seed: int, rate: float):
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"fault rate must be in [0, 1), got {rate}")
        self.seed, self.rate = seed, rate
        self._attempts: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()  # faults served, by kind
        self.requests = 0
        self._lock = threading.Lock()

    def decide(
        self, endpoint: str, signature: str, duplicates_possible: bool = True
    ) -> Fault | None:
        """The fault (or None) for this attempt of `signature` at an endpoint of kind `endpoint`."""
        with self._lock:
            self._attempts[signature] += 1
            attempt = self._attempts[signature]
            self.requests += 1
        if self.rate == 0 or _unit(self.seed, self.rate, signature, attempt) >= self.rate:
            return None
        kinds = [k for k in KINDS[endpoint] if k != DUPLICATES or duplicates_possible]
        detail = _unit(self.seed, self.rate, signature, attempt, "detail")
        kind = kinds[int(_unit(self.seed, self.rate, signature, attempt, "kind") * len(kinds))]
        with self._lock:
            self.counts[kind] += 1
        return Fault(
            kind=kind,
            status=SERVER_ERROR_STATUSES[int(detail * len(SERVER_ERROR_STATUSES))],
            retry_after_date=detail >= 0.5,
            duplicates=1 + int(detail * 5),
        )

    def stats(self) -> dict:
        with self._lock:
            return {"rate": self.rate, "requests": self.requests, "faults": dict(self.counts)}
