"""Write docs/data-dictionary.md from the marts' YAML (the single place columns are described).

Run after changing a mart's columns: .venv/bin/python dbt_project/scripts/make_data_dictionary.py
"""

from __future__ import annotations

from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT.parent / "docs" / "data-dictionary.md"
ORDER = [
    "identity", "customer", "credit", "product", "risk", "portfolio", "acquisition", "quality",
    "monitoring", "serving",
]  # fmt: skip

INTRO = """# Data dictionary: the marts

Generated from `dbt_project/models/marts/*/_*__models.yml` by
`dbt_project/scripts/make_data_dictionary.py`; edit the YAML, not this file.

The marts live in schema `marts` of the DuckDB file WAREHOUSE/marts/published/creditlake.duckdb
(copied there after every green `dbt build`). Models marked *contract* have an enforced dbt
contract: their column names and types only change with a new version of this dictionary.
Months are the first day of the month (`month`, date) and `period` ('YYYY-MM'). Money is CNY.
Scorecard bins, grades, product line rules and warning thresholds are seeds in schema
`reference` (dbt_project/seeds/); the customer history is the snapshot `snapshots.snp_enterprise`.
"""


def orphan_kinds() -> list[dict]:
    """The kinds of reference orphans as macros/reference_orphans.sql declares them (rendered
    with Jinja, so the dictionary lists exactly what the mart counts)."""
    import jinja2

    returned: list = []
    text = (PROJECT / "macros" / "reference_orphans.sql").read_text(encoding="utf-8")
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    env.from_string(text + "{{ reference_orphan_kinds() }}").render(**{"return": returned.append})
    return returned[0]


def main() -> None:
    lines = [INTRO]
    folders = {p.name for p in (PROJECT / "models" / "marts").iterdir() if p.is_dir()}
    if unlisted := sorted(folders - set(ORDER)):  # a mart left out would go undocumented
        raise SystemExit(f"marts folders {unlisted} are not in ORDER of {Path(__file__).name}")
    for domain in ORDER:
        for path in sorted((PROJECT / "models" / "marts" / domain).glob("_*__models.yml")):
            for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
                contract = model.get("config", {}).get("contract", {}).get("enforced", False)
                lines.append(f"## {model['name']}{' (contract)' if contract else ''}\n")
                lines.append(model["description"].strip() + "\n")
                lines.append("| column | type | description |")
                lines.append("|---|---|---|")
                for col in model["columns"]:
                    lines.append(
                        f"| {col['name']} | {col.get('data_type', '')} | {col.get('description', '')} |"
                    )
                lines.append("")
                if model["name"] == "rpt_reference_orphans":
                    lines.append("Kinds (one row each):\n")
                    lines.append("| kind | child | parent | an orphan is |")
                    lines.append("|---|---|---|---|")
                    for k in orphan_kinds():
                        where = f" where {k['where']}" if k.get("where") else ""
                        lines.append(
                            f"| {k['kind']} | {k['child']}.{k['child_column']}{where} | "
                            f"{k['parent']}.{k['parent_column']} | {k['description']} |"
                        )
                    lines.append("")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
