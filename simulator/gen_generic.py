"""Records for a dataset no hand-written generator covers (a new contract entry).

Every value follows its field's kind in the contract: the enterprise's own identifiers, a
code from the field's list, a date no later than the record's updated_at (later only where the
field may lie in the future), an amount inside the plausible range, a null now and then where
the field is optional. So a new API dataset is served, validated, planted with bad records and
corrected with no simulator code. Its values tell no story: no distress, no tie to the other
feeds beyond the enterprises they name.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import DATE, INT, MONEY, NUM, PERIOD, STR, TS, Dataset, Field
from creditlake.simulator import gen_common as gc
from creditlake.simulator.gen_enterprises import World

RECORDS_PER_ENTERPRISE_YEAR = 2.0
OPTIONAL_NULL_SHARE = 0.1


def records(ds: Dataset, world: World, cal: gc.Calendar, seed: int) -> pa.Table:
    if ds.is_file_drop:
        raise ValueError(
            f"{ds.name}: the bank's file datasets need a generator of their own "
            "(simulator/gen_bank.py): their files follow the loan book"
        )
    refs = [f.name for f in ds.fields if f.references]
    if refs:
        raise ValueError(
            f"{ds.name}: fields {refs} refer to other records; write a generator that draws "
            "them from the referenced dataset (see simulator/gen_activity.py, meter readings)"
        )
    rng = gc.rng_for(seed, f"generic-{ds.name}")
    rate = RECORDS_PER_ENTERPRISE_YEAR / 12 * world.active  # (enterprise, month) cells
    firm, month = np.nonzero(rng.random(rate.shape) < rate)
    mi = cal.first_mi + month
    start = gc.month_start(mi)
    day = start + (rng.random(len(mi)) * (gc.month_start(mi + 1) - start)).astype(np.int64)
    columns = {
        f.name: _values(rng, ds, f, firm, mi, day, world) for f in ds.fields if f.name != ds.cursor
    }
    table = gc.table(ds.name, columns, gc.uniform_seconds(rng, day + rng.integers(1, 6, len(day))))
    return _first_per_key(table, ds.key)


def _values(
    rng, ds: Dataset, f: Field, firm: np.ndarray, mi: np.ndarray, day: np.ndarray, world: World
) -> pa.Array:
    m = len(firm)
    valid = None if f.required or f.name in ds.key else rng.random(m) >= OPTIONAL_NULL_SHARE
    take = pa.array(firm)
    if f.identifier in ("uscc", "uscc_or_legacy"):
        values = world.uscc.take(take)
    elif f.identifier == "legacy":
        values = world.legacy_reg_no.take(take)
    elif f.identifier == "industry":
        values = world.industry_code.take(take)
    elif f.identifier == "region":
        return gc.ints(world.region[firm], valid)
    elif f.codes:
        return gc.codes(f.codes, rng.integers(0, len(f.codes), m), valid)
    elif f.type == DATE:
        offset = rng.integers(30, 730, m) if f.future else -rng.integers(0, 60, m)
        return gc.dates(day + offset, valid)
    elif f.type == PERIOD:
        return gc.periods(mi, valid)
    elif f.type == TS:
        return gc.timestamps(gc.uniform_seconds(rng, day, 0, 6))  # before updated_at's day ends
    elif f.type in (MONEY, NUM, INT):
        return _number(rng, f, m, valid)
    elif f.type == STR:  # an identifier of the platform's own, or free text
        prefix = "".join(w[0] for w in f.name.split("_")).upper()
        values = gc.numbered(prefix, np.arange(m, dtype=np.int64) + 1, 9)
    else:
        raise ValueError(f"{ds.name}.{f.name}: no values for type {f.type}")
    if valid is not None:
        values = pc.if_else(pa.array(valid), values, pa.scalar(None, pa.string()))
    return values


def _number(rng, f: Field, m: int, valid) -> pa.Array:
    """Log-normal amounts (most small, a few large), inside the field's plausible range."""
    low = 0.0 if f.low is None else f.low
    high = 1e7 if f.high is None else f.high
    if f.type == INT:
        return gc.ints(rng.integers(int(low), int(min(high, low + 1000)) + 1, m), valid)
    x = np.clip(rng.lognormal(np.log(max(high, 1.0) / 1000), 1.0, m), low, high)
    return (
        gc.money(np.round(x * 100).astype(np.int64), valid)
        if f.type == MONEY
        else gc.decimal(x, 4, valid)
    )


def _first_per_key(table: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """Cells drawn for the same key (an enterprise twice in a month, say): the first one stays."""
    joined = pc.binary_join_element_wise(*[pc.fill_null(table[k], "") for k in key], "|")
    _, first = np.unique(joined.to_numpy(zero_copy_only=False), return_index=True)
    return table.take(pa.array(np.sort(first)))
