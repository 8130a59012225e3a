"""`creditlake serve`, `creditlake audit ...` and `creditlake service new-key`."""

from __future__ import annotations

from pathlib import Path

import typer

audit_app = typer.Typer(no_args_is_help=True, help="The service's hash-chained audit log.")
service_app = typer.Typer(no_args_is_help=True, help="Banks and keys of the bank service.")


def _settings():
    from creditlake.service.settings import ServiceConfigError, settings

    try:
        return settings()
    except ServiceConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes"),
) -> None:
    """Serve the published marts to the configured banks (FastAPI; OpenAPI at /docs)."""
    import uvicorn

    from creditlake.service.app import create_app

    cfg = _settings()
    typer.echo(
        f"creditlake service on http://{host}:{port} (marts {cfg.marts}, audit {cfg.store_dsn})"
    )
    uvicorn.run(create_app(cfg), host=host, port=port, workers=workers, log_level="warning")


@audit_app.command("verify")
def verify(
    dsn: str = typer.Option(
        None,
        help="The audit store as its owner (default: CREDITLAKE_SERVICE_DSN or the embedded file)",
    ),
) -> None:
    """Check the whole chain and the signed checkpoints; exit 1 naming the first bad entry."""
    from creditlake.service import audit
    from creditlake.service.store import Store

    cfg = _settings()
    store = Store(dsn or cfg.store_dsn)
    rows = audit.read_all(store)
    verdict = audit.verify(rows)
    problems = audit.check_checkpoints(cfg.checkpoints, cfg.audit_key, rows)
    if verdict.ok and not problems:
        head = f"head {verdict.head[0]} {verdict.head[1]}" if verdict.head else "empty"
        typer.echo(f"audit log intact: {verdict.entries} entries, {head}")
        return
    if not verdict.ok:
        typer.echo(f"audit log broken at entry {verdict.first_bad}: {verdict.reason}", err=True)
        typer.echo(f"entries 1..{verdict.entries} hold", err=True)
    for problem in problems:
        typer.echo(f"checkpoint: {problem}", err=True)
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Sign the head of the log now (the service also signs every N entries)."""
    from creditlake.service import audit
    from creditlake.service.store import Store

    cfg = _settings()
    verdict = audit.verify(audit.read_all(Store(cfg.store_dsn)))
    if not verdict.ok or verdict.head is None:
        typer.echo(
            "nothing to sign: the log is empty or broken (run creditlake audit verify)", err=True
        )
        raise typer.Exit(1)
    typer.echo(str(audit.write_checkpoint(cfg.checkpoints, cfg.audit_key, *verdict.head)))


@audit_app.command("init")
def init(
    owner_dsn: str = typer.Argument(..., help="PostgreSQL URL of the owner of the audit tables"),
    service_role: str = typer.Argument(..., help="The role the service connects as"),
) -> None:
    """Create the audit log and authorisations on PostgreSQL; the service role may append
    (through a function) and nothing else on the log."""
    from creditlake.service.store import init_postgres

    init_postgres(owner_dsn, service_role)
    typer.echo(f"audit log ready; {service_role} may append to it and keep authorisations")


@service_app.command("new-key")
def new_key(
    bank_id: str = typer.Argument(..., help="The bank's id (its drop folder name)"),
) -> None:
    """Print a new API key (give it to the bank once) and the bank-file entry with its hash."""
    from creditlake.service.banks import BANK_ID
    from creditlake.service.banks import new_key as make

    if not BANK_ID.match(bank_id):
        typer.echo(f"{bank_id!r} is not a bank_id (lower-case letters, digits, _ and -)", err=True)
        raise typer.Exit(2)
    key, digest = make()
    typer.echo(f"key (give to {bank_id}, not stored anywhere): {key}")
    typer.echo(f'[[banks]]\nid = "{bank_id}"\nkey_sha256 = "{digest}"')


def write_bank_file(path: Path, bank_ids: list[str]) -> dict[str, str]:
    """A bank file with a new key per bank; returns bank_id -> key (the demo's banks)."""
    from creditlake.service.banks import new_key as make

    keys, lines = {}, []
    for bank_id in bank_ids:
        keys[bank_id], digest = make()
        lines += ["[[banks]]", f'id = "{bank_id}"', f'key_sha256 = "{digest}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return keys
