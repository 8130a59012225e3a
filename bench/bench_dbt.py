"""dbt build time at scale, beside a baseline measured in the same run.

    .venv/bin/python -m bench.bench_dbt [small|mid|full]

1. Generate simulator data (100,000 enterprises x 36 months for "full", 20,000 for "mid").
2. Load bronze straight from the generator's feeds as the ingestion would leave it at the
   simulator's start clock: one Parquet file per dataset and day, typed with the bronze
   schemas, planted bad records left out (validation would quarantine them), views created
   with the same SQL as creditlake.lakehouse.export_bronze_views. The bench measures the
   transformation, not the ingestion (bench_ingest does that).
3. Baseline: one DuckDB SQL script computing the monthly panel from the same bronze.
4. `dbt build` (first run, full), then one simulated day of new records is appended to
   bronze and `dbt build` runs again (the daily run): its ratio to the first run is the
   figure to watch; that day brings the bank's month-end loan file, the busiest day of a
   month. Three more runs split it: one with no new data (the fixed cost of a run: dbt
   start-up and ~200 nodes, each a few queries), one after a further week (7 days of new
   records) and one after a further ordinary day: what grows with the new data is the
   difference. Every run is the scheduled build (creditlake.transform.PRODUCTION_BUILD)
   followed by the checkpoint that publishing does; its run_results.json is kept beside the
   warehouse (run_results_<run>.json) and the slowest nodes of the daily run are printed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

SCALES = {"full": (100_000, 36), "mid": (20_000, 36), "small": (2_000, 24)}
SEED = 7


def _bronze_select(
    dataset: str, feed: Path, bad_ids: list[int], lo: dt.datetime | None, hi: dt.datetime
) -> str:
    """SQL reading one feed's rows visible in (lo, hi], cast to the bronze schema."""
    from creditlake.core import contract, schemas
    from creditlake.lakehouse.views import _duck_type

    ds = contract.dataset(dataset)
    file_based = schemas.is_file_dataset(dataset)
    order = "CAST(_file_date AS DATE)" if file_based else "CAST(updated_at AS TIMESTAMPTZ)"
    bound = "DATE" if file_based else "TIMESTAMPTZ"
    hi_text = hi.date().isoformat() if file_based else hi.isoformat()
    where = [f"{order} <= {bound} '{hi_text}'"]
    if lo is not None:
        lo_text = lo.date().isoformat() if file_based else lo.isoformat()
        where.append(f"{order} > {bound} '{lo_text}'")
    if bad_ids:
        where.append(f"_row_id NOT IN (SELECT unnest({bad_ids}))")
    cols = []
    for field in schemas.bronze_schema(dataset):
        name = field.name
        if name in ds.pii_fields:
            cols.append(f'sha256(\'dev\' || "{name}") AS "{name}"')
        elif name == "_batch_id":
            cols.append(f"'{dataset}-{hi.date().isoformat()}' AS _batch_id")
        elif name == "_ingested_at":
            cols.append(f"TIMESTAMPTZ '{hi.isoformat()}' AS _ingested_at")
        elif name == "_source":
            cols.append("'bench' AS _source")
        elif name == "_bank_id":  # the simulated world has one bank
            cols.append("'bank' AS _bank_id")
        elif name == "_record_hash":
            cols.append("md5(CAST(_row_id AS VARCHAR)) AS _record_hash")
        else:
            cols.append(f'CAST("{name}" AS {_duck_type(field.type)}) AS "{name}"')
    return f"SELECT {', '.join(cols)} FROM read_parquet('{feed}') WHERE {' AND '.join(where)}"


def load_bronze(
    sim_dir: Path,
    bronze_dir: Path,
    duckdb_path: Path,
    clock: dt.datetime,
    since: dt.datetime | None = None,
) -> dict[str, int]:
    """Write the feed rows visible in (since, clock] as new bronze Parquet files and (re)create
    the bronze views in `duckdb_path` over every file written so far."""
    import duckdb
    import pyarrow.parquet as pq

    from creditlake.core import contract
    from creditlake.lakehouse.views import _select, exported_tables

    bad = pq.read_table(
        sim_dir / "truth" / "bad_records.parquet", columns=["dataset", "_row_id"]
    ).to_pylist()
    bad_by_dataset: dict[str, list[int]] = {}
    for row in bad:
        bad_by_dataset.setdefault(row["dataset"], []).append(int(row["_row_id"]))
    written = {}
    con = duckdb.connect()
    for dataset in contract.DATASETS:
        feed = (
            sim_dir
            / ("bank" if contract.dataset(dataset).is_file_drop else "feeds")
            / f"{dataset}.parquet"
        )
        out = bronze_dir / dataset / f"{clock:%Y%m%dT%H%M%S}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        sql = _bronze_select(dataset, feed, bad_by_dataset.get(dataset, []), since, clock)
        con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
        written[dataset] = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
    con.close()
    statements = ["CREATE SCHEMA IF NOT EXISTS bronze"]
    for view, (_, schema) in exported_tables().items():
        files = (
            sorted(str(p) for p in (bronze_dir / view).glob("*.parquet"))
            if (bronze_dir / view).exists()
            else []
        )
        statements.append(f'CREATE OR REPLACE VIEW bronze."{view}" AS {_select(schema, files)}')
    statements.append(
        "CREATE OR REPLACE TABLE bronze._snapshots AS SELECT 'bench' AS table_name, "
        "CAST(NULL AS BIGINT) AS snapshot_id, now() AS exported_at"
    )
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(duckdb_path)) as db:
        for sql in statements:
            db.execute(sql)
    return written


