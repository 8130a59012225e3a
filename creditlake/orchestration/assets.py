"""The Airflow Assets of the lakehouse: one per bronze table, one for the published marts."""

from __future__ import annotations

from airflow.sdk import Asset, AssetAlias

from creditlake.core.contract import PLATFORMS, Platform


def bronze_asset(dataset: str) -> Asset:
    return Asset(
        name=f"bronze.{dataset}", uri=f"iceberg://creditlake/bronze/{dataset}", group="bronze"
    )


def bronze_alias(platform: Platform) -> AssetAlias:
    """A platform's ingestion task emits events through this alias, each mapped task
    instance for its own dataset only (a static outlet would mark every table updated)."""
    return AssetAlias(name=f"bronze_{platform.slug}")


def all_bronze_assets() -> list[Asset]:
    return [bronze_asset(d.name) for p in PLATFORMS.values() for d in p.datasets]


MARTS = Asset(
    name="marts.published", uri="file://creditlake/marts/published/creditlake.duckdb", group="marts"
)
