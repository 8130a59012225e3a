"""The report's public records follow the 5-year rule: a negative record is shown while it
stands and for 5 years after it ends. The records are those the serving mart hands the
service: fct_public_records' shown_until, as JSON from a DuckDB file of its own."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb

from creditlake.service import report


def test_a_record_that_ended_more_than_five_years_ago_is_no_longer_shown(tmp_path):
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
    with duckdb.connect(str(tmp_path / "creditlake.duckdb")) as con:
        con.execute(
            "create table fct_public_records (record_type varchar, record_id varchar, "
            "started_on date, ended_on date, shown_until date)"
        )
        for kind, record_id, started, ended in rows:
            con.execute(
                "insert into fct_public_records values (?, ?, ?, ?, "
                "cast(cast(? as date) + interval 5 year as date))",
                [kind, record_id, started, ended, ended],
            )
        (doc,) = con.execute("select to_json(list(r)) from fct_public_records as r").fetchone()
    shown = report.shown_records(json.loads(doc), today.isoformat())
    assert sorted(r["record_type"] for r in shown) == ["dishonest_debtor", "penalty"]
    assert {r["started_on"] for r in shown} == {rows[1][2].isoformat(), rows[2][2].isoformat()}
