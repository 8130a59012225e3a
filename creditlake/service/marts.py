"""Reads of the published marts: a read-only, locked-down DuckDB connection on the published
copy, switched when a new build is published.

`creditlake.transform.publish` replaces the published file by a rename, so an open connection
keeps reading the build it opened (its inode) while a new connection sees the new one: each
request takes the connection of the newest build once, and never sees half of two builds.
No writer ever holds the published file, so a read never meets DuckDB's lock.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb

# What one enterprise's shared credit view and a bank's own book read. Every query is fixed;
# the only inputs are bound parameters (a bank never sends SQL).
QUERIES = {
    # documents the build assembled once (models/marts/serving): a point lookup each
    "credit_view": "select credit_view from marts.srv_credit_view where uscc = ?",
    "report_panels": "select months, offers, public_records from marts.srv_report_panels "
    "where uscc = ?",
    "offers": "select offers from marts.srv_report_panels where uscc = ?",
    "peer_months": "select peer_months from marts.srv_peer_months "
    "where industry_section = ? and size_class = ?",
    "own_loans": """
        select * exclude (_built_at) from marts.fct_loan_month
        where bank_id = ? and uscc = ? order by loan_id, month desc""",
    "own_repayment_months": """
        select period, sum(exposure) as exposure, max(days_past_due) as days_past_due
        from marts.fct_loan_month where bank_id = ? and uscc = ? group by all order by period""",
    "outstanding": """
        select count(*) as loans from marts.fct_loan_month
        where bank_id = ? and uscc = ? and exposure > 0
          and month = (select max(month) from marts.fct_loan_month where bank_id = ?)""",
    "book": """
        select * exclude (_built_at) from marts.fct_loan_month
        where bank_id = ? and month = (select max(month) from marts.fct_loan_month where bank_id = ?)
        order by loan_id""",
    "watchlist": """
        select * exclude (_built_at, affected_loan_ids, affected_loans, affected_exposure)
        from marts.fct_risk_warnings
        where status <> 'resolved' and uscc in (
            select uscc from marts.fct_loan_month
            where bank_id = ? and exposure > 0
              and month = (select max(month) from marts.fct_loan_month where bank_id = ?))
        order by level desc, first_seen_month desc, uscc""",
    "prospects": "select * from marts.rpt_prospects order by cluster_type, cluster_id, rank_in_cluster",
}


class Build:
    """One published build, read through its own locked-down connection. A request reads all
    its rows from one Build, so it never sees half of two builds."""

    def __init__(self, con: duckdb.DuckDBPyConnection, stamp: tuple[int, int]):
        self._con = con
        self._cursors = threading.local()  # one per thread, kept: `USE build` costs a lookup's time
        self.stamp = stamp  # the file's inode and modification time
        self.id = f"{stamp[0]}:{stamp[1]}"  # for the audit params

    def query(self, name: str, *params) -> list[dict]:
        return self._run(name, params, lambda rel: [
            dict(zip([d[0] for d in rel.description], row, strict=True)) for row in rel.fetchall()
        ])  # fmt: skip

    def document(self, name: str, *params) -> str | None:
        """The JSON document a serving mart holds for `params`, as text, or None."""
        return self._run(name, params, lambda rel: (rel.fetchone() or [None])[0])

    def _run(self, name: str, params: tuple, fetch):
        cur = getattr(self._cursors, "cursor", None)
        if cur is None:
            cur = self._cursors.cursor = self._con.cursor()
            cur.execute("USE build")  # a cursor starts in the in-memory database
        return fetch(cur.execute(QUERIES[name], params))


class Marts:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._build: Build | None = None

    def current(self) -> Build:
        """The newest published build (opened once; the previous one closes with its last
        reader)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise MartsUnavailable(
                f"no published marts at {self.path}: run creditlake transform"
            ) from None
        stamp = (st.st_ino, st.st_mtime_ns)
        with self._lock:
            if self._build is None or stamp != self._build.stamp:
                # A database of its own per build, the file attached to it: duckdb.connect(path)
                # would hand back the instance already open on that path, the previous build.
                con = duckdb.connect(":memory:")
                quoted = str(self.path).replace("'", "''")
                con.execute(f"ATTACH '{quoted}' AS build (READ_ONLY)")
                con.execute("USE build")
                # nothing but the tables of this file: no files, no extensions, no settings
                con.execute("SET enable_external_access = false")
                con.execute("SET lock_configuration = true")
                self._build = Build(con, stamp)
            return self._build


class MartsUnavailable(RuntimeError):
    pass
