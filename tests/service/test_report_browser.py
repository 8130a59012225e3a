"""The credit report in a real browser: Debian's chromium driven by Playwright (launched by
path, no browser download), signed in as a bank through the login link the demo prints."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from browser import needs_chromium

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

pytestmark = [pytest.mark.slow, needs_chromium]


def _sign_in(page, service, bank: str, target: str) -> None:
    page.goto(f"{service.url}/login?key={service.keys[bank]}&next={quote(target, safe='')}")


def test_the_report_shows_every_section_with_data_and_its_charts_drawn(
    browser_page, service, shared_enterprise, tmp_path
):
    page, traffic = browser_page
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
    # every line stays inside its chart, negative values (days beyond terms: paid early) too
    for svg in page.locator("svg").all():
        frame = svg.bounding_box()
        for line in svg.locator("polyline.series").all():
            box = line.bounding_box()
            assert (
                frame["y"] - 1 <= box["y"]
                and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1
            )
    # Chinese labels render in a CJK font: a heading's glyphs are as wide as a CJK font makes them
    width = page.locator("#summary h2").evaluate("e => e.getBoundingClientRect().width")
    assert width > 40
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    english = page.goto(
        f"{service.url}/report/{shared_enterprise}?purpose=loan_application&lang=en"
    )
    assert english.status == 200 and "Enterprise credit report" in page.title()
    assert traffic.outside() == []


def test_an_unauthorised_report_shows_the_403_page(browser_page, service, two_bank_marts):
    import duckdb

    page, traffic = browser_page
    with duckdb.connect(str(two_bank_marts), read_only=True) as con:
        (stranger,) = con.execute(
            "select uscc from marts.dim_enterprise order by uscc desc limit 1"
        ).fetchone()
    _sign_in(page, service, "bank_b", f"/report/{stranger}?purpose=guarantee_review")
    assert page.locator("#refusal").is_visible()
    assert "403" in page.title()
    assert "no active authorisation" in page.locator("#refusal").inner_text()
    assert traffic.outside() == []
