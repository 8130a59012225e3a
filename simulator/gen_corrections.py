"""Late corrections: ~2% of records are re-published later with a changed value.

Only the newest version of a key is corrected, so the correction is the newest version and
"newest wins" downstream gives the corrected value. Corrections keep values plausible
(a few percent, a day, one rating grade) so they never look like a distress signal.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import TAX_CREDIT_RATINGS
from creditlake.simulator import gen_common as gc

CORRECTION_RATE = 0.02
FIELDS = {
    "enterprises": ("registered_capital", "money"),
    "enterprise_changes": ("change_date", "date"),
    "penalties": ("amount", "money"),
    "abnormal_operations": ("listed_on", "date"),
    "dishonest_debtors": ("amount", "money"),
    "taxpayers": ("credit_rating", "rating"),
    "tax_filings": ("declared_revenue", "money"),
    "tax_arrears": ("amount", "money"),
    "ss_contributions": ("insured_headcount", "int"),
    "utility_accounts": ("opened_on", "date"),
    "meter_readings": ("consumption", "num1"),
    "core_enterprises": ("confirmed_credit_limit", "money"),
    "invoices": ("tax_amount", "money"),
    "receivable_confirmations": ("matures_on", "date"),
}


def corrected_value(rng, kind: str, values: pa.Array) -> pa.Array:
    n = len(values)
    if kind == "money":
        cents = np.round(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False) * 100).astype(
            np.int64
        )
        new = np.round(cents * rng.uniform(0.9, 1.1, n)).astype(np.int64)
        return gc.money(np.where(new == cents, cents + 100, new))
    if kind == "num1":
        x = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        return gc.decimal(np.maximum(0.1, np.round(x * rng.uniform(0.95, 1.05, n), 1) + 0.1), 1)
    if kind == "int":
        return gc.ints(pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False) + 1)
    if kind == "date":
        days = (
            pc.cast(pc.cast(values, pa.date32()), pa.int32())
            .to_numpy(zero_copy_only=False)
            .astype(np.int64)
        )
        return gc.dates(days + rng.choice([-2, -1, 1, 2], n))
    if kind == "rating":
        index = pc.index_in(values, pa.array(TAX_CREDIT_RATINGS)).to_numpy(zero_copy_only=False)
        shifted = np.where(index == 0, 1, np.where(index == 4, 3, index + rng.choice([-1, 1], n)))
        return gc.codes(TAX_CREDIT_RATINGS, shifted)
    raise ValueError(kind)


def add_corrections(dataset: str, table: pa.Table, seed: int, end_ts: int) -> pa.Table:
    rng = gc.rng_for(seed, f"corrections-{dataset}")
    field, kind = FIELDS[dataset]
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
        corrected_value(rng, kind, rows.column(field).combine_chunks()),
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
