"""The `creditlake` command. Each area adds its own sub-commands here."""

from __future__ import annotations

import typer

from creditlake.core import uscc as uscc_codes

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="creditlake: credit-information lakehouse for SME lending.",
)


@app.command()
def uscc(
    codes: list[str] = typer.Argument(..., help="Unified Social Credit Codes to check"),
) -> None:
    """Validate Unified Social Credit Codes (GB 32100-2015). Exit status 1 if any is invalid."""
    any_invalid = False
    for code in codes:
        reason = uscc_codes.check(code)
        shown = uscc_codes.normalise(code)
        if reason is None:
            typer.echo(f"{shown} valid")
        else:
            any_invalid = True
            typer.echo(f"{shown} invalid: {reason}")
    raise typer.Exit(1 if any_invalid else 0)


def _register_subcommands() -> None:
    # Imported lazily per area so that `creditlake uscc` stays fast.
    from creditlake.simulator.cli import app as simulator_app

    app.add_typer(
        simulator_app, name="simulator", help="Generate and serve simulated platform data."
    )

    from creditlake.connectors.cli import ingest as ingest_command

    app.command("ingest")(ingest_command)

    from creditlake.connectors.conformance import command as conformance_command

    app.command("conformance")(conformance_command)

    from creditlake import backtest, transform

    app.command("transform")(transform.command)
    app.command("backtest")(backtest.command)

    from creditlake.model.cli import app as model_app

    app.add_typer(model_app, name="model", help="Fit, validate and promote scorecards.")

    from creditlake.devtools import demo
    from creditlake.extracts.cli import extract

    app.command("extract")(extract)
    app.command("demo")(demo.command)

    from creditlake.service.cli import audit_app, serve, service_app

    app.command("serve")(serve)
    app.add_typer(audit_app, name="audit")
    app.add_typer(service_app, name="service")


_register_subcommands()
