"""The end-of-demo summary: rows per layer, quarantine by reason, warnings, extract, how-tos."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from creditlake.core.config import warehouse_dir
from creditlake.core.contract import DATASETS, PLATFORMS
from creditlake.transform import dbt_project, published_db


def landing_counts() -> dict:
    root = warehouse_dir() / "landing"
    files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def bronze_counts() -> dict[str, int]:
    from creditlake.lakehouse.catalog import table

    counts = {}
    for dataset in DATASETS:
        tbl = table(f"bronze.{dataset}")
        snap = tbl.current_snapshot() if tbl is not None else None
        counts[dataset] = (
            int(snap.summary.additional_properties.get("total-records", 0))
            if snap and snap.summary
            else 0
        )
    return counts


def quarantine_reasons() -> Counter:
    from creditlake.lakehouse.read import quarantine

    reasons: Counter = Counter()
    for platform in PLATFORMS:
        for codes in quarantine(platform).column("reason_codes").to_pylist():
            for code in (codes or "unknown").split(","):
                reasons[code.strip()] += 1
    return reasons


def marts_counts() -> tuple[dict[str, int], list[tuple]]:
    """Rows per model in the published marts copy, and warnings by signal and level."""
    import duckdb

    path = published_db()
    if not path.exists():
        return {}, []
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('bronze', 'information_schema') and table_type = 'BASE TABLE' "
            "order by 1, 2"
        ).fetchall()
        counts = {
            f"{s}.{t}": con.sql(f'select count(*) from "{s}"."{t}"').fetchall()[0][0]
            for s, t in tables
        }
        warnings = []
        risk = [(s, t) for s, t in tables if t == "fct_risk_warnings"]
        if risk:
            s, t = risk[0]
            cols = [
                c
                for (c,) in con.sql(
                    f"select column_name from information_schema.columns "
                    f"where table_schema = '{s}' and table_name = '{t}'"
                ).fetchall()
            ]
            signal = next((c for c in cols if "signal" in c), None)
            level = next((c for c in cols if "level" in c or "severity" in c), None)
            if signal and level:
                warnings = con.sql(
                    f'select "{signal}", "{level}", count(*) from "{s}"."{t}" '
                    f"group by all order by 1, 2"
                ).fetchall()
    return counts, warnings


def _mart_tables(con) -> set[str]:
    """The marts a published copy holds (an older build may lack the newer ones)."""
    sql = "select table_name from information_schema.tables where table_schema = 'marts'"
    return {t for (t,) in con.execute(sql).fetchall()}


def quality_counts() -> tuple[list[tuple], list[tuple]]:
    """From the published marts: reference orphans per kind (rpt_reference_orphans, kinds with
    any) and validation's observations per rule and field over all batches (fct_ingest_observations)."""
    import duckdb

    path = published_db()
    if not path.exists():
        return [], []
    with duckdb.connect(str(path), read_only=True) as con:
        tables = _mart_tables(con)
        orphans = (
            con.execute(
                "select kind, orphan_rows, child_rows, orphan_share, threshold from marts.rpt_reference_orphans "
                "where orphan_rows > 0 order by orphan_rows desc, kind"
            ).fetchall()
            if "rpt_reference_orphans" in tables
            else []
        )
        observed = (
            con.execute(
                "select rule, field, sum(observed_rows) from marts.fct_ingest_observations "
                "group by all order by 3 desc, 1, 2"
            ).fetchall()
            if "fct_ingest_observations" in tables
            else []
        )
    return orphans, observed


