"""The documentation opens on a closed network: GX's Data Docs, the dbt docs and the service's
Swagger UI, in a real browser allowed the loopback only, render with their scripts loaded
(tables the scripts build, operations Swagger UI lists) and make no request elsewhere."""

from __future__ import annotations

import pytest
from browser import needs_chromium, serving
from dbtworld import environment
from lakehouse_batches import AS_OF, good_record, make_batch

pytestmark = [pytest.mark.slow, needs_chromium]


def _only_loopback(traffic, failed_locally: tuple[str, ...] = ()) -> None:
    assert traffic.requests
    assert traffic.outside() == []
    assert [f for f in traffic.failed if not any(s in f for s in failed_locally)] == []


def test_data_docs_render_from_their_own_folder(browser_page, shared_warehouse):
    from creditlake.expectations import build_data_docs, validate

    page, traffic = browser_page
    rows = [good_record("penalties", i) for i in range(5)]
    rows[2]["amount"] = "-3.00"  # a failed expectation: its table lists the unexpected value
    validate("penalties", make_batch("penalties", rows).table, AS_OF)
    validate("taxpayers", make_batch("taxpayers", [good_record("taxpayers", 1)]).table, AS_OF)
    site = build_data_docs().parent
    assert "dataContextId" not in site.joinpath("index.html").read_text()
    with serving(site) as url:
        page.goto(f"{url}/index.html")
        # bootstrap-table's script makes the rows from the page's data: one per validation
        runs = page.locator(".ge-index-page-validation-results-table tbody tr[data-index]")
        assert runs.count() == 2
        assert "creditlake.penalties" in page.locator(".bootstrap-table").first.inner_text()
        runs.filter(has_text="penalties").first.click()  # the row's link, wired by GX's script
        page.wait_for_url("**/validations/creditlake/penalties/**")
        tables = page.locator(".bootstrap-table tbody tr[data-index]")
        tables.first.wait_for()
        assert tables.count() > 5
        assert "-3" in page.locator("body").inner_text()
    _only_loopback(traffic)


def test_dbt_docs_show_a_models_columns(browser_page, two_bank_marts):
    from creditlake import transform

    page, traffic = browser_page
    with environment({"CREDITLAKE_WAREHOUSE": str(two_bank_marts.parents[2])}):
        # the command the demo's summary prints, into the build's own target folder
        assert transform.run_dbt(["docs", "generate"], show_progress=False).success
        target = transform.warehouse_dir() / "marts" / "dbt" / "target"
    assert {"index.html", "manifest.json", "catalog.json"} <= {p.name for p in target.iterdir()}
    with serving(target) as url:
        page.goto(f"{url}/index.html#!/model/model.creditlake.dim_enterprise")
        columns = page.locator("column-details table")
        columns.first.wait_for()
        text = columns.first.inner_text()
        assert "uscc" in text.lower() and "varchar" in text.lower()  # catalog.json: types
    # dbt-docs asks its own server for two of its templates' strings before Angular fills
    # them in (an image's "{{ getIcon(...) }}", the favicon's "${require(...)}"): local 404s
    _only_loopback(traffic, failed_locally=(f"{url}/%7B%7B%20getIcon", f"{url}/$%7Brequire"))


def test_swagger_ui_lists_the_operations(browser_page, service):
    page, traffic = browser_page
    page.goto(f"{service.url}/docs")
    operations = page.locator(".opblock")
    operations.first.wait_for()
    assert operations.count() >= 8
    assert "/v1/enterprises/{uscc}" in page.locator(".swagger-ui").inner_text()
    _only_loopback(traffic)
