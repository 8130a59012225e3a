"""`creditlake model ...`: the fitted scorecard's commands."""

from __future__ import annotations

import json

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command("fit")
def fit_command(
    as_json: bool = typer.Option(False, "--json", help="print the decision as JSON"),
) -> None:
    """Fit a challenger card and recalibrate the warning thresholds on the published marts'
    history, test each against what is in use out of time, and promote through the gate (or say
    why not). The next dbt build scores and warns with what is in use. A month is decided once."""
    from creditlake.model.run import monthly

    decision = monthly(echo=(lambda _: None) if as_json else typer.echo)
    if as_json:
        typer.echo(json.dumps(decision, default=str, indent=2))


@app.command("use")
def use_command(
    version: str = typer.Argument(..., help="a card of int_scorecard__cards, expert or fitted"),
    reason: str = typer.Option(..., help="why: kept in the decision log"),
) -> None:
    """Put a card in use by hand (a rollback to the expert card, say), logged like a gate
    decision. The next dbt build rescores with it."""
    from creditlake.model.run import use

    try:
        decision = use(version, reason)
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{decision['challenger_version']} in use from the next build: {reason}")


@app.command("decisions")
def decisions_command(limit: int = typer.Option(12, help="how many, newest first")) -> None:
    """The retraining decisions, newest first, with the figures they were taken on."""
    from creditlake.model.store import decisions

    for d in decisions()[:limit]:
        typer.echo(
            f"{d['decided_at']:%Y-%m-%d %H:%M} {d['as_of_period']} {d['kind']:<18} {d['outcome']:<10} "
            f"{d['challenger_version'] or '-'} (champion {d['champion_version']}): {d['reason']}"
        )
