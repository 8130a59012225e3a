"""The bank service over a real two-bank world: authorisation before query, isolation between
banks, every request audited, tampering found, builds switched without a lock error."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from service_world import BANKS, start_service

pytestmark = pytest.mark.slow  # the session's two-bank world: about three minutes once

OWN_BOOK = ("/v1/book", "/v1/watchlist")  # the bank's own borrowers: post-loan management
LETTER = hashlib.sha256(b"the signed authorisation letter").hexdigest()
TODAY = date.today()


def _authorise(service, bank: str, uscc: str, purpose: str = "loan_application") -> dict:
    response = service.post(
        bank,
        "/v1/authorisations",
        {
            "uscc": uscc,
            "purpose": purpose,
            "valid_from": str(TODAY - timedelta(days=1)),
            "valid_to": str(TODAY + timedelta(days=90)),
            "document_sha256": LETTER,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def _other_enterprise(marts: Path, not_this: str) -> str:
    with duckdb.connect(str(marts), read_only=True) as con:
        return con.execute(
            "select uscc from marts.dim_enterprise where uscc <> ? and uscc not in "
            "(select uscc from marts.fct_loan_month) order by uscc limit 1",
            [not_this],
        ).fetchone()[0]


def _walk(doc, found: dict[str, set]) -> None:
    """Every value of every `bank_id` and `uscc` key anywhere in a JSON answer."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in ("bank_id", "uscc") and value is not None:
                found.setdefault(key, set()).add(value)
            _walk(value, found)
    elif isinstance(doc, list):
        for item in doc:
            _walk(item, found)


def test_every_endpoint_for_both_banks_shows_no_other_bank_and_no_unauthorised_enterprise(
    service, two_bank_marts, shared_enterprise
):
    app_routes = service.get(None, "/openapi.json").json()["paths"]
    gets = [p for p, ops in app_routes.items() if "get" in ops and p != "/healthz"]
    assert {
        "/v1/enterprises/{uscc}",
        "/v1/enterprises/{uscc}/loans",
        "/v1/book",
        "/v1/prospects",
        "/v1/watchlist",
        "/report/{uscc}",
    } <= set(gets)
    stranger = _other_enterprise(two_bank_marts, shared_enterprise)
    with duckdb.connect(str(two_bank_marts), read_only=True) as con:
        borrowers = {
            bank: {
                r[0]
                for r in con.execute(
                    "select distinct uscc from marts.fct_loan_month where bank_id = ? and exposure > 0 "
                    "and month = (select max(month) from marts.fct_loan_month where bank_id = ?)",
                    [bank, bank],
                ).fetchall()
            }
            for bank in BANKS
        }
    for bank in BANKS:
        _authorise(service, bank, shared_enterprise)
    for bank in BANKS:
        other = next(b for b in BANKS if b != bank)
        rows_seen = 0
        for path in gets:
            if "{uscc}" in path:
                refused = service.get(
                    bank, path.replace("{uscc}", stranger), purpose="loan_application"
                )
                assert refused.status_code == 403, (bank, path, refused.text[:200])
                assert stranger not in refused.text or "no active authorisation" in refused.text
                answer = service.get(
                    bank, path.replace("{uscc}", shared_enterprise), purpose="loan_application"
                )
            else:
                answer = service.get(bank, path)
            assert answer.status_code == 200, (bank, path, answer.text[:300])
            if answer.headers["content-type"].startswith("application/json"):
                found: dict[str, set] = {}
                _walk(answer.json(), found)
                assert other not in found.get("bank_id", set()), (bank, path)
                assert found.get("bank_id", {bank}) == {bank}, (bank, path, found.get("bank_id"))
                # an enterprise appears only under its authorisation, or as this bank's borrower
                allowed = {shared_enterprise} | (borrowers[bank] if path in OWN_BOOK else set())
                assert found.get("uscc", set()) <= allowed, (bank, path)
                rows_seen += len(answer.content)
            else:
                assert other not in answer.text and stranger not in answer.text, (bank, path)
        book = service.get(bank, "/v1/book").json()["loans"]
        assert book and {r["bank_id"] for r in book} == {bank}
        prospects = service.get(bank, "/v1/prospects").json()["prospects"]
        assert prospects and all(r["uscc"] in (None, shared_enterprise) for r in prospects)
        assert all(r["enterprise_name"] is None for r in prospects if r["uscc"] is None)
        loans = service.get(
            bank, f"/v1/enterprises/{shared_enterprise}/loans", purpose="loan_application"
        ).json()
        assert loans["loans"] and {r["bank_id"] for r in loans["loans"]} == {bank}
        assert rows_seen > 0


