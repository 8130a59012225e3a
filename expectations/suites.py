"""One Great Expectations suite per dataset, defined as code from the feed contract.

Every expectation carries `meta.reason` (a key of creditlake.core.contract.REASONS) for row
checks, `meta.observation` (a key of creditlake.core.contract.OBSERVATIONS) for checks stricter
than the contract, or `meta.batch` for batch checks. A failed row check's unexpected row
indexes translate straight into quarantine reasons; a failed observation only counts its
rows (the record is published: only the rules of contract section 3 quarantine). Run-time values (the batch's
as-of time, the usual row count) are suite parameters: the suite itself never changes
between runs, which keeps its Data Docs page meaningful.
"""

from __future__ import annotations

from creditlake.core import contract
from creditlake.core.contract import DATE, INT, MONEY, NUM, PERIOD, STR, TS
from creditlake.expectations import frame, ranges

AS_OF, MIN_ROWS, MAX_ROWS = "as_of", "min_rows", "max_rows"


def suite_name(dataset: str) -> str:
    return f"creditlake.{dataset}"


def expectation_specs(dataset: str) -> list[tuple[str, dict, dict]]:
    """(GX expectation class name, kwargs, meta) for every check of `dataset`."""
    ds = contract.dataset(dataset)
    specs: list[tuple[str, dict, dict]] = []

    def row(kind: str, reason: str, field: str, **kwargs) -> None:
        specs.append((kind, kwargs, {"reason": reason, "field": field}))

    def observe(kind: str, rule: str, field: str, **kwargs) -> None:
        specs.append((kind, kwargs, {"observation": rule, "field": field}))

    for f in ds.fields:
        name = f.name
        if f.required:
            specs.append(
                (
                    "ExpectColumnToExist",
                    {"column": name},
                    {"batch": "required_column", "field": name},
                )
            )
            row("ExpectColumnValuesToNotBeNull", "missing_required", name, column=name)
        row(
            "ExpectColumnValuesToBeInSet",
            "invalid_utf8",
            name,
            column=f"{name}__utf8",
            value_set=[True],
        )
        if f.codes:
            row(
                "ExpectColumnValuesToBeInSet",
                "unknown_code",
                name,
                column=name,
                value_set=list(f.codes),
            )
        if f.identifier == "uscc":
            row(
                "ExpectColumnValuesToMatchRegex",
                "invalid_uscc",
                name,
                column=name,
                regex=frame.USCC_PATTERN,
            )
            row(
                "ExpectColumnValuesToBeInSet",
                "invalid_uscc",
                name,
                column=f"{name}__check",
                value_set=[True],
            )
        elif f.identifier == "uscc_or_legacy":
            row(
                "ExpectColumnValuesToMatchRegex",
                "invalid_uscc",
                name,
                column=f"{name}__uscc",
                regex=frame.USCC_PATTERN,
            )
            row(
                "ExpectColumnValuesToBeInSet",
                "invalid_uscc",
                name,
                column=f"{name}__check",
                value_set=[True],
            )
            row(
                "ExpectColumnValuesToMatchRegex",
                "invalid_identifier",
                name,
                column=f"{name}__legacy",
                regex=frame.LEGACY_PATTERN,
            )
            observe(
                "ExpectColumnValuesToBeInSet",
                "legacy_check_digit",
                name,
                column=f"{name}__legacy_check",
                value_set=[True],
            )
        elif f.identifier == "legacy":
            row(
                "ExpectColumnValuesToMatchRegex",
                "invalid_identifier",
                name,
                column=name,
                regex=frame.LEGACY_PATTERN,
            )
            observe(
                "ExpectColumnValuesToBeInSet",
                "legacy_check_digit",
                name,
                column=f"{name}__legacy_check",
                value_set=[True],
            )
        elif f.identifier == "industry":
            row(
                "ExpectColumnValuesToMatchRegex",
                "invalid_identifier",
                name,
                column=name,
                regex=frame.INDUSTRY_PATTERN,
            )
            row(
                "ExpectColumnValuesToBeInSet",
                "invalid_identifier",
                name,
                column=f"{name}__check",
                value_set=[True],
            )
        elif f.identifier == "region":
            row(
                "ExpectColumnValuesToMatchRegex",
                "invalid_identifier",
                name,
                column=name,
                regex=frame.REGION_PATTERN,
            )
            observe(
                "ExpectColumnValuesToBeInSet",
                "region_code_not_in_reference",
                name,
                column=f"{name}__known",
                value_set=[True],
            )
        if f.type != STR:
            row(
                "ExpectColumnValuesToBeInSet",
                "malformed_value",
                name,
                column=f"{name}__parsed",
                value_set=[True],
            )
        if f.type in (MONEY, NUM, INT):
            row(
                "ExpectColumnValuesToBeBetween",
                "negative_value",
                name,
                column=f"{name}__num",
                min_value=0,
            )
            if f.type in (MONEY, NUM):
                observe(
                    "ExpectColumnValuesToBeInSet",
                    f"{f.type}_more_places_than_kept",
                    name,
                    column=f"{name}__places",
                    value_set=[True],
                )
            low, high = ranges.numeric_range(dataset, name, f.type)
            if low is not None or high is not None:
                row(
                    "ExpectColumnValuesToBeBetween",
                    "out_of_range",
                    name,
                    column=f"{name}__num",
                    min_value=low,
                    max_value=high,
                )
        if f.type in (DATE, PERIOD, TS):
            column = f"{name}__date"
            if ranges.future_allowed(dataset, name):
                row(
                    "ExpectColumnValuesToBeBetween",
                    "out_of_range",
                    name,
                    column=column,
                    min_value=ranges.oldest(f.type),
                    max_value=ranges.LATEST_DATE,
                )
            else:
                row(
                    "ExpectColumnValuesToBeBetween",
                    "future_date",
                    name,
                    column=column,
                    max_value={"$PARAMETER": AS_OF},
                )
                row(
                    "ExpectColumnValuesToBeBetween",
                    "out_of_range",
                    name,
                    column=column,
                    min_value=ranges.oldest(f.type),
                )
        if f.references:
            row(
                "ExpectColumnValuesToBeInSet",
                "unresolved_reference",
                name,
                column=f"{name}__resolved",
                value_set=[True],
            )
    row(
        "ExpectColumnValuesToBeInSet",
        "conflicting_duplicate",
        ", ".join(ds.key),
        column="_row__consistent",
        value_set=[True],
    )
    specs.append(
        (
            "ExpectTableRowCountToBeBetween",
            {"min_value": {"$PARAMETER": MIN_ROWS}, "max_value": {"$PARAMETER": MAX_ROWS}},
            {"batch": "row_count"},
        )
    )
    return specs


def build_suite(dataset: str):
    """The GX ExpectationSuite of `dataset` (imports GX: call from task code only)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(
        name=suite_name(dataset),
        meta={
            "dataset": dataset,
            "notes": "generated from creditlake.core.contract + expectations.ranges",
        },
    )
    for kind, kwargs, meta in expectation_specs(dataset):
        suite.add_expectation(getattr(gxe, kind)(**kwargs, meta=meta))
    return suite
