"""`creditlake extract --period YYYY-MM`: produce or reproduce a period's regulator extracts."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.callback(invoke_without_command=True)
def extract(
    period: str = typer.Option(..., help="Reporting month, YYYY-MM"),
    refresh: bool = typer.Option(
        False,
        help="Read the current bronze snapshots instead of the recorded ones "
        "(a corrected resubmission)",
    ),
    deliver: bool = typer.Option(True, help="POST to CREDITLAKE_REGULATOR_ENDPOINT when it is set"),
) -> None:
    """Write the inclusive-finance report and the loan-level extract (CSV, Parquet, manifest)."""
    from creditlake.extracts.config import ExtractConfigError
    from creditlake.extracts.deliver import DeliveryError
    from creditlake.extracts.inclusive_finance import ExtractError
    from creditlake.extracts.run import run_extract

    try:
        result = run_extract(period, refresh=refresh, deliver=deliver)
    except (ExtractConfigError, ExtractError, DeliveryError) as exc:
        typer.echo(f"extract failed: {exc}", err=True)
        raise typer.Exit(2) from None
    basis = "recorded snapshots (re-run)" if result.reused_snapshots else "current snapshots"
    typer.echo(
        f"period {result.period}, read at {basis}: "
        + ", ".join(
            f"bronze.{k.split('.')[-1]}@{v}"
            for k, v in result.manifests["inclusive_finance"]["snapshots"].items()
        )
    )
    for extract_name, folder in result.folders.items():
        manifest = result.manifests[extract_name]
        typer.echo(
            f"{extract_name}: {folder}  ({', '.join(f'{k}={v}' for k, v in manifest['row_counts'].items())})"
        )
    for check in result.checks:
        typer.echo(
            f"  {check['item']:<22} {check['result']:<15} value {check['value']}  benchmark {check['benchmark']}"
        )
    for delivery in result.deliveries:
        typer.echo(f"delivered to {delivery['endpoint']} (HTTP {delivery['status']})")
