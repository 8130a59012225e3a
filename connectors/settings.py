"""Where each platform is and how to log in: environment variables first, else Airflow.

    CREDITLAKE_<PLATFORM>_BASE_URL       e.g. http://127.0.0.1:8765 (the connector appends /tax/v1)
    CREDITLAKE_<PLATFORM>_CLIENT_ID
    CREDITLAKE_<PLATFORM>_CLIENT_SECRET
    CREDITLAKE_BANK_DROP                 the bank file-drop folder
    CREDITLAKE_BANKS                     banks sharing the deployment, comma-separated bank_ids: each
                                         drops into CREDITLAKE_BANK_DROP/<bank_id>/ (contract section 5)
    CREDITLAKE_BANK_ID                   without CREDITLAKE_BANKS: the one bank, whose files lie in
                                         CREDITLAKE_BANK_DROP itself (default "bank")
    CREDITLAKE_LANDING_RETENTION_DAYS    raw landing retention (default 30)
    CREDITLAKE_START_FROM                first incremental pull starts here (default 1970-01-01T00:00:00Z)
    CREDITLAKE_LOOKBACK_HOURS            re-read this far behind the watermark (default 0: the contract
                                         orders records by updated_at; for a platform that commits late)
    CREDITLAKE_PAGE_SIZE                 cap on every source's page size (e.g. for a slow platform)

Inside Airflow, a platform whose variables are absent is read from the Connection
`creditlake_<platform>` (host = base URL, login = client id, password = client secret).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from creditlake.connectors.errors import ConfigError
from creditlake.core.config import env
from creditlake.core.contract import platform as contract_platform

DEFAULT_START_FROM = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class PlatformSettings:
    platform: str
    base_url: str
    client_id: str
    client_secret: str = field(repr=False)  # never printed, logged or landed


def platform_settings(platform_name: str) -> PlatformSettings:
    plat = contract_platform(platform_name)
    stem = plat.env_prefix
    names = {part: f"{stem}_{part}" for part in ("BASE_URL", "CLIENT_ID", "CLIENT_SECRET")}
    values = {part: env(var) for part, var in names.items()}
    if all(values.values()):
        return PlatformSettings(
            plat.name, values["BASE_URL"].rstrip("/"), values["CLIENT_ID"], values["CLIENT_SECRET"]
        )
    from_airflow = _airflow_connection(plat.name)
    if from_airflow is not None:
        return from_airflow
    missing = [var for part, var in names.items() if not values[part]]
    raise ConfigError(
        f"{plat.name}: missing configuration {', '.join(missing)} "
        f"(set the environment variable(s) or the Airflow Connection {airflow_conn_id(plat.name)!r})"
    )


def airflow_conn_id(platform_name: str) -> str:
    return "creditlake_" + contract_platform(platform_name).slug


def _in_airflow() -> bool:
    # Importing Airflow costs seconds; only a process Airflow started (task context
    # variables set, or airflow already imported) looks there.
    return "airflow" in sys.modules or bool(os.environ.get("AIRFLOW_CTX_DAG_ID"))


def _airflow_connection(platform_name: str) -> PlatformSettings | None:
    if not _in_airflow():
        return None
    try:
        from airflow.sdk import Connection
    except ImportError:
        return None
    conn_id = airflow_conn_id(platform_name)
    try:
        conn = Connection.get(conn_id)
    except Exception:  # Airflow's own not-found types vary by version: "not configured" either way
        return None
    host = conn.host or ""
    if "://" not in host:
        scheme = conn.schema or "http"
        host = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    if not (host and conn.login and conn.password):
        raise ConfigError(
            f"{platform_name}: Airflow Connection {conn_id!r} needs host, login and password"
        )
    return PlatformSettings(platform_name, host.rstrip("/"), conn.login, conn.password)


DEFAULT_BANK_ID = "bank"
BANK_ID = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
)  # a folder name on every file system and object store


def bank_drops() -> list[tuple[str, Path]]:
    """(bank_id, drop folder) of every bank of the deployment, in the configured order."""
    value = env("CREDITLAKE_BANK_DROP")
    if not value:
        raise ConfigError(
            "bank: missing configuration CREDITLAKE_BANK_DROP (the bank file-drop folder)"
        )
    root = Path(value)
    if not root.is_dir():
        raise ConfigError(f"bank: CREDITLAKE_BANK_DROP={value} is not a folder")
    listed = env("CREDITLAKE_BANKS")
    banks = [b.strip() for b in listed.split(",") if b.strip()] if listed else None
    if banks is None:
        single = env("CREDITLAKE_BANK_ID", DEFAULT_BANK_ID)
        _check_bank_id(single, "CREDITLAKE_BANK_ID")
        return [(single, root)]
    if not banks:
        raise ConfigError("bank: CREDITLAKE_BANKS is set but names no bank")
    drops = []
    for bank in dict.fromkeys(banks):
        _check_bank_id(bank, "CREDITLAKE_BANKS")
        folder = root / bank
        if not folder.is_dir():
            raise ConfigError(
                f"bank: {bank}'s drop folder {folder} does not exist "
                f"(CREDITLAKE_BANKS names it; the bank drops into CREDITLAKE_BANK_DROP/{bank}/)"
            )
        drops.append((bank, folder))
    return drops


def _check_bank_id(bank: str, variable: str) -> None:
    if not BANK_ID.fullmatch(bank):
        raise ConfigError(
            f"bank: {variable}: bank_id {bank!r} must be 1-64 letters, digits, '_' or '-', starting with a letter or digit"
        )


def landing_retention_days() -> int:
    value = env("CREDITLAKE_LANDING_RETENTION_DAYS", "30")
    try:
        days = int(value)
    except ValueError:
        raise ConfigError(
            f"CREDITLAKE_LANDING_RETENTION_DAYS={value!r} is not a whole number of days"
        ) from None
    if days < 1:
        raise ConfigError("CREDITLAKE_LANDING_RETENTION_DAYS must be at least 1")
    return days


def start_from() -> str:
    return env("CREDITLAKE_START_FROM", DEFAULT_START_FROM)


def lookback() -> timedelta:
    value = env("CREDITLAKE_LOOKBACK_HOURS", "0")
    try:
        hours = float(value)
    except ValueError:
        hours = -1
    if not 0 <= hours <= 24 * 31:
        raise ConfigError(
            f"CREDITLAKE_LOOKBACK_HOURS={value!r} must be a number of hours in 0..744"
        )
    return timedelta(hours=hours)


def page_size(default: int) -> int:
    value = env("CREDITLAKE_PAGE_SIZE")
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 5000:
        raise ConfigError(f"CREDITLAKE_PAGE_SIZE={value!r} must be a whole number in 1..5000")
    return min(default, int(value))
