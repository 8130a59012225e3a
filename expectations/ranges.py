"""What the contract leaves open, per field: plausible ranges and future-dated fields.

The per-field choices are declared with the dataset, in the contract file (min, max, future);
this module gives the defaults by type and reads them.

A value outside its plausible range is quarantined as `out_of_range` (contract section 3:
"a value far outside any plausible range"). Bounds are deliberately wide: they catch
typing slips (a missing decimal point, a year 2206), not unusual businesses.
"""

from __future__ import annotations

from creditlake.core import contract
from creditlake.core.contract import DATE, INT, MONEY, NUM, PERIOD

# Defaults by type: (min, max); None = unbounded on that side. Negatives are a separate
# reason (negative_value), so numeric minima here apply only where 0 is not the floor.
MONEY_MAX = 1e12  # one trillion yuan: more than any SME figure in these feeds
NUM_MAX = 1e12
INT_MAX = 1e9
OLDEST_DATE = "1949-10-01T00:00:00"  # no registration, contract or filing predates the PRC
OLDEST_PERIOD = "1990-01-01T00:00:00"
LATEST_DATE = "2100-12-31T00:00:00"  # for fields that may lie in the future

TYPE_DEFAULTS = {MONEY: (None, MONEY_MAX), NUM: (None, NUM_MAX), INT: (None, INT_MAX)}


def numeric_range(dataset: str, field: str, ftype: str) -> tuple[float | None, float | None]:
    """The field's plausible range as the contract file states it, else its type's default."""
    f = contract.dataset(dataset).field(field)
    if f.low is None and f.high is None:
        return TYPE_DEFAULTS.get(ftype, (None, None))
    return f.low, f.high


def future_allowed(dataset: str, field: str) -> bool:
    return contract.dataset(dataset).field(field).future


def oldest(ftype: str) -> str:
    return OLDEST_PERIOD if ftype == PERIOD else OLDEST_DATE


DATE_TYPES = (DATE, PERIOD)
