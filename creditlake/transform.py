"""Transformation: bronze (Iceberg) -> DuckDB marts with dbt, then publish the marts file.

    build()  = export_bronze_views -> `dbt build` in-process (dbtRunner) -> atomic copy of the
               DuckDB file to WAREHOUSE/marts/published/creditlake.duckdb after a green build.

Readers (extracts, notebooks, the bank's tools) only ever open the published copy, so a
failing or running build never shows them half-built marts.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import typer

from creditlake.core.config import PROJECT_ROOT, env, warehouse_dir


def dbt_project() -> Path:
    """The dbt project to build: CREDITLAKE_DBT_PROJECT (a copy with a new dataset's staging
    model, say), or the one in this repository."""
    return Path(env("CREDITLAKE_DBT_PROJECT", str(PROJECT_ROOT / "dbt_project"))).resolve()


class TransformError(RuntimeError):
    """dbt build failed; the published marts were left as they were."""


@dataclass
class BuildResult:
    success: bool
    marts_db: Path
    published_db: Path | None
    snapshots: dict[str, int | None] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)  # e.g. {"success": 120, "pass": 300}
    failures: list[str] = field(default_factory=list)
    orphans: list[dict] = field(default_factory=list)  # rpt_reference_orphans, one dict per kind


def marts_db() -> Path:
    return warehouse_dir() / "marts" / "creditlake.duckdb"


def published_db() -> Path:
    return warehouse_dir() / "marts" / "published" / "creditlake.duckdb"


def dbt_env() -> None:
    """Environment for dbt runs started elsewhere (Airflow, cosmos): profiles.yml reads the
    warehouse path from CREDITLAKE_WAREHOUSE."""
    os.environ["CREDITLAKE_WAREHOUSE"] = str(warehouse_dir())
    os.environ.setdefault("DBT_PROFILES_DIR", str(dbt_project()))


def dbt_args(args: list[str]) -> list[str]:
    """The command line for dbt. The warehouse path reaches profiles.yml through the
    environment (never --vars, which would defeat partial parsing); dbt's artefacts (manifest,
    run results, docs, logs) go next to the marts file, so builds of different warehouses
    never share a target folder and the project folder stays read-only."""
    artefacts = warehouse_dir() / "marts" / "dbt"
    return [
        *args,
        "--project-dir",
        str(dbt_project()),
        "--profiles-dir",
        str(dbt_project()),
        "--target-path",
        str(artefacts / "target"),
        "--log-path",
        str(artefacts / "logs"),
    ]


def run_dbt(args: list[str], show_progress: bool = True):
    """Invoke dbt in-process in the project; returns dbt's dbtRunnerResult."""
    from dbt.cli.main import dbtRunner  # heavy import: only when transforming

    callbacks = []
    progress = None
    if show_progress:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed} nodes"),
            TimeElapsedColumn(),
            transient=False,
        )
        task = progress.add_task("dbt " + args[0], total=None)

        def on_event(event) -> None:
            if event.info.name == "NodeFinished":
                node = event.data.node_info
                progress.update(
                    task,
                    advance=1,
                    description=f"dbt {args[0]}: {node.node_name} {node.node_status}",
                )

        callbacks.append(on_event)
        progress.start()
    saved = os.environ.get("CREDITLAKE_WAREHOUSE")
    os.environ["CREDITLAKE_WAREHOUSE"] = str(warehouse_dir())  # read by profiles.yml
    try:
        # with a progress bar, dbt's own log lines would only scroll it away (errors still show)
        return dbtRunner(callbacks=callbacks).invoke(
            dbt_args([*args, "--quiet"] if show_progress else args)
        )
    finally:
        if saved is None:
            os.environ.pop("CREDITLAKE_WAREHOUSE", None)
        if progress is not None:
            progress.stop()


def checkpoint(db: Path) -> None:
    """Fold DuckDB's write-ahead log into the database file. dbt runs in this process and may
    keep its connection open, so the newest tables can still sit in creditlake.duckdb.wal;
    a copy of the main file alone would miss them."""
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("CHECKPOINT")


