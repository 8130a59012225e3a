"""contract.toml is loaded and checked: a copy with a mistake is refused with a message that
names the entry, never half-loaded."""

from __future__ import annotations

import pytest

from creditlake.core import contract
from creditlake.core.contract import DEFAULT_PATH, ContractError, load

TEXT = DEFAULT_PATH.read_text(encoding="utf-8")


def _load_edited(tmp_path, old: str, new: str):
    assert old in TEXT
    path = tmp_path / "contract.toml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    return load(path)


def test_the_shipped_contract_is_the_one_in_force():
    assert load(DEFAULT_PATH) == contract.PLATFORMS
    assert all(
        d.fields[-1] == contract.UPDATED_AT for p in contract.API_PLATFORMS for d in p.datasets
    )
    assert (
        contract.dataset("loans").cursor == "as_of_date" and contract.dataset("loans").is_file_drop
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('{ name = "amount", type = "money", max = 1e10 }', '{ name = "amount", type = "euro", max = 1e10 }', "penalties.amount: type 'euro'"),
        ('key = ["penalty_id"]', 'key = ["penalty_no"]', "key or cursor ['penalty_no'] is not a field"),
        ('references = "invoices.invoice_no"', 'references = "invoices.number"', "references a field no dataset has"),
        ('{ name = "reason", required = true }', '{ name = "reason", required = true, colour = "red" }', "knows no ['colour']"),
        ('{ name = "amount", type = "money", max = 1e10 }', '{ name = "amount", type = "money", max = 1e10 }, { name = "updated_at", type = "ts" }', "updated_at is implied"),
        ('{ name = "authority", required = true }', '{ name = "authority", required = true, max = 3 }', "min and max apply to money"),
        ('name = "tax_arrears"', 'name = "tax_filings"', "a dataset name is used twice"),
        ('prefix = "/tax/v1"', 'prefix = "/tax/v1"\n[x', "contract.toml"),
    ],
)  # fmt: skip
def test_a_mistake_in_a_copy_is_refused_with_its_place(tmp_path, old, new, message):
    with pytest.raises(ContractError) as caught:
        _load_edited(tmp_path, old, new)
    assert message in str(caught.value)


def test_a_missing_file_is_a_contract_error(tmp_path):
    with pytest.raises(ContractError, match="nowhere.toml"):
        load(tmp_path / "nowhere.toml")
