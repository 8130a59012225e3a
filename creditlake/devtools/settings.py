"""The pipeline's own settings for a run against a simulator (demo, tests)."""

from __future__ import annotations

from pathlib import Path

from creditlake.core.config import PROJECT_ROOT


def pipeline_env(
    sim_url: str, sim_seed: int, drop: Path, warehouse: Path, pii_key: str
) -> dict[str, str]:
    """Environment variables that point every connector at one simulator and one warehouse."""
    from creditlake.core.contract import API_PLATFORMS

    settings = {
        "CREDITLAKE_WAREHOUSE": str(warehouse),
        "CREDITLAKE_PII_KEY": pii_key,
        "CREDITLAKE_BANK_DROP": str(drop),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt_project"),
    }
    for platform in API_PLATFORMS:
        # The simulator's deterministic default credentials (docs/simulator.md).
        settings[f"{platform.env_prefix}_BASE_URL"] = sim_url
        settings[f"{platform.env_prefix}_CLIENT_ID"] = f"{platform.name}-client"
        settings[f"{platform.env_prefix}_CLIENT_SECRET"] = f"{platform.name}-secret-{sim_seed}"
    return settings
