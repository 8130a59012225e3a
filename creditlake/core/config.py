"""Settings from the environment (or Airflow Connections, see connectors.settings).

Nothing secret or site-specific is written in code; defaults are the embedded demo
set-up (local files, SQLite catalog, DuckDB).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def warehouse_dir() -> Path:
    """The lakehouse folder: landing zone, Iceberg tables and catalog, marts."""
    return Path(env("CREDITLAKE_WAREHOUSE", str(PROJECT_ROOT / "warehouse"))).resolve()


def demo_dir() -> Path:
    """Where `make demo` keeps the simulator's data, drop folder and Airflow home."""
    return Path(env("CREDITLAKE_DEMO_DIR", str(PROJECT_ROOT / ".demo"))).resolve()


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