def test_a_query_needs_an_active_authorisation_for_that_bank_enterprise_and_purpose(
    service, two_bank_marts
):
    uscc = _other_enterprise(two_bank_marts, "")
    path = f"/v1/enterprises/{uscc}"
    assert service.get("bank_a", path, purpose="loan_application").status_code == 403
    auth = _authorise(service, "bank_a", uscc)
    assert service.get("bank_a", path, purpose="loan_application").status_code == 200
    assert (
        service.get("bank_a", path, purpose="guarantee_review").status_code == 403
    )  # other purpose
    assert service.get("bank_b", path, purpose="loan_application").status_code == 403  # other bank
    revoked = service.post(
        "bank_a", f"/v1/authorisations/{auth['id']}/revoke", {"evidence_sha256": LETTER}
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert service.get("bank_a", path, purpose="loan_application").status_code == 403
    # another bank cannot revoke (or see) bank_a's authorisation
    assert (
        service.post(
            "bank_b", f"/v1/authorisations/{auth['id']}/revoke", {"evidence_sha256": LETTER}
        ).status_code
        == 404
    )


def test_post_loan_management_holds_while_the_bank_has_a_loan_outstanding(
    service, two_bank_marts, shared_enterprise
):
    with duckdb.connect(str(two_bank_marts), read_only=True) as con:
        (only_a,) = con.execute(
            "select uscc from marts.fct_loan_month where month = (select max(month) from marts.fct_loan_month) "
            "and exposure > 0 group by uscc having min(bank_id) = 'bank_a' and max(bank_id) = 'bank_a' limit 1"
        ).fetchone()
    path = f"/v1/enterprises/{only_a}"
    assert service.get("bank_a", path, purpose="post_loan_management").status_code == 200
    assert service.get("bank_b", path, purpose="post_loan_management").status_code == 403


def test_every_request_is_audited_refusals_included(service, shared_enterprise):
    from creditlake.service import audit
    from creditlake.service.store import Store

    store = Store(service.cfg.store_dsn)
    before = len(audit.read_all(store))
    answers = [
        service.get(None, "/v1/book"),  # no key: 401
        service.get(
            "bank_a", "/v1/enterprises/91000000000000000X", purpose="loan_application"
        ),  # 422
        service.get("bank_a", f"/v1/enterprises/{shared_enterprise}", purpose="marketing"),  # 422
        service.get("bank_b", "/v1/book"),
        service.get(None, "/healthz"),
        service.get("bank_a", "/nowhere"),  # 404
    ]
    rows = audit.read_all(store)
    assert len(rows) == before + len(answers)
    assert [a.status_code for a in answers] == [401, 422, 422, 200, 200, 404]
    assert all(int(a.headers["X-Audit-Seq"]) > before for a in answers)
    last = rows[-len(answers) :]
    assert [r[2] for r in last] == [None, "bank_a", "bank_a", "bank_b", None, "bank_a"]  # bank_id
    body_of_book = answers[3].content
    assert hashlib.sha256(body_of_book).hexdigest() in last[3][7]  # the answer's sha256 is kept
    assert audit.verify(rows).ok
    store.close()


def test_rate_limit_per_bank_is_audited(two_bank_marts, tmp_path):
    service, server = start_service(tmp_path, two_bank_marts, rate_per_second=1.0, burst=3)
    try:
        codes = [service.get("bank_a", "/v1/book").status_code for _ in range(5)]
        assert codes[:3] == [200] * 3 and codes[3:] == [429, 429]
        assert service.get("bank_b", "/v1/book").status_code == 200  # the other bank's bucket
        # without a key, one bucket per address: guessing keys meets the limit as well
        anonymous = [service.get(None, "/v1/book").status_code for _ in range(5)]
        assert anonymous[:3] == [401] * 3 and anonymous[3:] == [429, 429]
    finally:
        server.should_exit = True


def _verify(cfg, dsn: str | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CREDITLAKE_SERVICE_BANKS": str(cfg.banks_file),
        "CREDITLAKE_AUDIT_KEY": cfg.audit_key,
        "CREDITLAKE_SERVICE_DSN": dsn or cfg.store_dsn,
        "CREDITLAKE_AUDIT_CHECKPOINTS": str(cfg.checkpoints),
    }
    cli = str(Path(sys.executable).parent / "creditlake")
    return subprocess.run(
        [cli, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "tamper, message",
    [
        ("UPDATE audit_log SET outcome = 'forbidden' WHERE seq = 5", "audit log broken at entry 5"),
        (
            "UPDATE audit_log SET body = replace(body, 'bank_b', 'bank_a') WHERE seq = 6",
            "audit log broken at entry 6",
        ),
        ("DELETE FROM audit_log WHERE seq = 7", "entry 7 is missing"),
        (
            "UPDATE audit_log SET seq = -seq WHERE seq IN (8, 9); UPDATE audit_log SET seq = 9 WHERE seq = -8; "
            "UPDATE audit_log SET seq = 8 WHERE seq = -9",
            "audit log broken at entry 8",
        ),
    ],
    ids=["outcome changed", "bank changed", "entry removed", "entries swapped"],
)
def test_tampering_with_one_entry_is_found_by_audit_verify(
    two_bank_marts, tmp_path, tamper, message
):
    service, server = start_service(tmp_path, two_bank_marts, checkpoint_every=0)
    try:
        for i in range(12):
            service.get(BANKS[i % 2], "/v1/book")
    finally:
        server.should_exit = True
    assert _verify(service.cfg).returncode == 0
    copy = tmp_path / "tampered.sqlite"
    with sqlite3.connect(service.cfg.store_dsn) as live, sqlite3.connect(copy) as dst:
        live.backup(dst)  # the log as committed (the live file keeps recent pages in its WAL)
    con = sqlite3.connect(copy)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE audit_log SET outcome = 'x' WHERE seq = 1")
    con.executescript(
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;" + tamper + ";"
    )
    con.commit()
    con.close()
    done = _verify(service.cfg, str(copy))
    assert done.returncode == 1 and message in done.stderr, done.stderr


def test_a_signed_checkpoint_catches_a_log_rewritten_from_the_start(two_bank_marts, tmp_path):
    from creditlake.service import audit
    from creditlake.service.store import Store, chain_hash

    service, server = start_service(tmp_path, two_bank_marts, checkpoint_every=5)
    try:
        for _ in range(6):
            service.get("bank_a", "/v1/book")
    finally:
        server.should_exit = True
    assert list(service.cfg.checkpoints.glob("checkpoint-*.json"))
    # rewrite entry 2 and re-chain everything after it: the chain holds, the checkpoint does not
    con = sqlite3.connect(service.cfg.store_dsn)
    con.executescript("DROP TRIGGER audit_log_no_update;")
    rows = con.execute("SELECT seq, body, prev_hash FROM audit_log ORDER BY seq").fetchall()
    prev = rows[0][2]
    for seq, body, _ in rows:
        if seq == 2:
            body = body.replace('"bank_id":"bank_a"', '"bank_id":"bank_b"')
        entry = chain_hash(prev, seq, body)
        con.execute(
            "UPDATE audit_log SET body = ?, prev_hash = ?, entry_hash = ?, bank_id = ? WHERE seq = ?",
            (body, prev, entry, "bank_b" if seq == 2 else "bank_a", seq),
        )
        prev = entry
    con.commit()
    con.close()
    assert audit.verify(audit.read_all(Store(service.cfg.store_dsn))).ok
    done = _verify(service.cfg)
    assert done.returncode == 1 and "no longer has the hash signed" in done.stderr, done.stderr


def test_a_new_build_published_under_load_is_switched_to_without_an_error(two_bank_marts, tmp_path):
    """creditlake.transform.publish renames a new file into place while requests run."""
    from creditlake.transform import publish

    source, published = tmp_path / "build.duckdb", tmp_path / "published" / "creditlake.duckdb"
    shutil.copyfile(two_bank_marts, source)  # a build of our own: publish checkpoints it
    published.parent.mkdir()
    shutil.copyfile(source, published)
    service, server = start_service(tmp_path, published)
    stop, errors, answers = threading.Event(), [], []

    def client():
        while not stop.is_set():
            r = service.get("bank_a", "/v1/book")
            (answers if r.status_code == 200 else errors).append(r.status_code)

    try:
        with ThreadPoolExecutor(4) as pool:
            for _ in range(4):
                pool.submit(client)
            for _ in range(3):
                time.sleep(0.5)
                publish(source, published)  # the same rows, a new file each time
            time.sleep(0.5)
            stop.set()
    finally:
        server.should_exit = True
    assert errors == [] and len(answers) > 10
    from creditlake.service import audit
    from creditlake.service.store import Store

    rows = audit.read_all(Store(service.cfg.store_dsn))
    builds = [json.loads(r[7])["params"]["marts_build"] for r in rows]
    assert len(set(builds)) >= 2  # answered from the new builds as they were published


@pytest.mark.postgres
def test_on_postgres_the_service_role_may_only_append_and_verify_finds_a_change(
    two_bank_marts, tmp_path
):
    import psycopg2

    from creditlake.devtools.cluster import fresh_postgres_database
    from creditlake.service.store import init_postgres

    role = "creditlake_service_test"
    with fresh_postgres_database("creditlake_audit") as db:
        owner = f"postgresql://postgres@127.0.0.1:5432/{db}"
        with psycopg2.connect(owner) as con, con.cursor() as cur:
            cur.execute(f"DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN")
        try:
            init_postgres(owner, role)
            dsn = f"postgresql://{role}@127.0.0.1:5432/{db}"
            service, server = start_service(tmp_path, two_bank_marts, store_dsn=dsn)
            try:
                for i in range(6):
                    assert service.get(BANKS[i % 2], "/v1/book").status_code == 200
                assert service.get(None, "/v1/book").status_code == 401  # audited as well
            finally:
                server.should_exit = True
            as_service = psycopg2.connect(dsn)
            as_service.autocommit = True
            for statement in (
                "UPDATE audit_log SET outcome = 'x'",
                "DELETE FROM audit_log",
                "SELECT * FROM audit_log",
                "INSERT INTO audit_log VALUES (99, '', '', '', '', '', '', '', '', '')",
            ):
                with (
                    as_service.cursor() as cur,
                    pytest.raises(psycopg2.errors.InsufficientPrivilege),
                ):
                    cur.execute(statement)
            as_service.close()
            assert _verify(service.cfg, owner).returncode == 0
            with psycopg2.connect(owner) as con, con.cursor() as cur:
                cur.execute("UPDATE audit_log SET purpose = 'loan_application' WHERE seq = 3")
            done = _verify(service.cfg, owner)
            assert done.returncode == 1 and "audit log broken at entry 3" in done.stderr, (
                done.stderr
            )
        finally:
            with psycopg2.connect(owner) as con, con.cursor() as cur:
                cur.execute(f"DROP OWNED BY {role}")
    admin = psycopg2.connect(dbname="postgres", host="127.0.0.1", user="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP ROLE IF EXISTS {role}")  # after its database is gone
    admin.close()
