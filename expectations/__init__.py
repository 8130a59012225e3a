"""Great Expectations suites for every feed-contract dataset, defined as code.

    validate(dataset, table, as_of, ...) -> Validation   row reasons + batch-level failures
    build_data_docs() -> Path                            WAREHOUSE/gx/data_docs/local_site/index.html
    build_suite(dataset)                                 the GX ExpectationSuite

GX takes seconds to import, so it is imported inside these functions only.
"""

from __future__ import annotations


def validate(*args, **kwargs):
    from creditlake.expectations.validation import validate as run

    return run(*args, **kwargs)


def build_data_docs():
    from creditlake.expectations.validation import build_data_docs as build

    return build()


def build_suite(dataset: str):
    from creditlake.expectations.suites import build_suite as build

    return build(dataset)


__all__ = ["validate", "build_data_docs", "build_suite"]
