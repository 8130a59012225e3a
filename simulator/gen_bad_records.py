"""Bad records: extra rows with exactly one defect each, every one listed in the truth.

A bad row is a copy of a good row (so everything else about it is plausible, including its
updated_at) given a fresh key that no good row has, then broken in ONE field. Conflicting
duplicates are two copies with the same fresh key and updated_at and one differing value.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditlake.core.contract import DATASETS, DATE, INT, MONEY, NUM, PERIOD, STR, Dataset, Field
from creditlake.core.uscc import ALPHABET
from creditlake.simulator import gen_common as gc
from creditlake.simulator.gen_enterprises import mint_legacy, unique_usccs

BAD_SHARE = 0.005  # of a dataset's good rows, split over its reasons
MIN_GOOD_ROWS = 150  # smaller datasets get none: a handful of rows must not be mostly bad


def plan(ds: Dataset) -> dict[str, str]:
    """Which field each reason of section 3 breaks in `ds`: the first field, in contract order,
    of the kind the reason is about. A reason with no such field does not fit the dataset."""
    free = [f for f in ds.fields if f.name not in (*ds.key, ds.cursor)]  # keys stay fresh
    text = [
        f for f in free if f.type == STR and not (f.codes or f.identifier or f.references or f.pii)
    ]
    numbers = [f for f in free if f.type in (MONEY, NUM)]
    candidates = {
        "invalid_uscc": [f for f in ds.fields if f.identifier in ("uscc", "uscc_or_legacy")],
        "invalid_identifier": [f for f in ds.fields if f.identifier == "industry"],
        "missing_required": [f for f in free if f.required and not (f.identifier or f.references)],
        "unknown_code": [f for f in ds.fields if f.codes],
        "negative_value": numbers,
        "future_date": [f for f in ds.fields if f.type in (DATE, PERIOD) and not f.future],
        "malformed_value": [f for f in free if f.type in MALFORMED],
        "conflicting_duplicate": numbers or text or [f for f in free if f.codes],
        "unresolved_reference": [f for f in ds.fields if f.references],
        "invalid_utf8": text,
        "out_of_range": [f for f in free if f.type in (MONEY, NUM, INT)],
    }
    return {reason: fields[0].name for reason, fields in candidates.items() if fields}


MALFORMED = {
    "date": ["2026-13-45", "2026-02-30", "20260115", "not-a-date"],
    "period": ["2026-13", "202605", "abc"],
    "money": ["abc", "n/a", "1.2.3"],
    "num": ["abc", "n/a", "1.2.3"],
    "int": ["12a", "abc", "1.2.3"],
}


def unknown_code(f: Field) -> str:
    """A code outside the field's list (a value a platform may well start sending)."""
    return next(c for c in ("unlisted", "unlisted_code") if c not in f.codes)


def out_of_range(f: Field) -> str:
    """Far above the field's plausible maximum (or any SME figure where it states none), still
    inside the bronze type: the value is implausible, not malformed."""
    if f.type == INT:
        return str(int((f.high or 1e9) * 1000))
    return f"{(f.high or 1e12) * 1000:.{2 if f.type == MONEY else 4}f}"


PLANS = {name: plan(ds) for name, ds in DATASETS.items()}


