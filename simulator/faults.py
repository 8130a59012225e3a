"""The deterministic fault plan: which request meets which fault, which rows arrive late.

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

import numpy as np

RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED, TOKEN_EXPIRY, DUPLICATES = (
    "rate_limit", "server_error", "reset", "truncated", "token_expiry", "duplicates")

# Which faults each kind of endpoint can meet. The token endpoint only meets transient
# faults: a 401 there means wrong credentials, which a client must not retry.
KINDS = {
    "token": (RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED),
    "page": (RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED, TOKEN_EXPIRY, DUPLICATES),
    "listing": (RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED, TOKEN_EXPIRY),
    "file": (RATE_LIMIT, SERVER_ERROR, RESET, TRUNCATED),
}
SERVER_ERROR_STATUSES = (500, 502, 503, 504)
LATE_MIN_SECONDS, LATE_MAX_SECONDS = 3600, 2 * 86400  # late versions show up 1 h .. 2 days late


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


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class FaultPlan:
    def __init__(self, seed: int, rate: float):
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"fault rate must be in [0, 1), got {rate}")
        self.seed, self.rate = seed, rate
        self._attempts: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()  # faults served, by kind
        self.requests = 0
        self._lock = threading.Lock()

    def decide(self, endpoint: str, signature: str, duplicates_possible: bool = True) -> Fault | None:
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
        return Fault(kind=kind,
                     status=SERVER_ERROR_STATUSES[int(detail * len(SERVER_ERROR_STATUSES))],
                     retry_after_date=detail >= 0.5,
                     duplicates=1 + int(detail * 5))

    def stats(self) -> dict:
        with self._lock:
            return {"rate": self.rate, "requests": self.requests, "faults": dict(self.counts)}

    def late_delays(self, dataset: str, row_ids: np.ndarray) -> np.ndarray:
        """Seconds after its updated_at that each row version becomes visible (0 = on time)."""
        delays = np.zeros(len(row_ids), dtype=np.int64)
        if self.rate == 0 or len(row_ids) == 0:
            return delays
        salt = int.from_bytes(hashlib.blake2b(f"{self.seed}/{dataset}".encode(), digest_size=8).digest(), "little")
        with np.errstate(over="ignore"):
            h1 = _splitmix64(row_ids.astype(np.uint64) ^ np.uint64(salt))
            h2 = _splitmix64(h1 ^ np.uint64(0x5DEECE66D))
        late = (h1 >> np.uint64(11)).astype(np.float64) / 2.0**53 < self.rate
        span = np.uint64(LATE_MAX_SECONDS - LATE_MIN_SECONDS + 1)
        delays[late] = LATE_MIN_SECONDS + (h2[late] % span).astype(np.int64)
        return delays
