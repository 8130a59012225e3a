"""`creditlake conformance PLATFORM URL`: check a live platform against feed contract sections 1-2.

For a data engineer, before pointing the DAGs at a new region's platform. Read-only (GETs and
token requests only) and bounded: at most --max-requests requests and --timeout seconds in
all, a few small pages per dataset, a window near the end of each feed, and the smallest
snapshot file of each format. Transient faults (section 1.3) are retried, counted and shown,
never reported as failures; everything else is judged as the platform answered it.

Checks (PASS / FAIL / SKIP with why, each with its evidence):
  token endpoint            POST {base}/oauth/token with form fields -> access_token, token_type
                            bearer, expires_in int; a token found only at {base}{prefix}/oauth/token
                            is named as that deviation
  token: wrong secret       401
  auth                      a data call without a token and with a bad one: 401
  page_size bounds          1 and 5000 accepted, 0 and 5001 -> 400
  error codes               an unknown dataset -> 404, a malformed updated_since -> 400
per dataset:
  pages                     the page shape: dataset, as_of, data, next_cursor
  order                     (updated_at, key) within and across pages (a re-sent record may repeat)
  updated_since exclusive   a pull from a record's updated_at starts after it, skipping nothing
  next_cursor to the end    a window paged to its null cursor holds each record of the window once
  snapshots                 the listing's shape; a file's sha256, bytes, rows; csv.gz/jsonl.gz readable
  records (section 2)       types, required fields, codes, identifiers of every sampled record;
                            fails above RECORD_FAIL_SHARE bad records (a few are normal: section 3)
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

import typer

from creditlake.connectors.conformance_feed import (
    EPOCH,
    FAIL,
    PASS,
    RECORD_FAIL_SHARE,
    SKIP,
    DatasetChecks,
    rfc3339,
)
from creditlake.connectors.conformance_probe import Budget, BudgetExhausted, Probe, Raw
from creditlake.connectors.errors import ConnectorError
from creditlake.connectors.settings import PlatformSettings
from creditlake.core.contract import API_PLATFORMS
from creditlake.core.contract import platform as contract_platform

__all__ = [
    "Checker",
    "Limits",
    "Report",
    "Check",
    "print_report",
    "command",
    "PASS",
    "FAIL",
    "SKIP",
]


@dataclass(frozen=True)
class Limits:
    max_requests: int = 400
    seconds: float = 120.0
    page_size: int = 50
    pages: int = 3  # per dataset, from the start of the feed
    window_page_size: int = 1000  # the near-the-end window must fit one page this big
    max_file_mb: float = 50.0


@dataclass
class Check:
    name: str
    scope: str
    status: str
    evidence: str


@dataclass
class Report:
    platform: str
    base_url: str
    limits: Limits
    checks: list[Check]
    requests: int
    seconds: float
    faults: dict[str, int]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]


class Checker:
    """The checks of one platform, in order; `run()` gives the report."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        client_id: str,
        client_secret: str,
        limits: Limits | None = None,
        datasets: list[str] | None = None,
    ):
        self.plat = contract_platform(platform)
        if self.plat.is_file_drop:
            raise ValueError(f"{platform} is a file drop, not an HTTP platform")
        names = {d.name: d for d in self.plat.datasets}
        unknown = [d for d in datasets or [] if d not in names]
        if unknown:
            raise ValueError(
                f"{platform} has no dataset {', '.join(unknown)}; expected one of {', '.join(names)}"
            )
        self.datasets = [names[d] for d in datasets] if datasets else list(self.plat.datasets)
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"{base_url!r} is not an http(s) URL: give the platform's base URL, e.g. https://tax.example.gov.cn"
            )
        self.base = base_url.rstrip("/")
        self.settings = PlatformSettings(self.plat.name, self.base, client_id, client_secret)
        self.limits = limits or Limits()
        self.token: str | None = None
        self.token_url: str | None = None

    # -- running -------------------------------------------------------------------------------
    def steps(self) -> list[tuple[str, str, object]]:
        first = self.datasets[0].name
        out = [
            ("token endpoint", "platform", self.check_token),
            ("token: wrong secret", "platform", self.check_wrong_secret),
            ("auth", first, self.check_auth),
            ("page_size bounds", first, self.check_page_size),
            ("error codes", first, self.check_error_codes),
        ]
        for ds in self.datasets:
            checks = DatasetChecks(self.probe, self.limits, ds)
            out += [(name, ds.name, step) for name, step in checks.steps()]
        return out

    def run(self) -> Report:
        budget = Budget(self.limits.max_requests, self.limits.seconds)
        checks: list[Check] = []
        stopped = None
        with Probe(budget, self.settings, self.plat.prefix) as probe:
            self.probe = probe
            for index, (name, scope, step) in enumerate(self.steps()):
                if stopped:
                    checks.append(Check(name, scope, SKIP, stopped))
                    continue
                if index >= 2 and self.token is None:
                    checks.append(
                        Check(name, scope, SKIP, "no access token (see the token endpoint check)")
                    )
                    continue
                probe.token_url = self.token_url
                try:
                    status, evidence = step()
                except BudgetExhausted as exc:
                    stopped = f"not run: {exc}"
                    status, evidence = SKIP, stopped
                except (
                    ConnectorError
                ) as exc:  # rejected, refused or persistently faulty after retries
                    status, evidence = FAIL, str(exc)
                checks.append(Check(name, scope, status, evidence))
            faults = dict(probe.fault_counts.most_common())
        return Report(
            self.plat.name, self.base, self.limits, checks, budget.used, budget.elapsed, faults
        )

    # -- token and auth (section 1) ----------------------------------------------------------------
    def _form(self, secret: str | None = None) -> dict:
        return {
            "grant_type": "client_credentials",
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret if secret is None else secret,
        }

    @staticmethod
    def _token_problems(obs: Raw) -> list[str]:
        doc = obs.doc if isinstance(obs.doc, dict) else {}
        problems = []
        if obs.status != 200:
            problems.append(f"HTTP {obs.status}, expected 200")
        if not (isinstance(doc.get("access_token"), str) and doc["access_token"]):
            problems.append("no access_token string")
        if not (isinstance(doc.get("token_type"), str) and doc["token_type"].lower() == "bearer"):
            problems.append(f"token_type {doc.get('token_type')!r}, expected 'bearer'")
        expires = doc.get("expires_in")
        if not (isinstance(expires, int) and not isinstance(expires, bool)):
            problems.append(f"expires_in {expires!r} is not an integer number of seconds")
        return problems

    def check_token(self):
        url = self.base + "/oauth/token"
        obs = self.probe.raw("POST", url, data=self._form())
        problems = self._token_problems(obs)
        doc = obs.doc if isinstance(obs.doc, dict) else {}
        if isinstance(doc.get("access_token"), str) and obs.status == 200:
            self.token, self.token_url = doc["access_token"], url
        if not problems:
            return PASS, (
                f"{obs.evidence()} with form fields grant_type, client_id, client_secret; "
                f"token_type {doc['token_type']!r}, expires_in {doc['expires_in']} s"
            )
        if self.token is None and obs.status != 401:
            under = self.base + self.plat.prefix + "/oauth/token"
            alt = self.probe.raw("POST", under, data=self._form())
            if isinstance(alt.doc, dict) and alt.status == 200 and alt.doc.get("access_token"):
                self.token, self.token_url = alt.doc["access_token"], under
                return FAIL, (
                    f"DEVIATION: token endpoint under the path prefix: the token is served at "
                    f"{under} (HTTP 200), not at {{base}}/oauth/token as contract section 1 says "
                    f"({obs.evidence()}); the connectors POST to {url} and will get no token. "
                    f"The other checks use the token from {under}"
                )
        if obs.status == 401:
            problems.append(
                "the client credentials were refused: check --client-id/--client-secret"
            )
        return FAIL, f"{obs.evidence()}: " + "; ".join(problems)

    def check_wrong_secret(self):
        url = self.token_url or self.base + "/oauth/token"
        obs = self.probe.raw(
            "POST", url, data=self._form(secret=f"wrong-{secrets.token_hex(8)}"), expect_json=False
        )
        verdict = PASS if obs.status == 401 else FAIL
        return (
            verdict,
            f"{obs.evidence()} with a wrong client_secret; expected 401 (a configuration error)",
        )

    def _data_url(self, ds_name: str) -> str:
        return f"{self.base}{self.plat.prefix}/{ds_name}"

    def _authed(self, url: str, params: dict, expect_json: bool = True) -> Raw:
        """A raw GET with the token; a 401 (an expired or revoked token) fetches a new one once."""

        def get() -> Raw:
            headers = {"Authorization": f"Bearer {self.token}"}
            return self.probe.raw(
                "GET", url, params=params, headers=headers, expect_json=expect_json
            )

        obs = get()
        if obs.status == 401:
            fresh = self.probe.raw("POST", self.token_url, data=self._form())
            if isinstance(fresh.doc, dict) and fresh.doc.get("access_token"):
                self.token = fresh.doc["access_token"]
                self.probe.faults["401 mid-run (token refreshed)"] += 1
                obs = get()
        return obs

    def check_auth(self):
        url = self._data_url(self.datasets[0].name)
        params = {"updated_since": EPOCH, "page_size": 1}
        bare = self.probe.raw("GET", url, params=params, expect_json=False)
        bad = self.probe.raw(
            "GET",
            url,
            params=params,
            expect_json=False,
            headers={"Authorization": f"Bearer not-a-token-{secrets.token_hex(8)}"},
        )
        verdict = PASS if bare.status == 401 and bad.status == 401 else FAIL
        return (
            verdict,
            f"no token: {bare.evidence()}; a bad token: HTTP {bad.status}; expected 401 for both",
        )

    # -- protocol (section 1.1, 1.3) -----------------------------------------------------------------
    def check_page_size(self):
        url = self._data_url(self.datasets[0].name)
        later = rfc3339(datetime.now(UTC) + timedelta(days=1))  # an empty window: cheap
        seen, wrong = [], []
        for size, since, expected in (
            (1, EPOCH, 200),
            (5000, later, 200),
            (0, EPOCH, 400),
            (5001, EPOCH, 400),
        ):
            obs = self._authed(
                url, {"updated_since": since, "page_size": size}, expect_json=expected == 200
            )
            rows = len(obs.doc.get("data") or []) if isinstance(obs.doc, dict) else None
            seen.append(
                f"page_size={size}: HTTP {obs.status}"
                + (f" ({rows} record(s))" if expected == 200 else "")
            )
            if obs.status != expected or (size == 1 and (rows or 0) > 1):
                wrong.append(
                    f"page_size={size} expected HTTP {expected}"
                    + (" and at most 1 record" if size == 1 else "")
                )
        evidence = f"GET {url}: " + "; ".join(seen)
        return (FAIL, evidence + "; " + "; ".join(wrong)) if wrong else (PASS, evidence)

    def check_error_codes(self):
        missing = self._authed(
            self._data_url("no_such_dataset_conformance"), {"page_size": 1}, expect_json=False
        )
        malformed = self._authed(
            self._data_url(self.datasets[0].name),
            {"updated_since": "yesterday", "page_size": 1},
            expect_json=False,
        )
        verdict = PASS if missing.status == 404 and malformed.status == 400 else FAIL
        return verdict, (
            f"unknown dataset: {missing.evidence()} (expected 404); malformed updated_since: "
            f"{malformed.evidence()} (expected 400)"
        )