def monitoring_rows() -> tuple[list[tuple], list[tuple]]:
    """The score's monitoring marts, newest first: stability (period, scored, psi, stability)
    of the last 6 months, and performance (period, borrowers, default rate, AUC, KS) of the
    last 6 cohorts whose 12 months of outcomes have matured."""
    import duckdb

    path = published_db()
    if not path.exists():
        return [], []
    with duckdb.connect(str(path), read_only=True) as con:
        tables = _mart_tables(con)
        if not {"rpt_score_stability", "rpt_score_performance"} <= tables:
            return [], []  # marts built before the monitoring marts
        stability = con.execute(
            "select period, scored, psi, stability from marts.rpt_score_stability "
            "order by month desc limit 6"
        ).fetchall()
        performance = con.execute(
            "select period, borrowers, default_rate_12m, auc, ks from marts.rpt_score_performance "
            "where mature order by month desc limit 6"
        ).fetchall()
    return stability, performance


def print_scorecard(console: Console) -> None:
    """The card in use and the latest retraining decision, with both cards' test figures."""
    from creditlake.model.store import SCORECARD, WARNING_THRESHOLDS, decisions

    for d in decisions(WARNING_THRESHOLDS)[:1]:
        console.print(
            f"[bold]warning thresholds[/] for {d['as_of_period']}: {d['outcome']}. {d['reason']}"
        )
    done = decisions(SCORECARD)
    if not done:
        console.print("scorecard: no retraining run yet (the expert card is in use)")
        return
    d = done[0]
    console.print(
        f"[bold]scorecard[/] retraining for {d['as_of_period']}: {d['outcome']}. {d['reason']}"
    )
    f = d["figures"]
    if "test_window" not in f:  # cold start before any test window, or a card put in use by hand
        return
    t = Table(
        "card", "AUC", "KS", "Gini", "test rows", "defaults",
        title=f"out-of-time test {f['test_window'][0]}..{f['test_window'][1]}, "
        f"trained on {f['train_window'][0]}..{f['train_window'][1]}",
    )  # fmt: skip
    for role, version in (
        ("champion", d["champion_version"]),
        ("challenger", d["challenger_version"]),
    ):
        m = f.get(role)
        if m:
            t.add_row(f"{role} {version}", *(f"{m[k]:.3f}" for k in ("auc", "ks", "gini")),
                      f"{m['rows']:,}", f"{m['defaults']:,}")  # fmt: skip
    if t.row_count:
        console.print(t)
    for row in f.get("challenger", {}).get("calibration", []):
        console.print(
            f"  grade {row['grade']}: {row['rows']:,} rows, predicted PD "
            f"{row['predicted_pd']:.2%}, observed {row['observed_default_rate']:.2%}"
        )


