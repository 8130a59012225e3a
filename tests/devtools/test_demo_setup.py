"""The demo's set-up path, for real: it chooses its settings from a shell that holds another
deployment's (wrong credentials, a real warehouse, a pager), generates a small world, starts its
simulator as a child process, and the pipeline then logs in and pulls a page from every platform."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from creditlake.connectors.http import PlatformClient
from creditlake.connectors.settings import platform_settings
from creditlake.connectors.sources import platform_sources
from creditlake.core.config import environment
from creditlake.core.contract import API_PLATFORMS
from creditlake.devtools import demo


def test_the_demo_uses_its_own_simulators_credentials_whatever_the_shell_holds(tmp_path):
    production = tmp_path / "production-warehouse"
    production.mkdir()
    (production / "catalog.db").write_text("not the demo's")
    shell = {
        **os.environ,
        "CREDITLAKE_TAX_CLIENT_ID": "nope",
        "CREDITLAKE_TAX_CLIENT_SECRET": "nope",
        "CREDITLAKE_COMMERCE_BASE_URL": "https://commerce.example.gov.cn",
        "CREDITLAKE_WAREHOUSE": str(production),
        "CREDITLAKE_ALERT_WEBHOOK": "https://pager.example/hook",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "CREDITLAKE_DEMO_UI_PORT": "8099",
    }
    root = tmp_path / "demo"
    root.mkdir()
    log_path = root / "demo.log"
    with demo.Supervisor() as sup, log_path.open("ab") as log:
        setup = demo.prepare(
            sup, root, shell, log, log_path, fresh=True, seed=7, enterprises=10, months=13
        )
        simulator = setup.simulator.proc
        env = setup.environment
        assert {
            "CREDITLAKE_TAX_CLIENT_ID",
            "CREDITLAKE_TAX_CLIENT_SECRET",
            "CREDITLAKE_COMMERCE_BASE_URL",
            "CREDITLAKE_WAREHOUSE",
            "CREDITLAKE_ALERT_WEBHOOK",
            "AIRFLOW__CORE__EXECUTOR",
        } <= set(setup.ignored)
        assert (
            "CREDITLAKE_DEMO_UI_PORT" not in setup.ignored and env["AIRFLOW__API__PORT"] == "8099"
        )
        assert env["CREDITLAKE_WAREHOUSE"] == str(root / "warehouse")
        assert (
            env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
            and "CREDITLAKE_ALERT_WEBHOOK" not in env
        )
        assert env["CREDITLAKE_TAX_CLIENT_ID"] == "tax-client"

        # The pipeline's view of the settings is exactly the children's environment.
        with environment({k: v for k, v in env.items() if k.startswith("CREDITLAKE_")}):
            since = datetime(1970, 1, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z")
            for platform in API_PLATFORMS:
                src = platform_sources(platform.name)[0]
                with PlatformClient(platform_settings(platform.name), src.prefix) as client:
                    page = client.get_json(src.path, {"updated_since": since, "page_size": 1})
                assert page.doc["dataset"] == src.name and len(page.doc["data"]) == 1, platform.name
        assert simulator.poll() is None
    assert simulator.poll() is not None  # the supervisor ended it on the way out
    assert (
        production / "catalog.db"
    ).read_text() == "not the demo's"  # a fresh demo deletes only its own
    assert "export CREDITLAKE_TAX_CLIENT_ID='tax-client'" in (root / "env.sh").read_text()
