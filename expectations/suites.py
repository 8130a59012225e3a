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

    # The frame (expectations.frame) computes most checks as boolean columns: each must hold.
    def holds(reason: str, field: str, column: str, check=row) -> None:
        check("ExpectColumnValuesToBeInSet", reason, field, column=column, value_set=[True])

    def matches(reason: str, field: str, column: str, regex: str) -> None:
        row("ExpectColumnValuesToMatchRegex", reason, field, column=column, regex=regex)

    def between(reason: str, field: str, column: str, **bounds) -> None:
        row("ExpectColumnValuesToBeBetween", reason, field, column=column, **bounds)

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
        holds("invalid_utf8", name, f"{name}__utf8")
        if f.codes:
            row(
                "ExpectColumnValuesToBeInSet",
                "unknown_code",
                name,
                column=name,
                value_set=list(f.codes),
            )
        if f.identifier == "uscc":
            matches("invalid_uscc", name, name, frame.USCC_PATTERN)
            holds("invalid_uscc", name, f"{name}__check")
        elif f.identifier == "uscc_or_legacy":
            matches("invalid_uscc", name, f"{name}__uscc", frame.USCC_PATTERN)
            holds("invalid_uscc", name, f"{name}__check")
            matches("invalid_identifier", name, f"{name}__legacy", frame.LEGACY_PATTERN)
            holds("legacy_check_digit", name, f"{name}__legacy_check", check=observe)
        elif f.identifier == "legacy":
            matches("invalid_identifier", name, name, frame.LEGACY_PATTERN)
            holds("legacy_check_digit", name, f"{name}__legacy_check", check=observe)
        elif f.identifier == "industry":
            matches("invalid_identifier", name, name, frame.INDUSTRY_PATTERN)
            holds("invalid_identifier", name, f"{name}__check")
        elif f.identifier == "region":
            matches("invalid_identifier", name, name, frame.REGION_PATTERN)
            holds("region_code_not_in_reference", name, f"{name}__known", check=observe)
        if f.type != STR:
            holds("malformed_value", name, f"{name}__parsed")
        if f.type in (MONEY, NUM, INT):
            between("negative_value", name, f"{name}__num", min_value=0)
            if f.type in (MONEY, NUM):
                holds(f"{f.type}_more_places_than_kept", name, f"{name}__places", check=observe)
            low, high = ranges.numeric_range(dataset, name, f.type)
            if low is not None or high is not None:
                between("out_of_range", name, f"{name}__num", min_value=low, max_value=high)
        if f.type in (DATE, PERIOD, TS):
            column = f"{name}__date"
            if ranges.future_allowed(dataset, name):
                between(
                    "out_of_range",
                    name,
                    column,
                    min_value=ranges.oldest(f.type),
                    max_value=ranges.LATEST_DATE,
                )
            else:
                between("future_date", name, column, max_value={"$PARAMETER": AS_OF})
                between("out_of_range", name, column, min_value=ranges.oldest(f.type))
        if f.references:
            holds("unresolved_reference", name, f"{name}__resolved")
    holds("conflicting_duplicate", ", ".join(ds.key), "_row__consistent")
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
