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
    "registry": "select * exclude (registry_updated_at) from marts.dim_enterprise where uscc = ?",
    "score": "select * exclude (_built_at) from marts.fct_credit_score where uscc = ? "
    "order by month desc limit 1",
    "score_history": "select period, score, grade from marts.fct_credit_score where uscc = ? "
    "order by month desc limit 24",
    "indicators": "select * exclude (_built_at) from marts.fct_credit_indicators where uscc = ? "
    "order by month desc limit 1",
    "warnings": "select * exclude (_built_at, affected_loan_ids, affected_loans, affected_exposure) "
    "from marts.fct_risk_warnings where uscc = ? order by first_seen_month desc, signal",
    "offers": "select * from marts.fct_credit_line_offers where uscc = ? "
    "and month = (select max(month) from marts.fct_credit_line_offers where uscc = ?) "
    "order by product_id",
    # repayment behaviour across banks, as a bureau shows it: no bank is named
    "repayment_summary": """
        select count(distinct bank_id) as banks, count(distinct bank_id || '/' || loan_id) as loans,
               sum(exposure) filter (where month = (select max(month) from marts.fct_loan_month))
                   as current_exposure,
               max(days_past_due) as worst_days_past_due_ever,
               count(distinct bank_id || '/' || loan_id) filter (where days_past_due >= 90)
                   as loans_ever_90_plus
        from marts.fct_loan_month where uscc = ?""",
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
    "months": """
        select period, electricity_kwh, water_m3, declared_revenue, tax_paid, insured_headcount,
               days_beyond_terms_paid
        from marts.fct_enterprise_month where uscc = ? order by month desc limit 24""",
    "peer_months": """
        select m.period, median(m.electricity_kwh) as electricity_kwh, median(m.water_m3) as water_m3,
               median(m.declared_revenue) as declared_revenue, median(m.tax_paid) as tax_paid
        from marts.fct_enterprise_month as m
        join marts.dim_enterprise as e using (uscc)
        where e.industry_section = (select industry_section from marts.dim_enterprise where uscc = ?)
          and e.size_class = (select size_class from marts.dim_enterprise where uscc = ?)
          and m.month >= (select max(month) from marts.fct_enterprise_month) - interval 23 month
        group by all order by m.period""",
    "public_records": """
        select record_type, started_on, ended_on, source, detail, amount, shown_until
        from marts.fct_public_records
        where uscc = ? and (shown_until is null or shown_until >= current_date)
        order by started_on desc""",
    "reasons": "select distinct reason_code, reason_text from reference.scorecard_bins "
    "where reason_code in (?, ?, ?) order by reason_code",
    "prospects": "select * from marts.rpt_prospects order by cluster_type, cluster_id, rank_in_cluster",
}


class Marts:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise MartsUnavailable(
                f"no published marts at {self.path}: run creditlake transform"
            ) from None
        stamp = (st.st_ino, st.st_mtime_ns)
        with self._lock:
            if stamp != self._stamp:
                # A database of its own per build, the file attached to it: duckdb.connect(path)
                # would hand back the instance already open on that path, the previous build.
                con = duckdb.connect(":memory:")
                quoted = str(self.path).replace("'", "''")
                con.execute(f"ATTACH '{quoted}' AS build (READ_ONLY)")
                con.execute("USE build")
                # nothing but the tables of this file: no files, no extensions, no settings
                con.execute("SET enable_external_access = false")
                con.execute("SET lock_configuration = true")
                self._con, self._stamp = con, stamp  # the old build closes with its last cursor
            return self._con

    def query(self, name: str, *params) -> list[dict]:
        cur = self._connection().cursor()
        cur.execute("USE build")  # a cursor starts in the in-memory database
        try:
            rel = cur.execute(QUERIES[name], params)
            columns = [d[0] for d in rel.description]
            return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]
        finally:
            cur.close()

    def build(self) -> str:
        """Which build answers: the published file's inode and time, for the audit params."""
        self._connection()
        return f"{self._stamp[0]}:{self._stamp[1]}"


class MartsUnavailable(RuntimeError):
    pass
