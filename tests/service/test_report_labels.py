"""Every code the report prints has words in both languages: the contract's registry codes, the
marts' accepted values (dbt_project yml) and the purposes a bank may state. A code added
upstream without a label here fails, rather than printing as a bare code in a bank's report."""

from __future__ import annotations

from pathlib import Path

import yaml

from creditlake.core import contract
from creditlake.service import authz, report

MARTS = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"


def _accepted_values(column: str) -> set[str]:
    values: set[str] = set()
    for path in MARTS.glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            for col in model.get("columns", []):
                if col["name"] != column:
                    continue
                for test in col.get("data_tests", []):
                    if isinstance(test, dict) and "accepted_values" in test:
                        values |= set(test["accepted_values"]["arguments"]["values"])
    return values


def test_every_code_the_report_prints_has_a_label_in_both_languages():
    expected = {
        "enterprise_type": set(contract.ENTERPRISE_TYPES),
        "size_class": set(contract.SIZE_CLASSES),
        "status": set(contract.ENTERPRISE_STATUSES) | _accepted_values("status"),
        "purpose": set(authz.PURPOSES),
    }
    for column in ("decision", "level", "offer_status", "record_type"):
        expected[column] = _accepted_values(column)
        assert expected[column], f"no accepted_values for {column} in the marts' yml"
    for column, codes in expected.items():
        missing = codes - set(report.CODES[column])
        assert not missing, f"{column}: no label for {sorted(missing)}"
        for code in codes:
            zh, en = report.CODES[column][code]
            assert zh and en and zh != en


def test_a_code_prints_in_the_language_asked_and_an_unknown_code_as_it_is():
    assert report._cell("decision", "approve", "zh") == "通过"
    assert report._cell("decision", "approve", "en") == "Approve"
    assert report._cell("decision", "something_new", "zh") == "something_new"
    assert report._cell("amount", 1234.5, "en") == "1,234.50"
