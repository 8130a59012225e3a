"""Where the service keeps its audit log and the authorisations: PostgreSQL when configured
(CREDITLAKE_SERVICE_DSN), else an embedded SQLite file under the warehouse.

On PostgreSQL the service connects as a role that may append to the audit log through one
function and nothing else (`creditlake audit init` sets it up as the owner); SQLite has no
roles, so triggers refuse UPDATE and DELETE there, and `creditlake audit verify` finds what
an edit of the file changes.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

GENESIS = "0" * 64

TABLES = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY, at TEXT NOT NULL, bank_id TEXT, purpose TEXT, uscc TEXT,
    endpoint TEXT NOT NULL, outcome TEXT NOT NULL, body TEXT NOT NULL,
    prev_hash TEXT NOT NULL, entry_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_uscc ON audit_log (uscc);
CREATE TABLE IF NOT EXISTS authorisations (
    id TEXT PRIMARY KEY, uscc TEXT NOT NULL, bank_id TEXT NOT NULL, purpose TEXT NOT NULL,
    valid_from TEXT NOT NULL, valid_to TEXT NOT NULL, document_sha256 TEXT NOT NULL,
    registered_at TEXT NOT NULL, revoked_at TEXT, revocation_sha256 TEXT
);
"""

SQLITE_SCHEMA = (
    TABLES
    + """
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
)

# The owner creates these once (creditlake audit init); the service role gets EXECUTE on the
# functions and rights on authorisations only.
POSTGRES_SCHEMA = (
    TABLES
    + """
CREATE OR REPLACE FUNCTION audit_append(
    p_at TEXT, p_bank_id TEXT, p_purpose TEXT, p_uscc TEXT, p_endpoint TEXT, p_outcome TEXT,
    p_body TEXT
) RETURNS TABLE (seq BIGINT, entry_hash TEXT)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    last_seq BIGINT;
    last_hash TEXT;
    new_hash TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('creditlake.audit_log'));  -- one chain, in order
    SELECT a.seq, a.entry_hash INTO last_seq, last_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0) + 1;
    last_hash := coalesce(last_hash, repeat('0', 64));
    new_hash := encode(sha256(convert_to(last_hash || chr(10) || last_seq || chr(10) || p_body, 'UTF8')), 'hex');
    INSERT INTO audit_log VALUES (last_seq, p_at, p_bank_id, p_purpose, p_uscc, p_endpoint,
                                  p_outcome, p_body, last_hash, new_hash);
    RETURN QUERY SELECT last_seq, new_hash;
END $$;
CREATE OR REPLACE FUNCTION audit_queries(p_uscc TEXT)
RETURNS TABLE (at TEXT, bank_id TEXT, purpose TEXT, endpoint TEXT, outcome TEXT)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT a.at, a.bank_id, a.purpose, a.endpoint, a.outcome FROM audit_log a
    WHERE a.uscc = p_uscc ORDER BY a.seq
$$;
REVOKE ALL ON audit_log FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_append(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_queries(TEXT) FROM PUBLIC;
"""
)


def chain_hash(prev_hash: str, seq: int, body: str) -> str:
    """The hash of entry `seq`: over the previous entry's hash, its place and its body."""
    return hashlib.sha256(f"{prev_hash}\n{seq}\n{body}".encode()).hexdigest()


class Store:
    """One connection, used under a lock: the chain is appended to one entry at a time."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.postgres = dsn.startswith(("postgresql://", "postgres://"))
        self._lock = threading.Lock()
        if self.postgres:
            import psycopg2

            self._con = psycopg2.connect(dsn)
            self._con.autocommit = True
        else:
            Path(dsn).parent.mkdir(parents=True, exist_ok=True)
            self._con = sqlite3.connect(dsn, check_same_thread=False, isolation_level=None)
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.executescript(SQLITE_SCHEMA)

    def close(self) -> None:
        self._con.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    @contextmanager
    def cursor(self):
        with self._lock:
            cur = self._con.cursor()
            try:
                yield cur
            finally:
                cur.close()

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.cursor() as cur:
            cur.execute(self._sql(sql), params)
            return cur.fetchall() if cur.description else []

    def append(self, at, bank_id, purpose, uscc, endpoint, outcome, body) -> tuple[int, str]:
        """Append one audit entry; returns (seq, entry_hash)."""
        if self.postgres:
            (row,) = self.execute(
                "SELECT * FROM audit_append(?, ?, ?, ?, ?, ?, ?)",
                (at, bank_id, purpose, uscc, endpoint, outcome, body),
            )
            return int(row[0]), row[1]
        with self.cursor() as cur:
            cur.execute("BEGIN IMMEDIATE")  # another process appending waits for this one
            try:
                last = cur.execute(
                    "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                entry_hash = chain_hash(prev, seq, body)
                cur.execute(
                    "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (seq, at, bank_id, purpose, uscc, endpoint, outcome, body, prev, entry_hash),
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return seq, entry_hash

    def queries_of(self, uscc: str) -> list[tuple]:
        """(at, bank_id, purpose, endpoint, outcome) of every audited request about `uscc`."""
        if self.postgres:
            return self.execute("SELECT * FROM audit_queries(?)", (uscc,))
        return self.execute(
            "SELECT at, bank_id, purpose, endpoint, outcome FROM audit_log WHERE uscc = ? "
            "ORDER BY seq",
            (uscc,),
        )


def init_postgres(owner_dsn: str, service_role: str) -> None:
    """Create the tables and functions as their owner; let `service_role` append to the audit
    log (through audit_append) and read the query record, and keep authorisations."""
    import psycopg2
    from psycopg2 import sql

    with psycopg2.connect(owner_dsn) as con, con.cursor() as cur:
        cur.execute(POSTGRES_SCHEMA)
        role = sql.Identifier(service_role)
        cur.execute(
            sql.SQL(
                "GRANT EXECUTE ON FUNCTION audit_append(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT), "
                "audit_queries(TEXT) TO {}"
            ).format(role)
        )
        cur.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON authorisations TO {}").format(role))
