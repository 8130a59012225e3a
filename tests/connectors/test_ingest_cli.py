"""`creditlake ingest` failures: one clear line, non-zero exit, no traceback."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from creditlake.connectors.cli import app


def test_missing_configuration_names_the_variable(monkeypatch):
    for part in ("BASE_URL", "CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.delenv(f"CREDITLAKE_SOCIAL_SECURITY_{part}", raising=False)
    result = CliRunner().invoke(app, ["social-security"])
    assert result.exit_code == 1
    assert "CREDITLAKE_SOCIAL_SECURITY_BASE_URL" in result.output
    assert "Traceback" not in result.output


def test_closed_port_names_platform_and_cause(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CREDITLAKE_COMMERCE_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("CREDITLAKE_COMMERCE_CLIENT_ID", "id")
    monkeypatch.setenv("CREDITLAKE_COMMERCE_CLIENT_SECRET", "very-secret")
    result = CliRunner().invoke(app, ["commerce", "--dataset", "penalties"])
    assert result.exit_code == 1
    assert "commerce" in result.output and "connection refused" in result.output
    assert "very-secret" not in result.output and "Traceback" not in result.output


def test_unknown_dataset_is_a_clear_error():
    result = CliRunner().invoke(app, ["tax", "--dataset", "invoices"])
    assert result.exit_code == 1 and "tax has no dataset 'invoices'" in result.output
