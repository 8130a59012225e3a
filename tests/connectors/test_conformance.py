"""`creditlake conformance PLATFORM URL` against real servers on loopback: the simulator with
faults passes every check (its transient faults retried, not reported); the independent
contract server (tests/contract_server.py) passes too; each deviation that server can be
switched to is caught and named; the request budget holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from contract_server import ContractServer  # tests/ is on sys.path (its conftest.py)

from creditlake.connectors.conformance import FAIL, PASS, SKIP, Checker, Limits, print_report
from creditlake.core.contract import API_PLATFORMS
from creditlake.core.contract import platform as contract_platform

CLI = Path(sys.executable).with_name("creditlake")
PLATFORMS = [p.name for p in API_PLATFORMS]
FAULT_RATE = 0.1


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    from creditlake.simulator.generator import generate
    from creditlake.simulator.server import SimulatorServer

    data = tmp_path_factory.mktemp("conformance-sim") / "sim"
    generate(out=data, seed=7, enterprises=200, months=14, quiet=True)
    with SimulatorServer(data, seed=7, fault_rate=FAULT_RATE) as server:
        yield server


@pytest.fixture(scope="module")
def independent():
    with ContractServer() as server:
        yield server


def run_cli(
    platform: str, url: str, credentials: tuple[str, str], *extra: str
) -> subprocess.CompletedProcess:
    """The real command; credentials through the environment variables it defaults to."""
    stem = contract_platform(platform).env_prefix
    env = {
        **os.environ,
        "COLUMNS": "220",
        f"{stem}_CLIENT_ID": credentials[0],
        f"{stem}_CLIENT_SECRET": credentials[1],
    }
    return subprocess.run(
        [str(CLI), "conformance", platform, url, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def table_rows(output: str) -> list[tuple[str, str, str, str]]:
    """(check, scope, result, evidence) of each row of the printed table."""
    rows: list[list[str]] = []
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if len(cells) != 4 or cells[0] == "check":
            continue
        if cells[2]:
            rows.append(cells)
        elif rows:  # a wrapped cell goes on
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
    return [tuple(r) for r in rows]


def check_independent(server: ContractServer, platform: str, **limits):
    client_id, secret = server.credentials[platform]
    report = Checker(platform, server.base_url(platform), client_id, secret, Limits(**limits)).run()
    print_report(report)
    return report


def test_the_simulator_with_faults_passes_every_check(simulator):
    before = sum(simulator.faults.stats()["faults"].values())
    outputs = {}
    for platform in PLATFORMS:
        proc = run_cli(platform, simulator.url, simulator.credentials[platform])
        print(proc.stdout)
        outputs[platform] = proc
        rows = table_rows(proc.stdout)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        datasets = {d.name for p in API_PLATFORMS if p.name == platform for d in p.datasets}
        assert {scope for _, scope, _, _ in rows} >= datasets
        assert [r for r in rows if r[2] != PASS] == []
        assert len(rows) == 5 + 6 * len(datasets)
    met = sum(simulator.faults.stats()["faults"].values()) - before
    assert met >= 5, "the checks met the simulator's faults and got through them"
    shown = " ".join(p.stdout for p in outputs.values())
    assert "Transient faults retried" in shown and "connection reset" in shown


def test_the_independent_server_passes_every_check(independent):
    for platform in PLATFORMS:
        report = check_independent(independent, platform)
        assert [c for c in report.checks if c.status != PASS] == []
        assert report.requests <= Limits().max_requests


def test_a_token_under_the_prefix_is_named_as_that_deviation():
    with ContractServer(token_under_prefix=True) as server:
        proc = run_cli("tax", server.base_url("tax"), server.credentials["tax"])
    print(proc.stdout)
    rows = table_rows(proc.stdout)
    assert proc.returncode == 1
    failed = [r for r in rows if r[2] == FAIL]
    assert [r[0] for r in failed] == ["token endpoint"]
    evidence = failed[0][3]
    assert "token endpoint under the path prefix" in evidence
    assert f"{server.base_url('tax')}/tax/v1/oauth/token" in evidence.replace(" ", "")
    assert all(
        r[2] == PASS for r in rows if r[0] != "token endpoint"
    )  # the rest ran with that token


@pytest.mark.parametrize(
    "deviation, check, words",
    [
        ("inclusive_since", "updated_since exclusive", "must be exclusive"),
        ("unordered_pages", "order", "out of order"),
    ],
)
def test_a_deviation_in_paging_is_caught(deviation, check, words):
    with ContractServer(**{deviation: True}) as server:
        report = check_independent(server, "utility")
    failed = [c for c in report.checks if c.status == FAIL]
    assert {c.name for c in failed} >= {check}
    assert all(words in c.evidence for c in failed if c.name == check)
    assert {c.scope for c in failed if c.name == check} == {"utility_accounts", "meter_readings"}


def test_wrong_credentials_fail_the_token_check_and_skip_the_rest(independent):
    report = Checker(
        "commerce", independent.base_url("commerce"), "commerce-independent-client", "not-it"
    ).run()
    assert (
        report.checks[0].status == FAIL and "credentials were refused" in report.checks[0].evidence
    )
    assert report.checks[1].status == PASS  # a wrong secret gets 401, as it should
    assert {c.status for c in report.checks[2:]} == {SKIP}


def test_the_request_budget_is_never_exceeded(independent):
    before = len(independent.requests)
    report = check_independent(independent, "supply-chain", max_requests=30)
    sent = len(independent.requests) - before
    assert sent == report.requests <= 30
    skipped = [c for c in report.checks if c.status == SKIP]
    assert skipped and all("request budget of 30 spent" in c.evidence for c in skipped)
