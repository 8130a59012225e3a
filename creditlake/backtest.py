"""Backtest: the pipeline's scores, warnings and identity map against the simulator's truth.

This is the only code that reads the truth files (DIR/truth/*.parquet); the pipeline never
does. Protocol (docs/backtest.md):

Score. Cohort month T = the as-of month minus 12 (so the whole outcome window lies in the
data). Population: enterprises with a loan outstanding at T and not yet in default (default =
the truth's default_period, the first month at 90+ days past due). Outcome: default in
T+1..T+12. Reported: AUC (probability a defaulter scores lower than a non-defaulter, ties
half) and KS (largest gap between the cumulative score distributions).

Warnings. A warning is a red episode of fct_risk_warnings, or an amber one lasting at least
two months (single amber months are a watch list, not a warning). A warning counts from the
month its data is published: raised_month = first_seen_month + 1 (monthly data for month m
arrives during m+1). Recall: defaulters whose default month D lies in the warning-evaluation
window (the 13th month of data onwards, so every signal has a year of history) and who had a
warning raised in D-12..D-1; lead time = D - the earliest such raised_month, median reported.
Precision: of all enterprises with a warning raised in the evaluation window, the share that
defaulted or carry a planted risk (truth: distressed, which includes the fraud story's
over-declared revenue, or the core enterprise of their chain is distressed). An honest
over-declarer that keeps paying is a false alarm.

Identity. Over the truth's identifiers that the source gave without a uscc (uscc_missing) and
over all of them: precision = correct / resolved, recall = correct / all.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from creditlake.model.metrics import auc_ks


def _months(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def _period(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def run(marts_db: str | Path, truth_dir: str | Path) -> dict:
    """Compare the marts in `marts_db` with the truth in `truth_dir`; returns the figures."""
    import duckdb

    truth_dir = Path(truth_dir)
    con = duckdb.connect(str(marts_db), read_only=True)
    try:
        con.execute(
            f"CREATE TEMP VIEW truth_enterprises AS SELECT * FROM read_parquet('{truth_dir / 'enterprises.parquet'}')"
        )
        con.execute(
            f"CREATE TEMP VIEW truth_identity AS SELECT * FROM read_parquet('{truth_dir / 'identity.parquet'}')"
        )
        first, last = con.execute(
            "SELECT min(period), max(period) FROM marts.fct_credit_score"
        ).fetchone()
        result = {"first_period": first, "as_of_period": last}
        result["score"] = _score(con, _period(_months(last) - 12))
        result["score_6m"] = _score(con, _period(_months(last) - 12), horizon=6)
        # Every card side by side: at the cohort inside the data, and at the data's last month
        # against the defaults of the 12 months the pipeline never saw (when the truth has them).
        result["cards"] = {
            "within_data": _cards(con, _period(_months(last) - 12)),
            "beyond_data": _cards(con, last),
        }
        result["warnings"] = _warnings(con, _period(_months(first) + 12), last)
        result["identity"] = _identity(con)
    finally:
        con.close()
    return result


def _score(con, cohort: str, horizon: int = 12) -> dict:
    rows = con.execute(
        """
        WITH borrowers AS (
            SELECT DISTINCT uscc FROM marts.fct_loan_month WHERE period = $cohort AND exposure > 0
        )
        SELECT s.score,
               coalesce(t.default_period > $cohort
                        AND t.default_period <= strftime(strptime($cohort || '-01', '%Y-%m-%d')
                                                         + to_months($horizon), '%Y-%m'),
                        false) AS defaulted,
               coalesce(t.onset_period > $cohort, false) AS onset_after_cohort
        FROM marts.fct_credit_score AS s
        JOIN borrowers USING (uscc)
        JOIN truth_enterprises AS t USING (uscc)
        WHERE s.period = $cohort AND (t.default_period IS NULL OR t.default_period > $cohort)
    """,
        {"cohort": cohort, "horizon": horizon},
    ).fetchall()
    scores, labels = [r[0] for r in rows], [bool(r[1]) for r in rows]
    auc, ks = auc_ks(scores, labels)
    # Diagnostic only: defaulters whose planted distress began after T show nothing at T.
    unforeseeable = sum(1 for r in rows if r[1] and r[2])
    return {
        "cohort_period": cohort,
        "horizon_months": horizon,
        "population": len(rows),
        "defaults": sum(labels),
        "defaults_with_onset_after_cohort": unforeseeable,
        "auc": round(auc, 4),
        "ks": round(ks, 4),
    }


def _cards(con, cohort: str, horizon: int = 12) -> list[dict]:
    """Each card of int_scorecard__cards applied to the cohort's performing borrowers
    (fct_scorecard_observations), ranked against the truth's defaults in the next `horizon`
    months. Empty when the truth does not reach past the cohort."""
    from creditlake.model.run import first, load_card

    (truth_last,) = first(con, "SELECT max(default_period) FROM truth_enterprises")
    if truth_last is None or truth_last <= cohort:
        return []
    obs = cohort_observations(con, cohort, horizon)
    (in_use,) = first(con, "SELECT scorecard_version FROM intermediate.int_scorecard__champion")
    labels = obs.column("truth_defaulted").to_pylist()
    out = []
    for version, kind in con.execute(
        "SELECT DISTINCT scorecard_version, card_kind FROM intermediate.int_scorecard__cards "
        "ORDER BY card_kind, scorecard_version"
    ).fetchall():
        auc, ks = auc_ks(load_card(con, version).score(obs), labels)
        out.append(
            {
                "card": version,
                "kind": kind,
                "in_use": version == in_use,
                "cohort_period": cohort,
                "population": obs.num_rows,
                "defaults": sum(labels),
                "auc": round(auc, 4),
                "ks": round(ks, 4),
            }
        )
    return out


def cohort_observations(con, cohort: str, horizon: int = 12):
    """The cohort's performing borrowers (fct_scorecard_observations) not in default per the
    truth, with truth_defaulted: default in the `horizon` months after."""
    return con.sql(
        """
        SELECT o.*,
               coalesce(t.default_period > $cohort
                        AND t.default_period <= strftime(strptime($cohort || '-01', '%Y-%m-%d')
                                                         + to_months($horizon), '%Y-%m'),
                        false) AS truth_defaulted
        FROM marts.fct_scorecard_observations AS o
        JOIN truth_enterprises AS t USING (uscc)
        WHERE o.period = $cohort AND (t.default_period IS NULL OR t.default_period > $cohort)
        ORDER BY o.uscc
        """,
        params={"cohort": cohort, "horizon": horizon},
    ).to_arrow_table()


WARNINGS_SQL = """
    SELECT uscc, signal, level,
           strftime(first_seen_month + INTERVAL 1 MONTH, '%Y-%m') AS raised_period
    FROM marts.fct_risk_warnings
    WHERE level = 'red' OR months_active >= 2
