"""The real bank service for tests: uvicorn on a loopback port over a marts file, with a bank
file of fresh keys and the embedded audit store in a folder of the test's own."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import requests
import uvicorn

BANKS = ("bank_a", "bank_b")


class Service:
    def __init__(self, url: str, keys: dict[str, str], cfg):
        self.url, self.keys, self.cfg = url, keys, cfg

    def get(self, bank: str | None, path: str, **params) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.keys[bank]}"} if bank else {}
        return requests.get(self.url + path, params=params, headers=headers, timeout=30)

    def post(self, bank: str, path: str, doc: dict) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.keys[bank]}"}
        return requests.post(self.url + path, json=doc, headers=headers, timeout=30)


def start_service(tmp: Path, marts: Path, **overrides) -> tuple[Service, uvicorn.Server]:
    from creditlake.service.app import create_app
    from creditlake.service.cli import write_bank_file
    from creditlake.service.settings import ServiceSettings

    keys = write_bank_file(tmp / "banks.toml", list(BANKS))
    cfg = ServiceSettings(
        **{
            "banks_file": tmp / "banks.toml",
            "store_dsn": str(tmp / "service.sqlite"),
            "audit_key": "test-audit-key",
            "marts": marts,
            "checkpoints": tmp / "checkpoints",
            "checkpoint_every": 50,
            "rate_per_second": 1000.0,
            "burst": 1000,
            **overrides,
        }
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    return Service(f"http://127.0.0.1:{port}", keys, cfg), server
