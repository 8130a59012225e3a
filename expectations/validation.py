"""Running a dataset's suite on one batch and turning the result into row reasons.

One GX validation per batch (per chunk of CHUNK_ROWS for very large backfills) on a
file data context under WAREHOUSE/gx: its validation-result store keeps every run, and
`build_data_docs()` renders them to WAREHOUSE/gx/data_docs/local_site/index.html.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from creditlake.core import contract
from creditlake.core.config import env, warehouse_dir
from creditlake.expectations import frame as frames
from creditlake.expectations import offline_docs, suites

log = logging.getLogger(__name__)

DATASOURCE, BATCH_DEFINITION, SITE = "creditlake", "whole batch", "local_site"
CHUNK_ROWS = int(env("CREDITLAKE_GX_CHUNK_ROWS", "1000000"))
KEEP_RESULTS = int(env("CREDITLAKE_GX_KEEP_RESULTS", "30"))  # per suite, for Data Docs
NO_LIMIT = 10**12


@dataclass
class Validation:
    dataset: str
    prepared: frames.Prepared
    reasons: dict[int, list[tuple[str, str]]]  # row -> [(reason, field)], bad rows only
    batch_failures: list[str]  # why the whole batch must be held back
    observed: dict[str, list[int]]  # "rule:field" -> rows it saw (stricter than the contract: kept)
    seconds: float
    gx_seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.prepared.typed.num_rows

    def bad_mask(self) -> np.ndarray:
        mask = np.zeros(self.rows, dtype=bool)
        if self.reasons:
            mask[np.fromiter(self.reasons, dtype=np.int64)] = True
        return mask

    def observations(self, rows: np.ndarray) -> dict[str, int]:
        """ "rule:field" -> how many of `rows` (a boolean mask) each observation saw."""
        counts = {
            key: int(rows[np.asarray(idx, dtype=np.int64)].sum())
            for key, idx in self.observed.items()
        }
        return {key: n for key, n in sorted(counts.items()) if n}

    def reason_codes(self, row: int) -> str:
        return ",".join(sorted({r for r, _ in self.reasons[row]}))

    def reason_detail(self, row: int) -> str:
        return "; ".join(
            f"{f}: {contract.REASONS[r]}"
            for r, f in sorted(set(self.reasons[row]), key=lambda x: (x[0], x[1]))
        )


def gx_root() -> Path:
    return warehouse_dir() / "gx"


def data_docs_index() -> Path:
    return gx_root() / "data_docs" / SITE / "index.html"


@contextmanager
def _lock(root: Path):
    """Serialise writes to the shared GX project between Airflow worker processes."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".creditlake.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_contexts: dict[str, object] = {}
_ready: dict[tuple[str, str], object] = {}


