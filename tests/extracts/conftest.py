"""A small, hand-made loan book in real Iceberg bronze (SQLite catalog under tmp_path)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow as pa
import pytest

from creditlake.core import schemas
from creditlake.lakehouse.catalog import table

INGESTED = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)

# uscc, size_class, enterprise_type
ENTERPRISES = [
    ("91440300MA5DA0001A", "micro", "limited_company"),
    ("91440300MA5DA0002B", "small", "limited_company"),
    ("92440300MA5DA0003C", "micro", "individual_business"),
    ("91440300MA5DA0004D", "medium", "limited_company"),
    ("91440300MA5DA0005E", "small", "limited_company"),  # borrows above the boundary: not inclusive
]


def loan(
    loan_id,
    uscc,
    as_of,
    outstanding,
    limit,
    rate="0.0450",
    cls="normal",
    contract=date(2025, 3, 1),
    batch="b1",
):
    return {
        "loan_id": loan_id,
        "uscc": uscc,
        "product_id": "P01",
        "branch_id": "BR1",
        "contract_date": contract,
        "maturity_date": date(2028, 1, 1),
        "credit_limit": Decimal(limit),
        "outstanding_principal": Decimal(outstanding),
        "annual_rate": Decimal(rate),
        "collateral_type": "none",
        "guarantor": "张三",
        "classification": cls,
        "days_past_due": 0 if cls == "normal" else 120,
        "as_of_date": as_of,
        "_file_date": as_of,
        "_batch_id": batch,
        "_ingested_at": INGESTED,
        "_source": f"loans_{as_of:%Y%m%d}.csv.gz",
        "_record_hash": f"{loan_id}-{as_of}-{batch}",
    }


def base_loans() -> list[dict]:
    ye, me = date(2025, 12, 31), date(2026, 10, 31)
    u = [e[0] for e in ENTERPRISES]
    return [
        loan("L1", u[0], ye, "100000.00", "200000.00"),
        loan("L2", u[3], ye, "900000.00", "1000000.00"),
        loan("L1", u[0], me, "150000.00", "200000.00"),
        loan("L2", u[3], me, "900000.00", "1000000.00"),
        loan("L3", u[1], me, "300000.00", "500000.00", rate="0.0400", contract=date(2026, 2, 1)),
        loan("L4", u[2], me, "50000.00", "100000.00", cls="substandard", contract=date(2026, 5, 1)),
        loan("L5", u[4], me, "9000000.00", "12000000.00", contract=date(2026, 6, 1)),
    ]


def enterprise_rows() -> list[dict]:
    return [
        {
            "uscc": u,
            "name": "深圳某某有限公司",
            "legacy_reg_no": None,
            "enterprise_type": t,
            "size_class": s,
            "industry_code": "C3311",
            "region_code": "440305",
            "registered_capital": Decimal("1000000.00"),
            "established_on": date(2015, 1, 1),
            "status": "active",
            "address": None,
            "park_id": None,
            "legal_rep_name": "0" * 64,
            "legal_rep_id_no": None,
            "contact_phone": None,
            "updated_at": INGESTED,
            "_batch_id": "e1",
            "_ingested_at": INGESTED,
            "_source": "x",
            "_record_hash": u,
        }
        for u, s, t in ENTERPRISES
    ]


def append(dataset: str, rows: list[dict]) -> None:
    schema = schemas.bronze_schema(dataset)
    table(f"bronze.{dataset}", schema).append(pa.Table.from_pylist(rows, schema=schema))


@pytest.fixture
def loan_book():
    """The book in bronze; returns helpers to add more rows later."""
    from types import SimpleNamespace

    append("enterprises", enterprise_rows())
    append("loans", base_loans())
    return SimpleNamespace(append=append, loan=loan, enterprises=ENTERPRISES)


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []
    fail_first = 0

    def do_POST(self):  # noqa: N802 (http.server naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        message = BytesParser(policy=email_policy).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body
        )
        parts = {
            part.get_filename(): part.get_payload(decode=True) for part in message.iter_parts()
        }
        _Receiver.received.append({"period": self.headers["X-Creditlake-Period"], "parts": parts})
        self.send_response(201)
        self.end_headers()
        self.wfile.write(b'{"accepted": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.fail_first = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/extracts", _Receiver
    server.shutdown()
    server.server_close()