"""


def _warnings(con, window_start: str, last: str) -> dict:
    con.execute(f"CREATE TEMP VIEW warnings AS {WARNINGS_SQL}")
    caught = con.execute(
        """
        WITH defaulters AS (
            SELECT uscc, default_period FROM truth_enterprises
            WHERE default_period IS NOT NULL AND default_period >= $start AND default_period <= $last
        )
        SELECT d.uscc, d.default_period, min(w.raised_period) AS earliest
        FROM defaulters AS d
        LEFT JOIN warnings AS w
          ON w.uscc = d.uscc
         AND w.raised_period < d.default_period
         AND w.raised_period >= strftime(strptime(d.default_period || '-01', '%Y-%m-%d') - INTERVAL 12 MONTH, '%Y-%m')
        GROUP BY ALL
    """,
        {"start": window_start, "last": last},
    ).fetchall()
    leads = sorted(_months(d) - _months(e) for _, d, e in caught if e is not None)
    warned = con.execute(
        """
        SELECT count(DISTINCT w.uscc),
               count(DISTINCT w.uscc) FILTER (WHERE t.distressed OR t.default_period IS NOT NULL
                                              OR coalesce(t.core_distressed, false))
        FROM warnings AS w JOIN truth_enterprises AS t USING (uscc)
        WHERE w.raised_period >= $start
    """,
        {"start": window_start},
    ).fetchone()
    by_signal = dict(
        con.execute(
            """
        SELECT signal, count(DISTINCT uscc) FROM warnings WHERE raised_period >= $start GROUP BY 1 ORDER BY 1
    """,
            {"start": window_start},
        ).fetchall()
    )
    median = (
        leads[len(leads) // 2]
        if len(leads) % 2
        else (sum(leads[len(leads) // 2 - 1 : len(leads) // 2 + 1]) / 2 if leads else None)
    )
    return {
        "window_start": window_start,
        "defaulters": len(caught),
        "caught": len(leads),
        "recall": round(len(leads) / len(caught), 4) if caught else None,
        "median_lead_months": median,
        "warned_enterprises": warned[0],
        "warned_true_positives": warned[1],
        "precision": round(warned[1] / warned[0], 4) if warned[0] else None,
        "warned_by_signal": by_signal,
    }


def _identity(con) -> dict:
    # invoice buyers are identified per invoice in the truth and per buyer name in the map
    con.execute("""
        CREATE TEMP VIEW predicted AS
        SELECT source, source_id, uscc FROM marts.identity_map WHERE source <> 'invoice_buyer'
        UNION ALL
        SELECT 'invoice_buyer', i.invoice_no, coalesce(i.buyer_uscc, m.uscc)
        FROM staging.stg_supply_chain__invoices AS i
        LEFT JOIN marts.identity_map AS m ON m.source = 'invoice_buyer' AND m.source_id = i.buyer_name
    """)
    # only identifiers the pipeline has received (the truth also lists records of future days)
    con.execute("""
        CREATE TEMP VIEW received AS
        SELECT 'invoice_buyer' AS source, invoice_no AS source_id FROM staging.stg_supply_chain__invoices
        UNION ALL SELECT 'utility_account', account_no FROM staging.stg_utility__utility_accounts
        UNION ALL SELECT 'legacy_reg_no', legacy_reg_no FROM staging.stg_commerce__enterprises WHERE legacy_reg_no IS NOT NULL
        UNION ALL SELECT 'legacy_reg_no', taxpayer_id FROM staging.stg_tax__taxpayers WHERE length(taxpayer_id) = 15
    """)
    out = {}
    for scope, where in (
        ("without_source_uscc", "coalesce(t.uscc_missing, true)"),
        ("all", "true"),
    ):
        rows = con.execute(f"""
            SELECT t.source, count(*) AS total, count(p.uscc) AS resolved,
                   count(*) FILTER (WHERE p.uscc = t.uscc) AS correct
            FROM truth_identity AS t
            LEFT JOIN predicted AS p ON p.source = t.source AND p.source_id = t.source_id
            WHERE {where} AND (t.source, t.source_id) IN (SELECT (source, source_id) FROM received)
            GROUP BY t.source ORDER BY t.source
        """).fetchall()
        total = sum(r[1] for r in rows)
        resolved = sum(r[2] for r in rows)
        correct = sum(r[3] for r in rows)
        out[scope] = {
            "precision": round(correct / resolved, 4) if resolved else None,
            "recall": round(correct / total, 4) if total else None,
            "by_source": {r[0]: {"total": r[1], "resolved": r[2], "correct": r[3]} for r in rows},
        }
    return out


def report(result: dict) -> str:
    s, s6, w, i = (
        result["score"],
        result["score_6m"],
        result["warnings"],
        result["identity"]["without_source_uscc"],
    )
    lines = [
        f"data {result['first_period']}..{result['as_of_period']}",
        f"score      cohort {s['cohort_period']}: {s['population']} borrowers, {s['defaults']} defaults in 12 months"
        f" ({s['defaults_with_onset_after_cohort']} of them with distress starting after the cohort month);"
        f" AUC {s['auc']:.3f} (target >= 0.80), KS {s['ks']:.3f}",
        f"           same cohort, default within 6 months: {s6['defaults']} defaults"
        f" ({s6['defaults_with_onset_after_cohort']} starting after); AUC {s6['auc']:.3f}, KS {s6['ks']:.3f}",
        f"warnings   from {w['window_start']}: recall {w['recall']} ({w['caught']}/{w['defaulters']} defaulters, target >= 0.85),"
        f" median lead {w['median_lead_months']} months (target >= 3), precision {w['precision']}"
        f" ({w['warned_true_positives']}/{w['warned_enterprises']} warned, target >= 0.5)",
        f"identity   (identifiers given without uscc) precision {i['precision']} (target >= 0.99), recall {i['recall']} (target >= 0.95)",
    ]
    for scope, rows in result["cards"].items():
        for c in rows:
            lines.append(
                f"card       {c['card']} ({c['kind']}{', in use' if c['in_use'] else ''}), "
                f"{scope.replace('_', ' ')}, cohort {c['cohort_period']}: {c['population']} borrowers, "
                f"{c['defaults']} defaults in 12 months; AUC {c['auc']:.3f}, KS {c['ks']:.3f}"
            )
    for source, c in i["by_source"].items():
        lines.append(
            f"           {source}: {c['correct']}/{c['total']} correct, {c['resolved']} resolved"
        )
    return "\n".join(lines)


def command(
    marts: Path = typer.Option(
        None, help="Marts DuckDB file (default: the published marts under the warehouse)"
    ),
    truth: Path = typer.Option(..., help="The simulator's truth folder (DIR/truth)"),
    json_out: bool = typer.Option(False, "--json", help="Print the figures as JSON"),
) -> None:
    """Compare scores, warnings and identity resolution with the simulator's truth (creditlake backtest)."""
    from creditlake.transform import published_db

    marts = marts or published_db()
    for path in (marts, truth / "enterprises.parquet", truth / "identity.parquet"):
        if not path.exists():
            typer.echo(f"missing {path}", err=True)
            raise typer.Exit(2)
    result = run(marts, truth)
    typer.echo(json.dumps(result, indent=2, default=str) if json_out else report(result))
