"""`creditlake simulator ...` sub-commands: thin wrappers over generator and server."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)

DEFAULT_SEED, DEFAULT_ENTERPRISES, DEFAULT_MONTHS = 7, 2000, 24
# The world's options, shared by the commands that build one (serve generates a missing world).
SEED = typer.Option(DEFAULT_SEED, help="Random seed: same seed, same bytes")
ENTERPRISES = typer.Option(DEFAULT_ENTERPRISES, min=10, help="Number of enterprises")
MONTHS = typer.Option(DEFAULT_MONTHS, min=13, max=120, help="Months of history")


def _known_profile(name: str) -> str:
    from creditlake.simulator.gen_stories import PROFILES

    if name not in PROFILES:
        raise typer.BadParameter(f"unknown profile {name!r}: one of {', '.join(PROFILES)}")
    return name


# gen_stories.DEFAULT_PROFILE and DEFAULT_RATE, spelled out: --help stays free of numpy.
PROFILE = typer.Option(
    "mix",
    callback=_known_profile,
    help="How distress shows across the feeds: headcount_first, tax_first, electricity_first, "
    "supply_chain_first, fraud, sudden, or mix (every story, weighted)",
)
DEFAULT_RATE = typer.Option(
    0.03, min=0.001, max=0.5, help="Annual share of borrowers that reach 90+ days past due"
)


@app.command()
def generate(
    out: Path = typer.Option(
        Path(".demo/sim"), help="Folder to write feeds, bank files and truth into"
    ),
    seed: int = SEED,
    enterprises: int = ENTERPRISES,
    months: int = MONTHS,
    quarantined_enterprises: float = typer.Option(
        0.0,
        min=0.0,
        max=0.5,
        help="Share of the real enterprises whose registry records are all broken (quarantined) "
        "while the other feeds' records naming them stay good, e.g. 0.05",
    ),
    profile: str = PROFILE,
    default_rate: float = DEFAULT_RATE,
) -> None:
    """Generate every dataset of the feed contract, the bank loan book and the planted truth."""
    from creditlake.simulator.generator import generate as run

    run(
        out=out,
        seed=seed,
        enterprises=enterprises,
        months=months,
        quarantined_enterprises=quarantined_enterprises,
        profile=profile,
        default_rate=default_rate,
    )


@app.command()
def serve(
    data: Path = typer.Option(
        Path(".demo/sim"), help="Generated data folder (generated first if missing)"
    ),
    seed: int = SEED,
    enterprises: int = ENTERPRISES,
    months: int = MONTHS,
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8765),
    profile: str = PROFILE,
    default_rate: float = DEFAULT_RATE,
    fault_rate: float = typer.Option(
        0.0, min=0.0, max=0.9, help="Share of requests that meet a fault"
    ),
    drop: Path = typer.Option(None, help="Bank file-drop folder (default: DATA/drop)"),
    banks: str = typer.Option(
        "",
        help="Banks sharing the loan book, comma-separated (e.g. bank_a,bank_b): each drops into "
        "DROP/<bank>/ the loans it books (contract section 5). Default: one bank, at DROP",
    ),
) -> None:
    """Serve the feed contract over HTTP on one port for every platform."""
    from creditlake.simulator.server import serve as run

    run(
        data=data,
        seed=seed,
        enterprises=enterprises,
        months=months,
        profile=profile,
        default_rate=default_rate,
        host=host,
        port=port,
        fault_rate=fault_rate,
        drop=drop,
        banks=tuple(b.strip() for b in banks.split(",") if b.strip()),
    )


@app.command()
def advance(
    url: str = typer.Option("http://127.0.0.1:8765", help="The running simulator"),
    days: int = typer.Option(1, min=1),
) -> None:
    """Advance the running simulator's clock: new and corrected records appear."""
    from creditlake.simulator.server import advance as run

    run(url=url, days=days)
