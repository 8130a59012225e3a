"""Declarative sources: each platform's datasets as configuration (dlt-like).

Everything about a dataset's shape comes from creditlake.core.contract (path, key, cursor,
fields, personal data); this module adds only how to pull it: page size, which modes the
source supports and which datasets must be loaded first (a reading refers to its
account, a confirmation to its invoice).
"""

from __future__ import annotations

from dataclasses import dataclass

from creditlake.core.contract import PLATFORMS, Dataset
from creditlake.core.contract import platform as contract_platform

INCREMENTAL, SNAPSHOT, FILE = "incremental", "snapshot", "file"
MODES = (INCREMENTAL, SNAPSHOT)


@dataclass(frozen=True)
class Source:
    """How to pull one dataset of one platform."""

    contract: Dataset
    prefix: str  # the platform's path prefix, "" for the file drop
    page_size: int = 2000
    modes: tuple[str, ...] = (INCREMENTAL, SNAPSHOT)
    depends_on: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.contract.name

    @property
    def platform(self) -> str:
        return self.contract.platform

    @property
    def path(self) -> str:
        return f"/{self.contract.name}"

    @property
    def snapshots_path(self) -> str:
        return f"/{self.contract.name}/snapshots"


# Per-dataset settings that differ from the defaults. Large monthly feeds use big pages
# (the contract allows 1..5000); small reference lists need no tuning.
_OVERRIDES: dict[str, dict] = {
    "meter_readings": {"page_size": 5000},
    "tax_filings": {"page_size": 5000},
    "ss_contributions": {"page_size": 5000},
    "invoices": {"page_size": 5000},
    "loans": {"modes": (FILE,)},
    "repayments": {"modes": (FILE,)},
}


def _depends_on(ds: Dataset) -> tuple[str, ...]:
    # A reference to another dataset of the same platform must be loaded first.
    refs = {f.references[0] for f in ds.fields if f.references and f.references[0] != ds.name}
    return tuple(sorted(refs))


def _build() -> dict[str, dict[str, Source]]:
    sources: dict[str, dict[str, Source]] = {}
    for plat in PLATFORMS.values():
        sources[plat.name] = {
            ds.name: Source(
                contract=ds,
                prefix=plat.prefix,
                depends_on=_depends_on(ds),
                **_OVERRIDES.get(ds.name, {}),
            )
            for ds in plat.datasets
        }
    return sources


SOURCES = _build()


def load_levels(platform_name: str) -> list[list[Source]]:
    """The platform's sources grouped so that each group refers only to earlier groups (a
    reading after its account); contract order within a group."""
    contract_platform(platform_name)  # clear error for an unknown platform
    pending = dict(SOURCES[platform_name])
    levels: list[list[Source]] = []
    while pending:
        ready = [s for s in pending.values() if all(d not in pending for d in s.depends_on)]
        if not ready:
            raise ValueError(f"{platform_name}: circular dataset references {sorted(pending)}")
        levels.append([pending.pop(src.name) for src in ready])
    return levels


def platform_sources(platform_name: str) -> list[Source]:
    """The platform's sources in load order (a dataset after those it refers to)."""
    return [src for level in load_levels(platform_name) for src in level]


def source(platform_name: str, dataset_name: str) -> Source:
    contract_platform(platform_name)
    try:
        return SOURCES[platform_name][dataset_name]
    except KeyError:
        raise KeyError(
            f"{platform_name} has no dataset {dataset_name!r}; expected one of "
            f"{', '.join(SOURCES[platform_name])}"
        ) from None