def print_summary(
    console: Console, root: Path, period: str, runs: dict[str, str], timings: dict
) -> dict:
    from creditlake.extracts.config import load_config
    from creditlake.orchestration.alerts import read_alerts

    console.rule("[bold green]creditlake demo: summary")
    runs_ok = sum(state == "success" for state in runs.values())
    console.print(f"DAG runs: {runs_ok}/{len(runs)} succeeded")

    landing, bronze = landing_counts(), bronze_counts()
    reasons = quarantine_reasons()
    marts, warnings = marts_counts()
    layers = Table("layer", "rows / files", title="rows per layer")
    layers.add_row(
        "landing (raw files)", f"{landing['files']} files, {landing['bytes'] / 1e6:.1f} MB"
    )
    layers.add_row("bronze (Iceberg, all versions)", f"{sum(bronze.values()):,}")
    layers.add_row("quarantine", f"{sum(reasons.values()):,} reason hits")
    for name, n in marts.items():
        if ".fct_" in name or ".dim_" in name or ".rpt_" in name:
            layers.add_row(f"marts  {name}", f"{n:,}")
    layers.add_row("dbt, all schemas", f"{sum(marts.values()):,} in {len(marts)} tables")
    console.print(layers)

    q = Table("reason", "rows", title="quarantined rows by reason")
    for reason, n in reasons.most_common():
        q.add_row(reason, f"{n:,}")
    console.print(q)

    orphans, observed = quality_counts()
    o = Table(
        "kind",
        "orphan rows",
        "of rows",
        "share",
        title="references leading nowhere (rpt_reference_orphans; "
        "the build fails above the threshold)",
    )
    for kind, n, rows, share, threshold in orphans:
        o.add_row(
            kind, f"{n:,}", f"{rows:,}", f"{float(share):.1%} (threshold {float(threshold):.0%})"
        )
    console.print(o)
    v = Table(
        "rule",
        "field",
        "published rows",
        title="observed by validation, published (fct_ingest_observations)",
    )
    for rule, fld, n in observed:
        v.add_row(rule, fld, f"{n:,}")
    console.print(v)

    w = Table(
        "signal",
        "level",
        "warnings",
        title="early warnings by signal and level (fct_risk_warnings)",
    )
    for signal, level, n in warnings:
        w.add_row(str(signal), str(level), f"{n:,}")
    console.print(w)

    stability, performance = monitoring_rows()
    cell = lambda v: "—" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    m = Table(
        "month", "scored", "PSI", "stability", title="the score's stability (rpt_score_stability)"
    )
    for row in stability:
        m.add_row(*map(cell, row))
    console.print(m)
    f = Table(
        "cohort", "borrowers", "default rate 12m", "AUC", "KS",
        title="the score's ranking, cohorts with 12 months of outcomes (rpt_score_performance)",
    )  # fmt: skip
    for row in performance:
        f.add_row(*map(cell, row))
    console.print(f)

    print_scorecard(console)

    alerts = Counter((a.kind, a.level) for a in read_alerts())
    if alerts:
        console.print(
            "pipeline alerts: "
            + ", ".join(f"{k} ({lvl}): {n}" for (k, lvl), n in sorted(alerts.items()))
        )

    folder = load_config().drop_dir
    manifest = folder / "inclusive_finance" / period / "manifest.json"
    checks = folder / "inclusive_finance" / period / f"inclusive_finance_checks_{period}.csv"
    console.print(
        f"\n[bold]regulator extract {period}[/]: {folder}\n  manifest: "
        f"{manifest if manifest.exists() else '(none: the extract did not run)'}"
    )
    if checks.exists():
        import csv

        with checks.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                console.print(
                    f"  {row['item']:<22} {row['result']:<15} value {row['value']}, "
                    f"benchmark {row['benchmark']} ({row['rule']})"
                )

    env_file = root / "env.sh"
    data_docs = warehouse_dir() / "gx" / "data_docs" / "local_site" / "index.html"
    console.print(f"""
[bold]next steps[/]
  Airflow UI   : source {env_file} && .venv/bin/airflow api-server   -> http://127.0.0.1:{os.environ.get("AIRFLOW__API__PORT", "8080")} (no login)
  Data Docs    : {data_docs if data_docs.exists() else "(built by the maintenance DAG) " + str(data_docs)}
  dbt docs     : source {env_file} && cd {dbt_project()} && T={warehouse_dir() / "marts" / "dbt" / "target"} && ../.venv/bin/dbt docs generate --target-path $T && ../.venv/bin/dbt docs serve --target-path $T --port 8081
  query marts  : .venv/bin/python -c "import duckdb; print(duckdb.connect('{published_db()}', read_only=True).sql('select * from marts.fct_loan_month limit 10'))"
  re-run extract: source {env_file} && .venv/bin/creditlake extract --period {period}
""")
    console.print("timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    return {
        "runs": runs,
        "landing": landing,
        "bronze": bronze,
        "quarantine": dict(reasons),
        "marts": marts,
        "orphans": {kind: n for kind, n, *_ in orphans},
        "observations": {f"{rule}:{fld}": int(n) for rule, fld, n in observed},
        "warnings": [list(w) for w in warnings],
        "alerts": {f"{k}/{lvl}": n for (k, lvl), n in alerts.items()},
        "extract_manifest": str(manifest),
        "timings": timings,
        "manifest": json.loads(manifest.read_text()) if manifest.exists() else None,
    }