def start_clock(sim_dir: Path) -> dt.datetime:
    meta = json.loads((sim_dir / "meta.json").read_text())
    return dt.datetime.fromisoformat(meta["start_clock"].replace("Z", "+00:00"))


# The baseline: the monthly panel's core figures in one hand-written DuckDB script over the
# same bronze views (newest version per key, identifiers as given, no identity resolution,
# no tests): what the panel costs without dbt's layering, incrementality and tests.
BASELINE_SQL = """
CREATE TEMP TABLE ent AS
  SELECT * FROM w.bronze.enterprises QUALIFY row_number() OVER (PARTITION BY uscc ORDER BY updated_at DESC, _ingested_at DESC) = 1;
CREATE TEMP TABLE acc AS
  SELECT * FROM w.bronze.utility_accounts QUALIFY row_number() OVER (PARTITION BY account_no ORDER BY updated_at DESC, _ingested_at DESC) = 1;
CREATE TEMP TABLE rd AS
  SELECT * FROM w.bronze.meter_readings QUALIFY row_number() OVER (PARTITION BY account_no, period ORDER BY updated_at DESC, _ingested_at DESC) = 1;
CREATE TEMP TABLE tf AS
  SELECT * FROM w.bronze.tax_filings QUALIFY row_number() OVER (PARTITION BY taxpayer_id, period, tax_type ORDER BY updated_at DESC, _ingested_at DESC) = 1;
CREATE TEMP TABLE ss AS
  SELECT * FROM w.bronze.ss_contributions QUALIFY row_number() OVER (PARTITION BY uscc, period ORDER BY updated_at DESC, _ingested_at DESC) = 1;
CREATE TEMP TABLE inv AS
  SELECT * FROM w.bronze.invoices QUALIFY row_number() OVER (PARTITION BY invoice_no ORDER BY updated_at DESC, _ingested_at DESC) = 1;
CREATE TEMP TABLE months AS
  SELECT DISTINCT period FROM ss;
CREATE TEMP TABLE panel AS
  SELECT e.uscc, m.period, u.electricity, u.water, t.revenue, t.tax_paid, s.insured_headcount, s.contribution_paid,
         i.sales, p.purchases
  FROM ent e CROSS JOIN months m
  LEFT JOIN (SELECT acc.uscc, rd.period, sum(consumption) FILTER (WHERE utility = 'electricity') AS electricity,
                    sum(consumption) FILTER (WHERE utility = 'water') AS water
             FROM rd JOIN acc USING (account_no) GROUP BY ALL) u USING (uscc, period)
  LEFT JOIN (SELECT taxpayer_id AS uscc, period, sum(declared_revenue) FILTER (WHERE tax_type = 'vat') AS revenue,
                    sum(tax_paid) AS tax_paid FROM tf GROUP BY ALL) t USING (uscc, period)
  LEFT JOIN ss s USING (uscc, period)
  LEFT JOIN (SELECT seller_uscc AS uscc, strftime(issued_on, '%Y-%m') AS period, sum(amount) AS sales
             FROM inv WHERE status IN ('issued', 'paid') GROUP BY ALL) i USING (uscc, period)
  LEFT JOIN (SELECT buyer_uscc AS uscc, strftime(issued_on, '%Y-%m') AS period, sum(amount) AS purchases
             FROM inv WHERE status IN ('issued', 'paid') AND buyer_uscc IS NOT NULL GROUP BY ALL) p USING (uscc, period);
"""


def baseline(duckdb_path: Path) -> tuple[float, int]:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"ATTACH '{duckdb_path}' AS w (READ_ONLY)")
    for statement in filter(str.strip, BASELINE_SQL.split(";")):
        con.execute(statement)
    rows = con.execute("SELECT count(*) FROM panel").fetchone()[0]
    con.close()
    return time.perf_counter() - started, rows


