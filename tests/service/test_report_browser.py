"""The credit report in a real browser: Debian's chromium driven by Playwright (launched by
path, no browser download), signed in as a bank through the login link the demo prints."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECTIONS = [
    "header",
    "identity",
    "summary",
    "three_tables",
    "supply_chain",
    "public_records",
    "warnings",
    "credit_lines",
    "repayment",
    "queries",
]

pytestmark = [
    pytest.mark.slow,
    # on a developer's machine without it, skipped; CI (.ci/run installs it) never skips
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium: apt-get install chromium fonts-noto-cjk",
    ),
]


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    from playwright import sync_api as playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        outside: list[str] = []

        def only_loopback(route):
            host = urlparse(route.request.url).hostname
            if host not in ("127.0.0.1", "localhost"):
                outside.append(route.request.url)
                return route.abort()
            return route.continue_()

        context.route("**/*", only_loopback)
        page = context.new_page()
        yield page, outside
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _sign_in(page, service, bank: str, target: str) -> None:
    page.goto(f"{service.url}/login?key={service.keys[bank]}&next={quote(target, safe='')}")


def test_the_report_shows_every_section_with_data_and_its_charts_drawn(
    browser_page, service, shared_enterprise, tmp_path
):
    page, outside = browser_page
    letter = hashlib.sha256(b"browser test letter").hexdigest()
    service.post(
        "bank_a",
        "/v1/authorisations",
        {
            "uscc": shared_enterprise,
            "purpose": "loan_application",
            "valid_from": str(date.today() - timedelta(days=1)),
            "valid_to": str(date.today() + timedelta(days=30)),
            "document_sha256": letter,
        },
    )
    # earlier queries about the enterprise, for its query record: bank_a's and a refused one
    assert service.get(
        "bank_a", f"/v1/enterprises/{shared_enterprise}", purpose="loan_application"
    ).ok
    assert (
        service.get(
            "bank_b", f"/v1/enterprises/{shared_enterprise}", purpose="guarantee_review"
        ).status_code
        == 403
    )
    _sign_in(page, service, "bank_a", f"/report/{shared_enterprise}?purpose=loan_application")
    assert page.url.startswith(f"{service.url}/report/{shared_enterprise}")
    assert "企业信用报告" in page.title()
    for section in SECTIONS:
        text = page.locator(f"#{section}").inner_text()
        assert len(text.strip()) > 10, section
    assert shared_enterprise in page.locator("#identity").inner_text()
    assert page.locator("#repayment td").count() > 3  # bank_a's own months
    record = page.locator("#queries").inner_text()
    assert "bank_a" in record and "其他机构" in record and "bank_b" not in record
    charts = page.locator("#three_tables svg")
    assert charts.count() == 3
    for i in range(3):
        lines = charts.nth(i).locator("polyline.series")
        assert lines.count() == 2  # the enterprise and its peers
        box = lines.first.bounding_box()
        assert box and box["width"] > 100  # drawn across the chart, not a point
    # Chinese labels render in a CJK font: a heading's glyphs are as wide as a CJK font makes them
    width = page.locator("#summary h2").evaluate("e => e.getBoundingClientRect().width")
    assert width > 40
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    english = page.goto(
        f"{service.url}/report/{shared_enterprise}?purpose=loan_application&lang=en"
    )
    assert english.status == 200 and "Enterprise credit report" in page.title()
    assert outside == []


def test_an_unauthorised_report_shows_the_403_page(browser_page, service, two_bank_marts):
    import duckdb

    page, outside = browser_page
    with duckdb.connect(str(two_bank_marts), read_only=True) as con:
        (stranger,) = con.execute(
            "select uscc from marts.dim_enterprise order by uscc desc limit 1"
        ).fetchone()
    _sign_in(page, service, "bank_b", f"/report/{stranger}?purpose=guarantee_review")
    assert page.locator("#refusal").is_visible()
    assert "403" in page.title()
    assert "no active authorisation" in page.locator("#refusal").inner_text()
    assert outside == []
