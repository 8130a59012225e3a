"""The service's settings, from the environment (no secret has a default)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from creditlake.core.config import env, warehouse_dir


class ServiceConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ServiceSettings:
    banks_file: Path
    store_dsn: str  # a PostgreSQL URL, or the path of the embedded SQLite file
    audit_key: str  # signs audit checkpoints and browser sessions
    marts: Path
    checkpoints: Path
    checkpoint_every: int
    rate_per_second: float
    burst: int


def settings() -> ServiceSettings:
    from creditlake.transform import published_db

    banks = env("CREDITLAKE_SERVICE_BANKS")
    if not banks:
        raise ServiceConfigError(
            "CREDITLAKE_SERVICE_BANKS is not set: the bank file (TOML) listing each bank's id "
            "and key_sha256 (creditlake service new-key BANK_ID prints both)"
        )
    key = env("CREDITLAKE_AUDIT_KEY")
    if not key:
        raise ServiceConfigError(
            "CREDITLAKE_AUDIT_KEY is not set: the secret that signs audit checkpoints"
        )
    root = warehouse_dir() / "service"
    return ServiceSettings(
        banks_file=Path(banks),
        store_dsn=env("CREDITLAKE_SERVICE_DSN", str(root / "service.sqlite")),
        audit_key=key,
        marts=Path(env("CREDITLAKE_SERVICE_MARTS", str(published_db()))),
        checkpoints=Path(env("CREDITLAKE_AUDIT_CHECKPOINTS", str(root / "checkpoints"))),
        checkpoint_every=int(env("CREDITLAKE_AUDIT_CHECKPOINT_EVERY", "1000")),
        rate_per_second=float(env("CREDITLAKE_SERVICE_RATE", "50")),
        burst=int(env("CREDITLAKE_SERVICE_BURST", "100")),
    )