def dbt_build(warehouse: Path, label: str) -> float:
    """One scheduled `dbt build` and the checkpoint publishing does after it; its
    run_results.json is kept as run_results_<label>.json beside the warehouse, so the nodes
    that dominate a run can be looked up afterwards (slowest())."""
    from creditlake import transform

    os.environ["CREDITLAKE_WAREHOUSE"] = str(warehouse)
    started = time.perf_counter()
    outcome = transform.run_dbt(transform.PRODUCTION_BUILD, show_progress=False)
    if outcome.success:
        transform.checkpoint(warehouse / "marts" / "creditlake.duckdb")
    seconds = time.perf_counter() - started
    results = warehouse / "marts" / "dbt" / "target" / "run_results.json"
    if results.exists():
        shutil.copyfile(results, warehouse.parent / f"run_results_{label}.json")
    if not outcome.success:
        raise RuntimeError(f"dbt build failed in the bench (warehouse {warehouse})")
    return seconds


def slowest(run_results: Path, n: int = 8) -> list[tuple[str, float]]:
    """The n nodes that took longest in a dbt run (name, seconds)."""
    nodes = json.loads(run_results.read_text())["results"]
    timed = sorted(
        ((r["unique_id"].split(".", 2)[-1], r["execution_time"]) for r in nodes),
        key=lambda t: -t[1],
    )
    return timed[:n]


def main(scale: str = "small") -> None:
    if scale not in SCALES:
        raise SystemExit(f"scale must be one of {', '.join(SCALES)}")
    from rich.console import Console

    from creditlake.simulator.generator import generate

    console = Console()
    enterprises, months = SCALES[scale]
    root = Path(os.environ.get("CREDITLAKE_BENCH_DIR", ".bench")).resolve() / "dbt" / scale
    sim = root / "sim"
    if not (sim / "meta.json").exists():
        console.print(f"generating {enterprises:,} enterprises x {months} months ...")
        generate(out=sim, seed=SEED, enterprises=enterprises, months=months)
    warehouse = root / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    db = warehouse / "marts" / "creditlake.duckdb"
    clock = start_clock(sim)
    saved = os.environ.get("CREDITLAKE_WAREHOUSE")
    try:
        rows = load_bronze(sim, warehouse / "bronze", db, clock)
        console.print(
            f"bronze at {clock:%Y-%m-%d}: {sum(rows.values()):,} rows in {len(rows)} tables"
        )
        base_seconds, panel_rows = baseline(db)
        first = dbt_build(warehouse, "first")
        day = clock + dt.timedelta(days=1)
        new_rows = load_bronze(sim, warehouse / "bronze", db, day, since=clock)
        second = dbt_build(warehouse, "daily")
        nothing_new = dbt_build(warehouse, "no_new_data")
        week = day + dt.timedelta(days=7)
        week_rows = load_bronze(sim, warehouse / "bronze", db, week, since=day)
        weekly = dbt_build(warehouse, "week")
        ordinary_day = week + dt.timedelta(days=1)
        ordinary_rows = load_bronze(sim, warehouse / "bronze", db, ordinary_day, since=week)
        ordinary = dbt_build(warehouse, "ordinary_day")
    finally:
        if saved is None:
            os.environ.pop("CREDITLAKE_WAREHOUSE", None)
        else:
            os.environ["CREDITLAKE_WAREHOUSE"] = saved

    def line(label: str, seconds: float, ratio: str) -> None:
        print(f"  {label}".ljust(72) + f"{seconds:8.1f} s   = {ratio}")

    print(f"bench_dbt {scale}: {enterprises:,} enterprises x {months} months")
    print(
        f"  baseline: one DuckDB SQL script, monthly panel ({panel_rows:,} rows)".ljust(72)
        + f"{base_seconds:8.1f} s"
    )
    line(
        "dbt build, first run (models, seeds, snapshot, data tests)",
        first,
        f"{first / base_seconds:.1f} x baseline",
    )
    runs = [
        ("daily run after one simulated day, the month-end day", second, new_rows),
        ("a further ordinary day", ordinary, ordinary_rows),
        ("a further week", weekly, week_rows),
    ]
    line(
        "dbt build with no new data (the fixed cost of a run)",
        nothing_new,
        f"{nothing_new / first:.2f} x first run",
    )
    for label, seconds, rows in runs:
        line(
            f"dbt build, {label} (+{sum(rows.values()):,} bronze rows)",
            seconds,
            f"{seconds / first:.2f} x first run",
        )
    for label, seconds, rows in runs:
        print(
            f"    {label}: {seconds - nothing_new:.1f} s above the fixed cost for {sum(rows.values()):,} new rows"
        )
    daily = root / "run_results_daily.json"
    if daily.exists():
        print(
            "  slowest nodes of the daily run: "
            + ", ".join(f"{name} {s:.1f} s" for name, s in slowest(daily))
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "small")
