"""`creditlake ingest PLATFORM [--dataset D] [--mode incremental|snapshot]`.

A thin wrapper over connectors.ingest.run_ingest with a progress bar (pages, rows,
bytes, rows validated and published per dataset) and one summary line per dataset. Expected failures (configuration,
an unreachable or refusing platform, a bad drop file) print one clear line and exit 1.
"""

from __future__ import annotations

import logging
from enum import Enum, StrEnum
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from creditlake.core.contract import PLATFORMS

if TYPE_CHECKING:  # pyarrow stays unimported until a command runs
    from creditlake.core.batch import BatchResult

app = typer.Typer(add_completion=False, help="Pull a platform's datasets into the lakehouse.")

PlatformName = Enum("PlatformName", {p.slug: p.name for p in PLATFORMS.values()}, type=str)


class Mode(StrEnum):
    incremental = "incremental"
    snapshot = "snapshot"


class _Bar:
    """connectors.ingest.Progress drawn with rich: one line per dataset."""

    def __init__(self, progress: Progress):
        self.progress, self.tasks = progress, {}

    def start(self, dataset: str, mode: str) -> None:
        self.tasks[dataset] = self.progress.add_task(
            f"{dataset} ({mode})", total=None, pages=0, rows=0, mbytes=0.0, checked=0
        )

    def advance(self, dataset: str, pages: int = 0, rows: int = 0, bytes: int = 0) -> None:  # noqa: A002
        task = self.progress.tasks[self.tasks[dataset]]
        f = task.fields
        self.progress.update(
            self.tasks[dataset],
            pages=f["pages"] + pages,
            rows=f["rows"] + rows,
            mbytes=f["mbytes"] + bytes / 1e6,
        )

    def published(self, dataset: str, result: BatchResult) -> None:
        task = self.progress.tasks[self.tasks[dataset]]
        self.progress.update(self.tasks[dataset], checked=task.fields["checked"] + result.received)

    def done(self, dataset: str, results: list[BatchResult]) -> None:
        self.progress.update(self.tasks[dataset], total=1, completed=1)
        typer.echo(summary_line(dataset, results))  # stdout, one line per dataset: greppable


def summary_line(dataset: str, results: list[BatchResult]) -> str:
    statuses = sorted({r.status for r in results}) or ["nothing new"]
    total = {
        k: sum(getattr(r, k) for r in results)
        for k in ("received", "published", "quarantined", "duplicates", "seconds")
    }
    held = [f"{r.batch_id}: {r.message}" for r in results if r.status == "held"]
    line = (
        f"{dataset}: {'/'.join(statuses)} ({len(results)} batch{'es' if len(results) != 1 else ''}) "
        f"received {total['received']}, published {total['published']}, "
        f"quarantined {total['quarantined']}, duplicates {total['duplicates']}, "
        f"{total['seconds']:.1f} s"
    )
    return line + "".join(f"\n  held {h}" for h in held)


@app.command()
def ingest(
    platform: PlatformName = typer.Argument(
        ..., help="commerce, tax, social-security, utility, supply-chain or bank"
    ),
    dataset: str = typer.Option(
        None, "--dataset", "-d", help="Only this dataset (default: all of the platform)"
    ),
    mode: Mode = typer.Option(
        Mode.incremental, help="incremental (since the watermark) or snapshot (bulk backfill)"
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each retry, replay and batch"),
) -> None:
    """Pull PLATFORM's datasets, land the raw bytes, validate and publish to bronze."""
    from creditlake.connectors.errors import ConnectorError
    from creditlake.connectors.ingest import run_ingest

    console = Console(stderr=True)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
        force=True,
    )
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[pages]} pages/files"),
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[mbytes]:.1f} MB"),
        TextColumn("{task.fields[checked]:,} validated"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            results = run_ingest(platform.value, dataset, mode.value, progress=_Bar(bar))
    except (ConnectorError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        typer.secho(f"ingest failed: {message}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    held = [r for r in results if r.status == "held"]
    if held:
        typer.secho(
            f"{len(held)} batch(es) held back by batch-level expectations; see the lines above",
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(1)