def context():
    """The file data context under WAREHOUSE/gx (created on first use)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = warehouse_dir()
    key = str(root)
    if key not in _contexts:
        with _lock(root / "gx"):
            ctx = gx.get_context(mode="file", project_root_dir=str(root))
            site = {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": f"data_docs/{SITE}/",
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
            sites = ctx.get_config().data_docs_sites or {}
            if (
                sites.get(SITE, {}).get("store_backend", {}).get("base_directory")
                != site["store_backend"]["base_directory"]
            ):
                if SITE in sites:
                    ctx.update_data_docs_site(SITE, site)
                else:
                    ctx.add_data_docs_site(SITE, site)
            bars = ctx.variables.progress_bars
            bars_on = (
                bars.get("globally") if isinstance(bars, dict) else getattr(bars, "globally", None)
            )
            if bars_on is not False:
                ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
                ctx.variables.save()
            if DATASOURCE not in [d.name for d in ctx.data_sources.all().values()]:
                ctx.data_sources.add_pandas(DATASOURCE)
        _contexts[key] = ctx
    return _contexts[key]


def _fingerprint(dataset: str) -> str:
    specs = json.dumps(suites.expectation_specs(dataset), sort_keys=True, default=str)
    return hashlib.sha256(specs.encode()).hexdigest()[:16]


def validation_definition(dataset: str):
    """The saved ValidationDefinition of `dataset`, (re)written when the suite code changed."""
    import great_expectations as gx

    ctx = context()
    key = (str(warehouse_dir()), dataset)
    if key in _ready:
        return _ready[key]
    name = suites.suite_name(dataset)
    fingerprint = _fingerprint(dataset)
    with _lock(gx_root()):
        source = ctx.data_sources.get(DATASOURCE)
        try:
            asset = source.get_asset(dataset)
        except LookupError:
            asset = source.add_dataframe_asset(dataset)
        try:
            batch_definition = asset.get_batch_definition(BATCH_DEFINITION)
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
        try:
            suite = ctx.suites.get(name)
            stale = suite.meta.get("fingerprint") != fingerprint
        except Exception:  # noqa: BLE001 - GX raises several "not found" types
            suite, stale = None, True
        if stale:
            suite = suites.build_suite(dataset)
            suite.meta["fingerprint"] = fingerprint
            suite = ctx.suites.add_or_update(suite)
        try:
            definition = ctx.validation_definitions.get(name)
            if stale:
                raise LookupError
        except Exception:  # noqa: BLE001
            definition = ctx.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
            )
    _ready[key] = definition
    return definition


def validate(
    dataset: str,
    table: pa.Table,
    as_of: datetime,
    *,
    references: dict[str, pa.Array] | None = None,
    reference_notes: list[str] | None = None,
    row_count_bounds: tuple[int, int] | None = None,
    missing_columns: list[str] | None = None,
    batch_rows: int | None = None,
    min_rows_for_column_check: int = 10,
) -> Validation:
    """Validate one batch: per-row reasons for bad records, and batch-level failures.

    `batch_rows`: when `table` is one part of a bigger landed batch, that batch's rows (the
    row-count check judges the whole batch, not the part)."""
    started = time.perf_counter()
    ds = contract.dataset(dataset)
    prepared = frames.prepare(dataset, table, as_of, references, reference_notes)
    n = batch_rows if batch_rows is not None else table.num_rows
    # A required field that no record of a real batch carries is a feed change, not n bad
    # records; in a handful of records it may be chance, so those rows are quarantined.
    absent = set(prepared.absent_columns) | set(missing_columns or [])
    absent_required = [f for f in ds.required if f in absent]
    if absent_required and n < min_rows_for_column_check:
        absent_required = [f for f in absent_required if f in prepared.absent_columns]
    low, high = row_count_bounds or (0, NO_LIMIT)
    gx_started = time.perf_counter()
    results = _run_gx(dataset, prepared, as_of, low, high, n)
    gx_seconds = time.perf_counter() - gx_started

    reasons: dict[int, list[tuple[str, str]]] = {}
    batch_failures: list[str] = []
    observed: dict[str, list[int]] = {}
    for result in results:
        meta = result.expectation_config.meta or {}
        column = result.expectation_config.kwargs.get("column")
        if _raised(result):
            if column and (column in absent or column.split("__")[0] in absent):
                continue  # checks on a column the batch lacks: reported as missing below
            raise RuntimeError(
                f"expectation {result.expectation_config.type} on {column} "
                f"failed to run: {_exception_message(result)}"
            )
        if result.success:
            continue
        if "observation" in meta:
            rows = [int(i) for i in result.result.get("unexpected_index_list") or []]
            if rows:
                observed[f"{meta['observation']}:{meta['field']}"] = rows
            continue
        if "batch" in meta:
            if meta["batch"] == "row_count":
                batch_failures.append(
                    f"row count {n} far from the usual for {dataset}: expected between "
                    f"{low} and {high} (from recent published batches of the same mode)"
                )
            continue
        for row in result.result.get("unexpected_index_list") or []:
            reasons.setdefault(int(row), []).append((meta["reason"], meta["field"]))
    for name in absent_required:
        if not any(name in m for m in batch_failures):
            batch_failures.append(
                f"required column {name!r} missing from every record of the batch"
            )
    return Validation(
        dataset,
        prepared,
        reasons,
        batch_failures,
        observed,
        time.perf_counter() - started,
        gx_seconds,
    )


def _raised(result) -> bool:
    info = result.exception_info or {}
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _exception_message(result) -> str:
    info = result.exception_info or {}
    if "exception_message" in info:
        return str(info["exception_message"])
    return "; ".join(str(v.get("exception_message")) for v in info.values() if isinstance(v, dict))


def _run_gx(
    dataset: str, prepared: frames.Prepared, as_of: datetime, low: int, high: int, batch_rows: int
) -> list:
    definition = validation_definition(dataset)
    result_format = {
        "result_format": "COMPLETE",
        "return_unexpected_index_query": False,
        "partial_unexpected_count": 20,
    }
    frame = prepared.frame
    n = len(frame)
    whole = batch_rows == n  # GX's own row-count check only sees the frame
    chunks = (
        [(0, n)]
        if n <= CHUNK_ROWS
        else [(i, min(i + CHUNK_ROWS, n)) for i in range(0, n, CHUNK_ROWS)]
    )
    merged: list = []
    for start, stop in chunks:
        params = {
            suites.AS_OF: frames.as_of_parameter(as_of),
            suites.MIN_ROWS: 0,
            suites.MAX_ROWS: NO_LIMIT,
        }
        if len(chunks) == 1 and whole:
            params.update({suites.MIN_ROWS: low, suites.MAX_ROWS: high})
        part = definition.run(
            batch_parameters={"dataframe": frame.iloc[start:stop]},
            expectation_parameters=params,
            result_format=result_format,
        )
        if not merged:
            merged = list(part.results)
        else:  # the chunk's index labels are the batch's row numbers already
            for into, extra in zip(merged, part.results):
                if not extra.success:
                    into.success = False
                    into.result.setdefault("unexpected_index_list", [])
                    into.result["unexpected_index_list"] = list(
                        into.result["unexpected_index_list"]
                    ) + list(extra.result.get("unexpected_index_list") or [])
                if extra.exception_info and _raised(extra):
                    into.exception_info = extra.exception_info
    if len(chunks) > 1 or not whole:  # the row-count check belongs to the whole batch
        for result in merged:
            if (result.expectation_config.meta or {}).get("batch") == "row_count":
                result.success = low <= batch_rows <= high
    return merged


def build_data_docs() -> Path:
    """Render the suites and recent validation results; returns the site's index.html."""
    ctx = context()
    for dataset in contract.DATASETS:
        validation_definition(dataset)
    _prune_results(ctx)
    with _lock(gx_root()):
        ctx.build_data_docs(site_names=[SITE])
        offline_docs.rewrite(data_docs_index().parent)  # local copies of GX's CDN files
    index = data_docs_index()
    if not index.exists():
        raise RuntimeError(f"GX did not write {index}")
    return index


def _prune_results(ctx) -> None:
    """Keep the newest KEEP_RESULTS validation runs per suite (older ones: ingest log has counts)."""
    store = gx_root() / "uncommitted" / "validations"
    if not store.exists():
        return
    for suite_dir in store.iterdir():
        if not suite_dir.is_dir():
            continue
        runs = sorted((p for p in suite_dir.glob("*/*") if p.is_dir()), key=lambda p: p.name)
        for old in runs[:-KEEP_RESULTS]:
            shutil.rmtree(old, ignore_errors=True)
    site = gx_root() / "data_docs" / SITE / "validations"
    if site.exists():  # rendered pages of pruned runs
        shutil.rmtree(site, ignore_errors=True)
    os.makedirs(site, exist_ok=True)