# -- the command ----------------------------------------------------------------------------------

ApiPlatform = Enum("ApiPlatform", {p.slug: p.name for p in API_PLATFORMS}, type=str)


def print_report(report: Report, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    limits = report.limits
    console.print(
        f"conformance of [bold]{report.platform}[/bold] at {report.base_url} "
        "against feed contract sections 1-2 (read-only)"
    )
    table = Table(show_lines=True, expand=True)
    for name, style in (("check", "bold"), ("scope", ""), ("result", ""), ("evidence", "")):
        table.add_column(
            name, style=style or None, overflow="fold", ratio=6 if name == "evidence" else None
        )
    colours = {PASS: "green", FAIL: "bold red", SKIP: "yellow"}
    for check in report.checks:
        table.add_row(
            check.name, check.scope, f"[{colours[check.status]}]{check.status}[/]", check.evidence
        )
    console.print(table)
    counts = {s: sum(c.status == s for c in report.checks) for s in (PASS, FAIL, SKIP)}
    faults = ", ".join(f"{cause} x{n}" for cause, n in report.faults.items()) or "none"
    console.print(
        f"{counts[PASS]} PASS, {counts[FAIL]} FAIL, {counts[SKIP]} SKIP. "
        f"Bounded: {report.requests} of at most "
        f"{limits.max_requests} requests, {report.seconds:.1f} of at most {limits.seconds:g} s; sampled "
        f"{limits.pages} page(s) of {limits.page_size} records per dataset, one window of at most "
        f"{limits.window_page_size} records near the end, the smallest snapshot file per format "
        f"(at most {limits.max_file_mb:g} MB); records fail above {RECORD_FAIL_SHARE:.0%} "
        "breaking section 2."
    )
    console.print(f"Transient faults retried (section 1.3: survived, not failures): {faults}")


def command(
    platform: ApiPlatform = typer.Argument(
        ..., help="commerce, tax, social-security, utility or supply-chain"
    ),
    url: str = typer.Argument(..., help="The platform's base URL (the contract's {base})"),
    client_id: str = typer.Option(
        None, "--client-id", help="Default: $CREDITLAKE_<PLATFORM>_CLIENT_ID"
    ),
    client_secret: str = typer.Option(
        None, "--client-secret", help="Default: $CREDITLAKE_<PLATFORM>_CLIENT_SECRET"
    ),
    dataset: list[str] = typer.Option(
        None, "--dataset", "-d", help="Only these datasets (default: all)"
    ),
    max_requests: int = typer.Option(
        Limits.max_requests, min=20, help="Requests in all, retries included"
    ),
    timeout: float = typer.Option(Limits.seconds, min=10, help="Total seconds for every check"),
    page_size: int = typer.Option(
        Limits.page_size, min=2, max=5000, help="Records per sampled page"
    ),
    pages: int = typer.Option(
        Limits.pages, min=1, max=50, help="Pages sampled per dataset from the feed's start"
    ),
    max_file_mb: float = typer.Option(Limits.max_file_mb, help="Largest snapshot file downloaded"),
) -> None:
    """Check a live platform against the feed contract (sections 1-2), read-only and bounded.
    Exit status 1 if any check fails."""
    stem = contract_platform(platform.value).env_prefix
    client_id = client_id or os.environ.get(f"{stem}_CLIENT_ID")
    client_secret = client_secret or os.environ.get(f"{stem}_CLIENT_SECRET")
    if not (client_id and client_secret):
        typer.secho(
            f"conformance: give --client-id/--client-secret or set {stem}_CLIENT_ID and {stem}_CLIENT_SECRET",
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(2)
    limits = Limits(
        max_requests=max_requests,
        seconds=timeout,
        page_size=page_size,
        pages=pages,
        max_file_mb=max_file_mb,
    )
    try:
        checker = Checker(platform.value, url, client_id, client_secret, limits, dataset or None)
    except ValueError as exc:
        typer.secho(f"conformance: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    report = checker.run()
    print_report(report)
    raise typer.Exit(1 if report.failed else 0)