class FreshKeys:
    """Keys no good row has. USCC-keyed rows take a valid code of no enterprise (ghosts);
    id-keyed rows take numbers from a range good ids never reach."""

    def __init__(
        self,
        dataset: str,
        seed: int,
        real_uscc: pa.Array,
        regions: np.ndarray,
        first_mi: int,
        accounts: pa.Array | None = None,
    ):
        # One instance per dataset (keys only need to be fresh within their dataset), so
        # datasets can be processed in parallel and still come out the same every run.
        self.rng = gc.rng_for(seed, f"fresh-keys-{dataset}")
        self.taken, self.regions = real_uscc, regions
        self.first_mi, self.accounts = first_mi, accounts
        self.counter = 0

    def ghost(self, k: int) -> pa.Array:
        regions = self.regions[self.rng.integers(0, len(self.regions), k)]
        out = unique_usccs(self.rng, regions, np.ones(k, np.int64), exclude=self.taken)
        self.taken = pa.concat_arrays([self.taken, out])
        return out

    def numbers(self, k: int) -> np.ndarray:
        out = np.arange(self.counter, self.counter + k, dtype=np.int64)
        self.counter += k
        return out

    def assign(self, dataset: str, rows: pa.Table) -> pa.Table:
        k = rows.num_rows
        j = self.numbers(k)
        fresh: dict[str, pa.Array] = {}
        ds = DATASETS[dataset]
        named = [n for n in ds.key if ds.field(n).identifier in ("uscc", "uscc_or_legacy")]
        if named:  # keyed by the enterprise: an enterprise no one has (a ghost)
            fresh[named[0]] = self.ghost(k)
        elif dataset == "meter_readings":
            # A real account and a month before the history: unique, and the reference resolves.
            a = len(self.accounts)
            fresh["account_no"] = self.accounts.take(pa.array(j % a))
            fresh["period"] = gc.periods(self.first_mi - 1 - j // a)
        elif dataset == "loans":
            fresh["loan_id"] = gc.numbered("LN", 90_000_000 + j, 8)
        elif dataset == "repayments":
            fresh["repayment_id"] = pc.binary_join_element_wise(
                rows.column("loan_id"), gc.ints(900_000 + j), "-"
            )
        elif dataset == "invoices":
            fresh["invoice_no"] = gc.numbered("9900", j, 16)
        elif dataset == "utility_accounts":
            fresh["account_no"] = gc.numbered("99", j, 8)
        elif dataset == "dishonest_debtors":
            fresh["case_no"] = pc.replace_substring(rows.column("case_no"), "执", "执恢")
            fresh["case_no"] = pc.binary_join_element_wise(fresh["case_no"], gc.ints(j), "-")
        else:  # any other key: its first field under a number range good rows never reach
            key = ds.key[0]
            prefix = pc.utf8_slice_codeunits(rows.column(key), 0, 2)
            fresh[key] = pc.binary_join_element_wise(prefix, gc.ints(9_000_000_000 + j), "")
        for name, values in fresh.items():
            rows = rows.set_column(rows.schema.get_field_index(name), name, values)
        return rows


def _invalid_usccs(rng, values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Three ways a code is wrong: length, alphabet, check character."""
    k = len(values)
    kind = np.arange(k) % 3
    body = pc.utf8_slice_codeunits(values, 0, 17)
    check = pc.utf8_slice_codeunits(values, 17, 18)
    index = pc.index_in(check, pa.array(list(ALPHABET))).to_numpy(zero_copy_only=False)
    wrong_check = pc.binary_join_element_wise(
        body, gc.codes(ALPHABET, (index + 1 + rng.integers(0, 29, k)) % 31), ""
    )
    bad_alphabet = pc.utf8_replace_slice(values, 10, 11, "I")
    too_short = body
    out = pc.if_else(
        pa.array(kind == 0), too_short, pc.if_else(pa.array(kind == 1), bad_alphabet, wrong_check)
    )
    detail = gc.codes(["length 17", "character I not in alphabet", "check character wrong"], kind)
    return out, detail


def _broken(
    rng, dataset: str, reason: str, field: str, rows: pa.Table, fresh: FreshKeys
) -> tuple[pa.Table, pa.Array]:
    """Returns the rows with `field` broken for `reason`, and a detail per row."""
    k = rows.num_rows
    f = DATASETS[dataset].field(field)
    ftype = f.type
    values = rows.column(field).combine_chunks()
    detail = pa.array([f"{field}"] * k)
    if reason == "invalid_uscc":
        values, detail = _invalid_usccs(rng, values)
    elif reason == "invalid_identifier":
        kind = np.arange(k) % 3
        # Section T has division 97 only, and the generator never uses T: always a mismatch.
        industry = pc.binary_join_element_wise(
            "T", pc.utf8_slice_codeunits(rows.column("industry_code"), 1, 5), ""
        )
        # A region code must have 6 digits and a legacy number 15 (contract section 2); a
        # 6-digit code outside our table or a failed GS15 digit are observations, not defects.
        region = pc.utf8_slice_codeunits(rows.column("region_code"), 0, 5)
        rows = rows.set_column(
            rows.schema.get_field_index("region_code"),
            "region_code",
            pc.if_else(pa.array(kind == 1), region, rows.column("region_code")),
        )
        valid = mint_legacy(
            rng, pc.cast(rows.column("region_code"), pa.int64()).to_numpy(zero_copy_only=False)
        )
        legacy = pc.utf8_slice_codeunits(valid, 0, 14)
        rows = rows.set_column(
            rows.schema.get_field_index("legacy_reg_no"),
            "legacy_reg_no",
            pc.if_else(pa.array(kind == 2), legacy, rows.column("legacy_reg_no")),
        )
        values = pc.if_else(pa.array(kind == 0), industry, values)
        detail = gc.codes(
            [
                "industry_code division not in its section",
                "region_code not 6 digits",
                "legacy_reg_no not 15 digits",
            ],
            kind,
        )
    elif reason == "missing_required":
        values = gc.nulls(k)
    elif reason == "unknown_code":
        values = pa.array([unknown_code(f)] * k, pa.string())
    elif reason == "negative_value":
        values = pc.fill_null(values, "100.00")
        values = pc.if_else(
            pc.match_substring_regex(values, r"^0+(\.0+)?$"), pa.scalar("100.00"), values
        )  # -0.00 is not negative
        values = pc.binary_join_element_wise("-", values, "")
    elif reason == "future_date":
        if ftype == "period":
            values = gc.periods(2031 * 12 + rng.integers(0, 12, k))
        else:
            values = gc.dates(gc.day_number("2031-01-01") + rng.integers(0, 365, k))
    elif reason == "malformed_value":
        options = MALFORMED[ftype]
        values = gc.codes(options, np.arange(k) % len(options))
    elif reason == "out_of_range":
        values = pa.array([out_of_range(f)] * k)
    elif reason == "unresolved_reference":
        j = fresh.numbers(k)
        if field == "account_no":
            values = gc.numbered("98", j, 8)
        elif field == "invoice_no":
            values = gc.numbered("9800", j, 16)
        elif field != "loan_id":
            values = gc.numbered("UNRESOLVED", j, 10)  # a key no referenced record has
        else:
            values = gc.numbered("LN", 95_000_000 + j, 8)
            rows = rows.set_column(
                rows.schema.get_field_index("repayment_id"),
                "repayment_id",
                pc.binary_join_element_wise(values, "001", "-"),
            )
    elif reason == "invalid_utf8":
        pass  # the value stays; the server sends it as invalid UTF-8
    else:
        raise ValueError(reason)
    detail = (
        pc.binary_join_element_wise(pa.scalar(f"{field}: "), pc.cast(detail, pa.string()), "")
        if reason in ("invalid_uscc", "invalid_identifier")
        else pc.binary_join_element_wise(pa.scalar(f"{field}="), pc.fill_null(values, "null"), "")
    )
    rows = rows.set_column(rows.schema.get_field_index(field), field, values)
    return rows, detail


def _conflicting(rng, dataset: str, field: str, rows: pa.Table) -> pa.Table:
    """The second row of a pair: same key and updated_at, one value different."""
    f = DATASETS[dataset].field(field)
    values = rows.column(field).combine_chunks()
    if f.type in (MONEY, NUM):
        cents = np.round(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False) * 100).astype(
            np.int64
        )
        changed = gc.money(cents + 10_000) if f.type == MONEY else gc.decimal(cents / 100 + 100, 1)
    elif f.codes:  # another code of the list
        a, b = f.codes[:2]
        changed = pc.if_else(pc.equal(values, a), pa.scalar(b), pa.scalar(a))
    else:
        changed = pc.binary_join_element_wise(values, "（更正）", "")
    return rows.set_column(rows.schema.get_field_index(field), field, changed)


def plant(dataset: str, good: pa.Table, seed: int, fresh: FreshKeys) -> pa.Table:
    """Bad rows for one dataset, with `_bad_reason`, `_bad_detail` and `_bad_utf8_field`."""
    rng = gc.rng_for(seed, f"bad-{dataset}")
    plan = PLANS[dataset]
    per_reason = (
        0 if good.num_rows < MIN_GOOD_ROWS else max(1, round(good.num_rows * BAD_SHARE / len(plan)))
    )
    parts = []
    for reason, field in plan.items():
        if per_reason == 0:
            break
        needs_value = reason in (
            "invalid_uscc",
            "negative_value",
            "conflicting_duplicate",
            "invalid_utf8",
        )
        present = good.column(field).is_valid()
        if reason == "invalid_uscc":  # break real 18-character codes, not legacy numbers
            present = pc.and_(present, pc.equal(pc.utf8_length(good.column(field)), 18))
        candidates = (
            np.flatnonzero(pc.fill_null(present, False).to_numpy(zero_copy_only=False))
            if needs_value
            else np.arange(good.num_rows)
        )
        if len(candidates) == 0:
            continue
        picked = rng.choice(candidates, min(per_reason, len(candidates)), replace=False)
        rows = fresh.assign(dataset, gc.take_sorted(good, np.sort(picked)))
        k = rows.num_rows
        utf8 = gc.nulls(k)
        if reason == "conflicting_duplicate":
            rows = pa.concat_tables([rows, _conflicting(rng, dataset, field, rows)])
            detail = pc.binary_join_element_wise(
                pa.scalar(f"{field} differs within key "), _key_text(dataset, rows), ""
            )
            k, utf8 = rows.num_rows, gc.nulls(rows.num_rows)
        else:
            rows, detail = _broken(rng, dataset, reason, field, rows, fresh)
            if reason == "invalid_utf8":
                utf8 = pa.array([field] * k)
        rows = rows.append_column("_bad_reason", pa.array([reason] * k)).append_column(
            "_bad_detail", detail
        )
        parts.append(rows.append_column("_bad_utf8_field", utf8))
    if not parts:
        empty = good.schema.append(pa.field("_bad_reason", pa.string())).append(
            pa.field("_bad_detail", pa.string())
        )
        return empty.append(pa.field("_bad_utf8_field", pa.string())).empty_table()
    return pa.concat_tables(parts)


def _key_text(dataset: str, rows: pa.Table) -> pa.Array:
    key = DATASETS[dataset].key
    return pc.binary_join_element_wise(*[pc.fill_null(rows.column(k), "") for k in key], "|")


# Defects of a real enterprise's registry records that validation quarantines, taken in turn:
# real registries send both (a status code the contract does not know, an industry code whose
# division is not in its section).
REAL_ENTERPRISE_DEFECTS = (("unknown_code", "status"), ("invalid_identifier", "industry_code"))


def break_real_enterprises(good: pa.Table, seed: int, share: float) -> tuple[pa.Table, pa.Table]:
    """Split `share` of the real enterprises off the registry feed, every version of each broken.

    Unlike plant(), which adds broken copies under fresh keys (ghosts), this breaks the records
    of enterprises that exist: each picked enterprise's every version carries one defect, so
    validation quarantines all of it and the enterprise never reaches staging, while the
    records of the other feeds that name it (tax, social security, utility accounts, invoices,
    loans...) stay good. Returns (the good rows left, the broken rows with `_bad_reason`,
    `_bad_detail` and `_bad_utf8_field`, as plant() returns them)."""
    usccs = pc.unique(good.column("uscc").combine_chunks())
    usccs = usccs.take(pc.sort_indices(usccs))  # the feed's row order must not decide the pick
    k = int(round(share * len(usccs)))
    if k == 0:
        empty = good.schema.append(pa.field("_bad_reason", pa.string())).append(
            pa.field("_bad_detail", pa.string())
        )
        return good, empty.append(pa.field("_bad_utf8_field", pa.string())).empty_table()
    rng = gc.rng_for(seed, "break-real-enterprises")
    picked = usccs.take(pa.array(np.sort(rng.choice(len(usccs), k, replace=False))))
    is_broken = pc.is_in(good.column("uscc"), value_set=picked)
    rest, broken = good.filter(pc.invert(is_broken)), good.filter(is_broken)
    # the defect goes with the enterprise, not the row: all its versions fail alike
    defect = pc.index_in(broken.column("uscc"), value_set=picked).to_numpy(
        zero_copy_only=False
    ) % len(REAL_ENTERPRISE_DEFECTS)
    status = pa.array(
        [unknown_code(DATASETS["enterprises"].field("status"))] * broken.num_rows, pa.string()
    )
    # Section T has division 97 only, and the generator never uses T: always a mismatch.
    industry = pc.binary_join_element_wise(
        "T", pc.utf8_slice_codeunits(broken.column("industry_code"), 1, 5), ""
    )
    first = pa.array(defect == 0)
    broken = broken.set_column(
        broken.schema.get_field_index("status"),
        "status",
        pc.if_else(first, status, broken.column("status")),
    )
    broken = broken.set_column(
        broken.schema.get_field_index("industry_code"),
        "industry_code",
        pc.if_else(first, broken.column("industry_code"), industry),
    )
    reasons = gc.codes([r for r, _ in REAL_ENTERPRISE_DEFECTS], defect)
    detail = pc.if_else(
        first,
        pc.binary_join_element_wise(pa.scalar("status="), broken.column("status"), ""),
        pa.scalar("industry_code: industry_code division not in its section"),
    )
    broken = broken.append_column("_bad_reason", reasons).append_column("_bad_detail", detail)
    return rest, broken.append_column("_bad_utf8_field", gc.nulls(broken.num_rows))
