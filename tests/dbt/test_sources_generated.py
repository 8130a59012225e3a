"""The bronze source yml is generated from the feed contract and lists every dataset and field."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from creditlake.core import contract

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "dbt_project" / "scripts" / "make_sources.py"
SOURCES = ROOT / "dbt_project" / "models" / "staging" / "_bronze__sources.yml"


def _make_sources():
    spec = importlib.util.spec_from_file_location("make_sources", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_file_is_rendered_from_the_contract():
    assert SOURCES.read_text(encoding="utf-8") == _make_sources().render(), (
        f"{SOURCES.name} is stale: run `.venv/bin/python dbt_project/scripts/make_sources.py`"
    )


def test_every_dataset_and_field_is_a_source_table_and_column():
    (bronze,) = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))["sources"]
    tables = {t["name"]: {c["name"] for c in t.get("columns", [])} for t in bronze["tables"]}
    for ds in contract.DATASETS.values():
        assert ds.name in tables, f"dataset {ds.name} is not a table of source bronze"
        missing = [f for f in ds.field_names if f not in tables[ds.name]]
        assert not missing, f"bronze.{ds.name} lacks columns {missing}"