def publish(source: Path, target: Path) -> Path:
    """Copy the marts file next to its final place, then rename: readers see old or new, never half."""
    checkpoint(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    return target


ORPHAN_GATE = (
    "orphan_share_within_threshold"  # the test on rpt_reference_orphans that fails a build
)


def reference_orphans(db: Path) -> list[dict]:
    """The rows of marts.rpt_reference_orphans in `db` (empty when the mart is not built yet).
    Opened read-write like checkpoint(): dbt may still hold this file open in this process."""
    import duckdb

    if not db.exists():
        return []
    with duckdb.connect(str(db)) as con:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'marts' AND table_name = 'rpt_reference_orphans'"
        ).fetchone()[0]
        if not exists:
            return []
        cursor = con.execute(
            "SELECT kind, child, child_column, parent, parent_column, child_rows, orphan_rows, "
            "orphan_keys, orphan_share, example_keys, threshold, min_child_rows, exceeded "
            "FROM marts.rpt_reference_orphans ORDER BY kind"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def describe_orphan(o: dict) -> str:
    """One line for a kind of reference orphan, e.g. for the CLI and the build's error."""
    return (
        f"{o['kind']}: {o['orphan_rows']:,} of {o['child_rows']:,} rows of {o['child']}.{o['child_column']} "
        f"name no {o['parent']}.{o['parent_column']} ({float(o['orphan_share']):.1%}, {o['orphan_keys']:,} keys, "
        f"e.g. {o['example_keys']})"
    )


# dbt's unit tests check the SQL against fixed inputs, not the data: they belong to development
# and CI (tests/dbt), and a scheduled build skips them, as dbt's documentation recommends.
PRODUCTION_BUILD = ["build", "--exclude-resource-type", "unit_test"]


def build(
    select: str | None = None,
    full_refresh: bool = False,
    show_progress: bool = True,
    unit_tests: bool = False,
) -> BuildResult:
    """Export the bronze views, run `dbt build` (optionally a selection; the unit tests only when
    asked), publish on success."""
    from creditlake.lakehouse import export_bronze_views

    db = marts_db()
    pinned = export_bronze_views(db)
    args = ["build"] if unit_tests else list(PRODUCTION_BUILD)
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    outcome = run_dbt(args, show_progress=show_progress)
    statuses: dict[str, int] = {}
    failures: list[str] = []
    for node in getattr(outcome.result, "results", None) or []:
        status = str(node.status)
        statuses[status] = statuses.get(status, 0) + 1
        if status in ("error", "fail", "runtime error"):
            failures.append(
                f"{node.node.unique_id}: {status}: {(node.message or '').strip()[:300]}"
            )
    result = BuildResult(
        success=bool(outcome.success),
        marts_db=db,
        published_db=None,
        snapshots=pinned,
        statuses=statuses,
        failures=failures,
    )
    if outcome.exception is not None and not failures:
        failures.append(f"dbt: {outcome.exception}")
    # read only when this run built the mart (a selection may not have): stale rows would mislead
    built_orphans = any(
        node.node.unique_id == "model.creditlake.rpt_reference_orphans"
        and str(node.status) == "success"
        for node in getattr(outcome.result, "results", None) or []
    )
    result.orphans = reference_orphans(db) if built_orphans else []
    if not outcome.success:
        lines = list(failures or ["see dbt log"])
        if any(ORPHAN_GATE in f for f in failures):
            # dbt's message only says how many kinds failed: name them, with their counts
            over = [o for o in result.orphans if o["exceeded"]]
            if over:
                lines.append(
                    f"reference orphans above the threshold ({float(over[0]['threshold']):.1%} of a kind's rows, "
                    f"kinds of at least {over[0]['min_child_rows']:,} rows):"
                )
                lines += [f"  {describe_orphan(o)}" for o in over]
        raise TransformError(
            "dbt build failed; published marts unchanged:\n  " + "\n  ".join(lines)
        )
    result.published_db = publish(db, published_db())
    return result


def command(
    select: str = typer.Option(
        None, "--select", "-s", help="dbt node selection (default: everything)"
    ),
    full_refresh: bool = typer.Option(False, help="Rebuild incremental models from all of bronze"),
    unit_tests: bool = typer.Option(
        False, help="Also run dbt's unit tests (the SQL against fixed inputs)"
    ),
) -> None:
    """Build the marts from bronze with dbt and publish them (creditlake transform)."""
    try:
        result = build(select=select, full_refresh=full_refresh, unit_tests=unit_tests)
    except TransformError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.statuses.items()))
    typer.echo(f"dbt build green ({counts}); published {result.published_db}")
    found = [o for o in result.orphans if o["orphan_rows"]]
    if found:
        typer.echo(
            f"reference orphans (counted in marts.rpt_reference_orphans, not fatal up to "
            f"{float(found[0]['threshold']):.1%} of a kind's rows):"
        )
        for o in found:
            typer.echo(f"  {describe_orphan(o)}")
