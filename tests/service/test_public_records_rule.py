"""The report's public records follow the 5-year rule: a negative record is shown while it
stands and for 5 years after it ends (the real query on a DuckDB file of its own)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from creditlake.service.marts import Marts


def test_a_record_that_ended_more_than_five_years_ago_is_no_longer_shown(tmp_path):
    path = tmp_path / "creditlake.duckdb"
    today = date.today()
    rows = [
        ("penalty", "P-old", today - timedelta(days=6 * 366), today - timedelta(days=6 * 366)),
        ("penalty", "P-recent", today - timedelta(days=4 * 365), today - timedelta(days=4 * 365)),
        ("dishonest_debtor", "D-standing", today - timedelta(days=9 * 365), None),
        (
            "tax_arrear",
            "T-settled-long-ago",
            today - timedelta(days=8 * 365),
            today - timedelta(days=7 * 365),
        ),
    ]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_public_records (uscc varchar, record_type varchar, record_id varchar, "
            "started_on date, ended_on date, source varchar, detail varchar, amount decimal(18,2), "
            "shown_until date)"
        )
        for kind, record_id, started, ended in rows:
            con.execute(
                "insert into marts.fct_public_records values ('U', ?, ?, ?, ?, null, null, 1, "
                "cast(cast(? as date) + interval 5 year as date))",
                [kind, record_id, started, ended, ended],
            )
    shown = Marts(path).query("public_records", "U")
    assert sorted(r["record_type"] for r in shown) == ["dishonest_debtor", "penalty"]
    assert {r["started_on"] for r in shown} == {rows[1][2], rows[2][2]}
