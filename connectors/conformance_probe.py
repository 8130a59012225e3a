"""The transport of `creditlake conformance`: bounded calls that get through the transient
faults of contract section 1.3 but observe everything else as the platform answered it.

Two ways to call a platform, both counted against one `Budget` (requests and wall time):

- `Probe.raw`: one request as given (a wrong secret, no token, page_size=0), retried only for
  a transient fault: 429 (waiting as Retry-After says, bounded), 500/502/503/504, a reset or
  timeout, and, where JSON is expected, a 200 whose body does not parse. The status that is
  left is the platform's answer to the request, which is the point of those checks.
- `Probe.client`: connectors.http.PlatformClient, the connectors' own client (token refresh
  after a 401 mid-run, the same retry rules), for the data the checks then judge.

Both tell how many transient faults they retried: a conformant platform may have them.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal

import requests

from creditlake.connectors.http import (
    RETRY_STATUSES,
    USER_AGENT,
    PlatformClient,
    RetriesExhausted,
    RetryPolicy,
    _describe_exception,
    _retry_after_seconds,
)
from creditlake.connectors.settings import PlatformSettings

RAW_ATTEMPTS = 6
POLICY = RetryPolicy(
    attempts=6,
    backoff_base=0.1,
    backoff_max=2.0,
    total_seconds=60.0,
    retry_after_max=10.0,
    connect_attempts=2,
    connect_timeout=5.0,
    read_timeout=20.0,
)


class BudgetExhausted(Exception):
    """The request or time budget is spent: the remaining checks are skipped."""


@dataclass
class Budget:
    max_requests: int
    seconds: float
    started: float = field(default_factory=time.monotonic)
    used: int = 0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def requests_left(self) -> int:
        return self.max_requests - self.used

    @property
    def seconds_left(self) -> float:
        return self.seconds - self.elapsed

    def require(self, requests_needed: int = 1) -> None:
        if self.requests_left < requests_needed:
            raise BudgetExhausted(f"request budget of {self.max_requests} spent")
        if self.seconds_left <= 1:
            raise BudgetExhausted(f"time budget of {self.seconds:.0f} s spent")


def loads(body: bytes):
    """JSON as sent: numbers keep their digits (Decimal), bytes that are not UTF-8 stay
    visible as surrogates (the record checks report them)."""
    return json.loads(body.decode("utf-8", "surrogateescape"), parse_float=Decimal)


@dataclass
class Raw:
    """What the platform answered one request with (after transient faults were retried)."""

    method: str
    url: str  # query included: the checks put no secret in one
    status: int | None  # None: only transient faults, until the attempts ran out
    body: bytes = b""
    doc: object = None
    faults: list[str] = field(default_factory=list)  # transient faults retried

    def evidence(self) -> str:
        seen = f"HTTP {self.status}" if self.status is not None else "no answer"
        retried = f" (after retrying {', '.join(self.faults)})" if self.faults else ""
        return f"{self.method} {self.url}: {seen}{retried}"


class _FaultCounter(logging.Handler):
    """Counts the retries connectors.http logs, by cause."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.causes: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "refreshing the token" in message:
            self.causes["401 mid-run (token refreshed)"] += 1
        elif "; retry " in message and len(record.args or ()) >= 3:
            self.causes[str(record.args[2]).split(" (")[0]] += 1


class Probe:
    def __init__(self, budget: Budget, settings: PlatformSettings, prefix: str):
        self.budget, self.settings, self.prefix = budget, settings, prefix
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT + " conformance"
        self.faults: Counter[str] = Counter()
        self._client: PlatformClient | None = None
        self.token_url: str | None = None  # where the token endpoint answered
        self._counted = 0
        self._handler = _FaultCounter()
        self._logger = logging.getLogger("creditlake.connectors.http")

    def __enter__(self) -> Probe:
        self._saved = self._logger.propagate, self._logger.level
        self._logger.addHandler(self._handler)
        self._logger.propagate = False  # retries are counted in the report, not printed one by one
        self._logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.propagate, level = self._saved
        self._logger.setLevel(level)
        self.session.close()
        if self._client:
            self._client.close()

    @property
    def fault_counts(self) -> Counter:
        return self.faults + self._handler.causes

    # -- raw requests ----------------------------------------------------------------------------
    def raw(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        data: dict | None = None,
        headers: dict | None = None,
        expect_json: bool = True,
    ) -> Raw:
        shown = requests.Request(method, url, params=params).prepare().url
        out = Raw(method, shown, None)
        for attempt in range(1, RAW_ATTEMPTS + 1):
            self.budget.require()
            self.budget.used += 1
            timeout = (
                POLICY.connect_timeout,
                max(1.0, min(POLICY.read_timeout, self.budget.seconds_left)),
            )
            try:
                resp = self.session.request(
                    method, url, params=params, data=data, headers=headers, timeout=timeout
                )
                body = resp.content
            except requests.RequestException as exc:
                self._transient(out, _describe_exception(exc).cause, POLICY.backoff(attempt))
                continue
            if resp.status_code == 429:
                wait = _retry_after_seconds(resp.headers.get("Retry-After"), POLICY.retry_after_max)
                self._transient(
                    out,
                    "HTTP 429 Too Many Requests",
                    POLICY.backoff(attempt) if wait is None else wait,
                )
                continue
            if resp.status_code in RETRY_STATUSES:
                self._transient(
                    out,
                    f"HTTP {resp.status_code} {resp.reason or ''}".strip(),
                    POLICY.backoff(attempt),
                )
                continue
            out.status, out.body = resp.status_code, body
            try:
                out.doc = loads(body) if body else None
            except ValueError:
                if resp.status_code == 200 and expect_json:
                    out.status = None
                    self._transient(
                        out, "200 with a truncated or non-JSON body", POLICY.backoff(attempt)
                    )
                    continue
            return out
        return out

    def _transient(self, out: Raw, cause: str, wait: float) -> None:
        out.faults.append(cause)
        self.faults[cause] += 1
        if wait >= self.budget.seconds_left - 1:
            raise BudgetExhausted(
                f"time budget of {self.budget.seconds:.0f} s spent waiting out transient faults"
            )
        time.sleep(wait)

    # -- the connectors' client ------------------------------------------------------------------
    def client(self) -> PlatformClient:
        """The connectors' client, fetching its token where the token check found it."""
        if self._client is None:
            self._client = _Client(self.settings, self.prefix, POLICY, self.token_url)
        return self._client

    def call(self, action):
        """Run `action(client)` within the budget: each call's retries stop where it ends."""
        client = self.client()
        self.budget.require()
        seconds = max(1.0, self.budget.seconds_left - 1)
        client.policy = replace(
            POLICY,
            attempts=max(1, min(POLICY.attempts, self.budget.requests_left)),
            total_seconds=min(POLICY.total_seconds, seconds),
            read_timeout=min(POLICY.read_timeout, seconds),
        )
        try:
            return action(client)
        except RetriesExhausted:
            if self.budget.requests_left <= 0 or self.budget.seconds_left <= 1:
                raise BudgetExhausted(
                    "the budget ran out while retrying transient faults"
                ) from None
            raise  # the platform kept failing within the budget: a finding
        finally:
            self.budget.used += client.requests_sent - self._counted
            self._counted = client.requests_sent


class _Client(PlatformClient):
    def __init__(
        self, settings: PlatformSettings, prefix: str, policy: RetryPolicy, token_url: str
    ):
        super().__init__(settings, prefix, policy)
        self._token_url = token_url
        self.session.headers["User-Agent"] = USER_AGENT + " conformance"

    @property
    def token_url(self) -> str:
        return self._token_url
