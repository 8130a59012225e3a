"""Late corrections: ~2% of records are re-published later with a changed value.

Only the newest version of a key is corrected, so the correction is the newest version and
"newest wins" downstream gives the corrected value. Corrections keep values plausible
(a few percent, a day, one rating grade) so they never look like a distress signal.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import DATASETS, DATE, INT, MONEY, NUM, Dataset, Field
from creditlake.simulator import gen_common as gc

CORRECTION_RATE = 0.02
# Which field each platform corrects is part of this world's story: corrections that moved a
# headcount's money or a penalty's date would read as distress or as new events. A dataset not
# listed (a new one) gets the field `correctable` derives from the contract's field kinds; how a
# value is corrected always follows its kind.
STORY = {
    "enterprises": "registered_capital",
    "enterprise_changes": "change_date",
    "penalties": "amount",
    "abnormal_operations": "listed_on",
    "dishonest_debtors": "amount",
    "taxpayers": "credit_rating",
    "tax_filings": "declared_revenue",
    "tax_arrears": "amount",
    "ss_contributions": "insured_headcount",
    "utility_accounts": "opened_on",
    "meter_readings": "consumption",
    "core_enterprises": "confirmed_credit_limit",
    "invoices": "tax_amount",
    "receivable_confirmations": "matures_on",
}
KINDS = (MONEY, NUM, INT, DATE)  # the field types a correction knows how to move a little


def correctable(ds: Dataset) -> Field | None:
    """The field a correction changes: the story's, else the first optional money, num, int or
    date field outside the key (an optional one is least likely to drive the record's meaning),
    else the first such field, else the first code field; None if the dataset has none."""
    if ds.name in STORY:
        return ds.field(STORY[ds.name])
    free = [f for f in ds.fields if f.name not in (*ds.key, ds.cursor) and f.identifier is None]
    for candidates in (
        [f for f in free if f.type in KINDS and not f.required],
        [f for f in free if f.type in KINDS],
        [f for f in free if f.codes],
    ):
        if candidates:
            return candidates[0]
    return None


def corrected_value(rng, f: Field, values: pa.Array) -> pa.Array:
    n = len(values)
    if f.codes:  # one step along the code list (one rating grade)
        last = len(f.codes) - 1
        index = pc.index_in(values, pa.array(f.codes)).to_numpy(zero_copy_only=False)
        shifted = np.where(
            index == 0, 1, np.where(index == last, last - 1, index + rng.choice([-1, 1], n))
        )
        return gc.codes(f.codes, shifted)
    if f.type == MONEY:
        cents = np.round(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False) * 100).astype(
            np.int64
        )
        new = np.round(cents * rng.uniform(0.9, 1.1, n)).astype(np.int64)
        return gc.money(np.where(new == cents, cents + 100, new))
    if f.type == NUM:
        x = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        return gc.decimal(np.maximum(0.1, np.round(x * rng.uniform(0.95, 1.05, n), 1) + 0.1), 1)
    if f.type == INT:
        return gc.ints(pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False) + 1)
    if f.type == DATE:
        days = (
            pc.cast(pc.cast(values, pa.date32()), pa.int32())
            .to_numpy(zero_copy_only=False)
            .astype(np.int64)
        )
        return gc.dates(days + rng.choice([-2, -1, 1, 2], n))
    raise ValueError(f"no correction for {f.name} ({f.type})")


def add_corrections(dataset: str, table: pa.Table, seed: int, end_ts: int) -> pa.Table:
    rng = gc.rng_for(seed, f"corrections-{dataset}")
    f = correctable(DATASETS[dataset])
    if f is None:
        return table
    field = f.name
    final = table.column("_final").to_numpy(zero_copy_only=False)
    present = table.column(field).is_valid().to_numpy(zero_copy_only=False)
    chosen = np.flatnonzero(final & present & (rng.random(table.num_rows) < CORRECTION_RATE))
    ts = (
        table.column("_ts").to_numpy()[chosen]
        + rng.integers(1, 46, len(chosen)) * gc.DAY
        + rng.integers(-3600, 3600, len(chosen))
    )
    keep = ts < end_ts
    chosen, ts = chosen[keep], ts[keep]
    rows = gc.take_sorted(table, chosen)
    rows = rows.set_column(
        rows.schema.get_field_index(field),
        field,
        corrected_value(rng, f, rows.column(field).combine_chunks()),
    )
    rows = rows.set_column(
        rows.schema.get_field_index("updated_at"), "updated_at", gc.timestamps(ts)
    )
    rows = rows.set_column(rows.schema.get_field_index("_ts"), "_ts", pa.array(ts))
    superseded = np.zeros(table.num_rows, bool)
    superseded[chosen] = True
    table = table.set_column(
        table.schema.get_field_index("_final"), "_final", pa.array(final & ~superseded)
    )
    return pa.concat_tables([table, rows])
