"""`creditlake simulator generate`: write the simulator's data folder.

DIR/meta.json, DIR/feeds/<dataset>.parquet (13 API datasets), DIR/bank/{loans,repayments}.parquet
and products.csv, DIR/truth/{enterprises,identity,bad_records}.parquet. Same seed, same bytes:
every random number comes from a seeded stream, rows are sorted by (updated_at, key) and
Parquet is written with fixed settings; nothing depends on today's date.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from creditlake.core.contract import API_PLATFORMS, DATASETS, INT, MONEY, NUM, TS
from creditlake.simulator import (
    gen_activity,
    gen_bad_records,
    gen_bank,
    gen_corrections,
    gen_enterprises,
    gen_generic,
    gen_memory,
    gen_public_records,
    gen_stories,
    gen_supply_chain,
)
from creditlake.simulator import gen_common as gc

DEFAULT_LAST_PERIOD = "2026-10"
DEFAULT_FUTURE_DAYS = 60
FINISHING = 3  # datasets finished and written at once
API_DATASETS = [d.name for p in API_PLATFORMS for d in p.datasets]
BANK_DATASETS = [d.name for d in DATASETS.values() if d.is_file_drop]
PARQUET_OPTIONS = dict(
    compression="snappy",
    use_dictionary=True,
    write_statistics=True,
    row_group_size=262_144,
    data_page_size=1 << 20,
)


def parquet_options(dataset: str | None = None) -> dict:
    """Fixed writer settings (same bytes every run). For a feed: dictionary-encode only the
    repetitive columns (codes, dates, names, identifiers) and keep min/max statistics only
    for the sort columns; hashing unique ids and amounts costs time and saves nothing."""
    if dataset is None:
        return dict(PARQUET_OPTIONS)
    spec = DATASETS[dataset]
    unique_key = spec.key[0] if len(spec.key) == 1 else None
    repetitive = [
        f.name for f in spec.fields if f.type not in (MONEY, NUM, INT, TS) and f.name != unique_key
    ]
    return {
        **PARQUET_OPTIONS,
        "use_dictionary": repetitive + ["_bad_utf8_field", "_file_date"],
        "write_statistics": ["updated_at", "_file_date", "_row_id"],
    }


@dataclass
class Written:
    path: str
    rows: int
    bad: int


def dataset_path(root: Path, dataset: str) -> Path:
    return root / ("bank" if dataset in BANK_DATASETS else "feeds") / f"{dataset}.parquet"


def write_parquet(table: pa.Table, path: Path, dataset: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **parquet_options(dataset))


@dataclass
class SortedFeed:
    """A feed's rows (good, then bad; unsorted and in several chunks) and their file order.
    The sorted table is never built whole, nor are the chunks first concatenated: each row
    group is gathered from the chunks and written, which keeps memory at one copy of the feed."""

    dataset: str
    rows: pa.Table
    order: np.ndarray
    sorted_ts: np.ndarray

    def __post_init__(self) -> None:
        batches = [
            b for b in self.rows.to_batches() if b.num_rows
        ]  # one chunk layout for every column
        self.starts = np.cumsum([0] + [b.num_rows for b in batches])[:-1]
        # updated_at is written from sorted_ts; _row_id is the position in the file.
        names = [n for n in feed_columns(self.dataset) if n not in ("updated_at", "_row_id")]
        self.chunks = {n: [b.column(n) for b in batches] for n in names}
        self.widths = {}
        for name, chunks in self.chunks.items():
            widths = {gc.common_width(c) for c in chunks}
            self.widths[name] = widths.pop() if len(widths) == 1 else 0
        self.present: dict[tuple[str, int], np.ndarray | None] = {}

    @property
    def num_rows(self) -> int:
        return len(self.order)

    def piece(self, start: int, stop: int) -> pa.Table:
        """Rows start..stop of the file, with updated_at and _row_id filled in."""
        index = self.order[start:stop]
        chunk = np.searchsorted(self.starts, index, side="right") - 1
        local = index - self.starts[chunk]
        groups = [(c, np.flatnonzero(chunk == c)) for c in np.unique(chunk)]
        data = {}
        for name in feed_columns(self.dataset):
            if name == "updated_at":
                data[name] = gc.timestamps(self.sorted_ts[start:stop])
            elif name == "_row_id":
                data[name] = pa.array(np.arange(start, start + len(index), dtype=np.int64))
            else:
                data[name] = self._gather(name, len(index), local, groups)
        return pa.table(data)

    def _gather(self, name: str, n: int, local: np.ndarray, groups: list) -> pa.Array:
        chunks, width = self.chunks[name], self.widths[name]
        if not groups:  # an empty feed
            return pa.array([], self.rows.schema.field(name).type)
        if width:  # fixed-size values: gathered by numpy straight into place
            values = np.empty(n, f"V{width}")
            valid = np.ones(n, bool)
            for c, rows in groups:
                values[rows] = np.take(gc.fixed_size_values(chunks[c], width), local[rows])
                present = self._present(name, c)
                if present is not None:
                    valid[rows] = present[local[rows]]
            return gc.from_chars(values, valid)
        if len(groups) == 1:
            return chunks[groups[0][0]].take(pa.array(local))
        parts = pa.concat_arrays([chunks[c].take(pa.array(local[rows])) for c, rows in groups])
        placed = np.concatenate([rows for _, rows in groups])
        inverse = np.empty(n, np.int64)
        inverse[placed] = np.arange(n)
        return parts.take(pa.array(inverse))

    def _present(self, name: str, c: int) -> np.ndarray | None:
        """Validity of chunk c of a column as booleans, computed once (None: no nulls)."""
        if (name, c) not in self.present:
            chunk = self.chunks[name][c]
            self.present[name, c] = (
                chunk.is_valid().to_numpy(zero_copy_only=False) if chunk.null_count else None
            )
        return self.present[name, c]


def feed_columns(dataset: str) -> list[str]:
    hidden = ["_row_id", "_bad_utf8_field"] + (["_file_date"] if dataset in BANK_DATASETS else [])
    return DATASETS[dataset].field_names + hidden


def write_feed(feed: SortedFeed, path: Path) -> None:
    """Same file as pq.write_table of the whole sorted table (same row groups and settings)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = parquet_options(feed.dataset)
    step = options.pop("row_group_size")
    first = feed.piece(0, min(step, feed.num_rows))
    with pq.ParquetWriter(path, first.schema, **options) as writer:
        writer.write_table(first, row_group_size=step)
        for start in range(step, feed.num_rows, step):
            writer.write_table(feed.piece(start, start + step), row_group_size=step)


def finalize(dataset: str, good: pa.Table, bad: pa.Table) -> tuple[SortedFeed, pa.Table]:
    """Order good and bad rows together by (updated_at or file day, key), number them and
    split off the truth about the bad ones. Returns (feed to write, bad-record truth)."""
    good = good.append_column("_bad_utf8_field", pa.nulls(good.num_rows, pa.string()))
    wanted = [c for c in feed_columns(dataset) if c != "_row_id"] + ["_ts"]
    rows = pa.concat_tables([good.select(wanted), bad.select(wanted)])
    key = DATASETS[dataset].key
    order = _file_order(rows, key)
    sorted_ts = rows.column("_ts").to_numpy()[order]
    row_id = np.flatnonzero(order >= good.num_rows)  # bad rows, in file order
    bad_rows = bad.take(pa.array(order[row_id] - good.num_rows))
    truth = pa.table(
        {
            "dataset": pa.array([dataset] * bad_rows.num_rows, pa.string()),
            "_row_id": pa.array(row_id.astype(np.int64)),
            "key": _json_keys(bad_rows, key),
            "reason": bad_rows.column("_bad_reason"),
            "detail": bad_rows.column("_bad_detail"),
        }
    )
    return SortedFeed(dataset, rows, order, sorted_ts), truth


def _file_order(rows: pa.Table, key: tuple[str, ...]) -> np.ndarray:
    """Row order by (_ts, key), stable: a radix sort of the integer _ts, then a string sort
    of only the rows whose _ts is shared (few, except bank rows that share a file day)."""
    ts = rows.column("_ts").to_numpy()
    order = gc.argsort_stable(ts)
    sorted_ts = ts[order]
    same = sorted_ts[1:] == sorted_ts[:-1]
    tied = np.zeros(len(ts), bool)
    tied[1:] |= same
    tied[:-1] |= same
    at = np.flatnonzero(tied)
    if len(at):
        # Tied rows form runs of one _ts each, already in _ts order: sorting them by
        # (_ts, key) only reorders rows inside their run.
        ties = rows.select(["_ts", *key]).take(pa.array(order[at]))
        within = pc.sort_indices(
            ties, [("_ts", "ascending")] + [(k, "ascending") for k in key]
        ).to_numpy()
        order[at] = order[at][within]
    return order


def _json_keys(rows: pa.Table, key: tuple[str, ...]) -> pa.Array:
    """{"field": "value", ...} per row, built column-wise (null -> null)."""
    parts = []
    for name in key:
        text = pc.replace_substring(
            pc.replace_substring(rows.column(name), "\\", "\\\\"), '"', '\\"'
        )
        quoted = pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), "null")
        parts.append(pc.binary_join_element_wise(json.dumps(name) + ": ", quoted, ""))
    body = pc.binary_join_element_wise(*parts, ", ") if len(parts) > 1 else parts[0]
    return (
        pc.binary_join_element_wise("{", body, "}", "").combine_chunks()
        if rows.num_rows
        else pa.array([], pa.string())
    )


def _visible(table: pa.Table, cal: gc.Calendar) -> pa.Table:
    """Drop what would happen after the last generated day (most steps never produce any)."""
    ts = table.column("_ts")
    if table.num_rows == 0 or pc.max(ts).as_py() < cal.end_ts:
        return table
    return table.filter(pc.less(ts, cal.end_ts))


def generate(
    out: Path,
    seed: int,
    enterprises: int,
    months: int,
    last_period: str = DEFAULT_LAST_PERIOD,
    future_days: int = DEFAULT_FUTURE_DAYS,
    quiet: bool = False,
    quarantined_enterprises: float = 0.0,
    profile: str = gen_stories.DEFAULT_PROFILE,
    default_rate: float = gen_stories.DEFAULT_RATE,
) -> dict:
    """Generate the whole data folder; returns the meta dict (also written to meta.json).

    profile: how distress shows across the feeds (gen_stories.PROFILES: one story for every
    firm in distress, or 'mix'); default_rate: the annual share of borrowers that reach 90+
    days past due.

    quarantined_enterprises: the share of the real enterprises whose registry records are all
    broken so that validation quarantines them, while the other feeds' records naming them stay
    good (gen_bad_records.break_real_enterprises): a world whose marts must still publish."""
    with gen_memory.reuse_memory():
        return _generate(
            out,
            seed,
            enterprises,
            months,
            last_period,
            future_days,
            quiet,
            quarantined_enterprises,
            profile,
            default_rate,
        )


def _generate(
    out: Path,
    seed: int,
    enterprises: int,
    months: int,
    last_period: str,
    future_days: int,
    quiet: bool,
    quarantined_enterprises: float = 0.0,
    profile: str = gen_stories.DEFAULT_PROFILE,
    default_rate: float = gen_stories.DEFAULT_RATE,
) -> dict:
    gen_stories.check(profile, default_rate)
    if enterprises < 10:
        raise ValueError(f"enterprises must be at least 10, got {enterprises}")
    if not 0.0 <= quarantined_enterprises <= 0.5:
        raise ValueError(
            f"quarantined_enterprises must be a share between 0 and 0.5, got {quarantined_enterprises}"
        )
    if months < 13:
        raise ValueError(
            f"months must be at least 13 (distress needs a year of history), got {months}"
        )
    out = Path(out)
    cal = gc.Calendar(gc.month_index(last_period) - months + 1, months, future_days)
    console = Console(quiet=quiet)
    started = time.perf_counter()
    identity: dict[str, pa.Table] = {}
    state: dict = {}
    written: dict[str, Written] = {}
    if out.exists():
        for sub in ("feeds", "bank", "truth"):
            shutil.rmtree(out / sub, ignore_errors=True)
    # Generation runs in three lanes after the world is built (utility; tax then supply chain;
    # loan book then public records), and each dataset is finished (corrections, bad records,
    # sort) and written on worker threads: Arrow and numpy release the GIL, so both cores work.
    # Every step draws from its own random stream, so the order of work never changes a byte.
    # At most FINISHING datasets are in flight, which bounds memory.
    workers = ThreadPoolExecutor(max_workers=FINISHING)
    slots = threading.BoundedSemaphore(FINISHING)
    lock = threading.Lock()
    pending: list[Future] = []
    results: dict[str, pa.Table] = {}
    inbox: dict[str, pa.Table] = {}
    emitted: set[str] = set()

    def finish(dataset: str, accounts: pa.Array | None) -> None:
        try:
            good = _visible(inbox.pop(dataset), cal)
            if dataset in API_DATASETS:
                good = gen_corrections.add_corrections(dataset, good, seed, cal.end_ts)
            world = state["world"]
            fresh = gen_bad_records.FreshKeys(
                dataset, seed, world.uscc, world.region, cal.first_mi, accounts
            )
            bad = gen_bad_records.plant(dataset, good, seed, fresh)
            if dataset == "enterprises" and quarantined_enterprises:
                good, broken = gen_bad_records.break_real_enterprises(
                    good, seed, quarantined_enterprises
                )
                bad = pa.concat_tables([bad, broken.select(bad.column_names)])
            feed, truth = finalize(dataset, good, bad)
            del good  # the feed has its own copy: free the generated table before writing
            path = dataset_path(out, dataset)
            write_feed(feed, path)
            written[dataset] = Written(str(path.relative_to(out)), feed.num_rows, truth.num_rows)
            results[dataset] = truth
        finally:
            slots.release()

    def emit(dataset: str, table: pa.Table) -> None:
        emitted.add(dataset)
        slots.acquire()
        inbox[dataset] = table  # handed over, not passed: finish() can then drop it early
        accounts = state["accounts"] if dataset == "meter_readings" else None
        with lock:
            pending.append(workers.submit(finish, dataset, accounts))

    def world_step():
        world = state["world"] = gen_enterprises.build_world(
            cal, seed, enterprises, profile, default_rate
        )
        emit("enterprises", gen_enterprises.enterprises_table(world, cal, seed))

    def utility_step():
        accounts, readings, ids = gen_activity.utility(state["world"], cal, seed)
        state["accounts"] = accounts.column("account_no").combine_chunks()
        identity["utility"] = ids
        emit("utility_accounts", accounts)
        emit("meter_readings", readings)

    def tax_step():
        w = state["world"]
        taxpayers, state["general"] = gen_activity.taxpayers(w, cal, seed)
        emit("taxpayers", taxpayers)
        filings, arrears = gen_activity.tax_filings(w, cal, seed, state["general"])
        emit("tax_filings", filings)
        emit("tax_arrears", arrears)
        emit("ss_contributions", gen_activity.ss_contributions(w, cal, seed))

    def chain_step():
        w = state["world"]
        emit("core_enterprises", gen_supply_chain.core_enterprises(w, cal, seed))
        invoices, confirmations, ids = gen_supply_chain.invoices(w, cal, seed, state["general"])
        identity["invoices"] = ids
        emit("invoices", invoices)
        emit("receivable_confirmations", confirmations)

    def bank_step():
        loans, repayments, state["has_loan"], state["default_day"] = gen_bank.loan_book(
            state["world"], cal, seed
        )
        emit("loans", loans)
        emit("repayments", repayments)

    def public_step():
        w = state["world"]
        emit("enterprise_changes", gen_public_records.enterprise_changes(w, cal, seed))
        emit("penalties", gen_public_records.penalties(w, cal, seed))
        emit("abnormal_operations", gen_public_records.abnormal_operations(w, cal, seed))
        emit(
            "dishonest_debtors",
            gen_public_records.dishonest_debtors(w, cal, seed, state["default_day"]),
        )

    def lanes_step():
        with ThreadPoolExecutor(max_workers=3) as lanes:
            running = [
                lanes.submit(utility_step),
                lanes.submit(lambda: (tax_step(), chain_step())),
                lanes.submit(lambda: (bank_step(), public_step())),
            ]
            for lane in running:
                lane.result()

    def generic_step():
        # a contract dataset no hand-written generator covered (a new one): values by kind
        for name, ds in DATASETS.items():
            if name not in emitted:
                emit(name, gen_generic.records(ds, state["world"], cal, seed))

    def truth_step():
        for future in pending:
            future.result()
        pending.clear()
        shutil.copyfile(gen_bank.PRODUCTS_CSV, out / "bank" / "products.csv")
        write_truth(
            out,
            state,
            cal,
            [identity["utility"], identity["invoices"]],
            [results[name] for name in API_DATASETS + BANK_DATASETS],
        )

    steps = [
        ("enterprises, parks, chains, health", world_step),
        ("utility, tax and social security, supply chain, loan book, public records", lanes_step),
        ("datasets without a generator of their own", generic_step),
        ("truth", truth_step),
    ]
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("generating", total=len(steps))
            for label, step in steps:
                progress.update(task, description=f"generating: {label}")
                step()
                progress.advance(task)
    finally:
        workers.shutdown(wait=True, cancel_futures=True)
    # The summary lists datasets in contract order whatever order they were generated in.
    written = {name: written[name] for name in API_DATASETS + BANK_DATASETS}
    seconds = time.perf_counter() - started

    start_clock = f"{np.datetime64(cal.start_day, 'D')}T00:00:00Z"
    meta = {
        "seed": seed,
        "enterprises": enterprises,
        "months": months,
        "first_period": gc.month_text(cal.first_mi),
        "last_period": gc.month_text(cal.last_mi),
        "start_clock": start_clock,
        "future_days": future_days,
        "profile": profile,
        "default_rate": default_rate,
        "files": {w.path: w.rows for w in written.values()},
        "bad_rows": {name: w.bad for name, w in written.items()},
    }
    if quarantined_enterprises:
        meta["quarantined_enterprises"] = (
            quarantined_enterprises  # absent by default: same bytes as before
        )
    (out / "meta.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    _summary(console, written, seconds)
    return meta


def write_truth(
    out: Path, state: dict, cal: gc.Calendar, identity: list[pa.Table], bad_truth: list[pa.Table]
) -> None:
    w = state["world"]
    period = lambda t, ok: gc.periods(cal.first_mi + np.where(ok, t, 0), ok)  # noqa: E731
    default_day = state["default_day"]
    # the first month the firm stops paying tax or social security in full
    arrears_t = np.minimum(w.plan.arrears_t["tax"], w.plan.arrears_t["headcount"])
    core_index = np.where(w.core_of >= 0, w.core_of, np.where(w.is_core, np.arange(w.n), 0))
    enterprises = pa.table(
        {
            "uscc": w.uscc,
            "name": w.name,
            "legacy_reg_no": w.legacy_reg_no,
            "uses_legacy_tax_id": pa.array(w.uses_legacy),
            "size_class": gc.codes(["micro", "small", "medium", "large"], w.size),
            "industry_code": w.industry_code,
            "region_code": gc.ints(w.region),
            "park_id": w.park_id,
            "established_on": gc.dates(w.established_day),
            "distressed": pa.array(w.distressed),
            "story": pa.array(gen_stories.story_labels(w.plan.story), pa.string()),
            "onset_period": period(w.onset_t, w.distressed),
            "arrears_period": period(arrears_t, w.distressed & (arrears_t < cal.panel_months)),
            "default_period": gc.periods(gc.month_of(np.maximum(default_day, 0)), default_day >= 0),
            "distress_depth": pa.array(w.depth),
            "overdeclares": pa.array(w.overdeclares),
            "dip_feed": gc.codes(
                gen_stories.ACTIVITY_FEEDS, np.maximum(w.plan.dip_feed, 0), w.plan.dip_feed >= 0
            ),
            "has_loan": pa.array(state["has_loan"]),
            "is_core": pa.array(w.is_core),
            "chain_name": w.chain_name,
            "core_uscc": pc.if_else(
                pa.array((w.core_of >= 0) | w.is_core),
                w.uscc.take(pa.array(core_index)),
                gc.nulls(w.n),
            ),
            "core_distressed": pa.array(w.core_distressed()),
        }
    )
    legacy = pc.is_valid(w.legacy_reg_no)
    identity_all = pa.concat_tables(
        [
            pa.table(
                {
                    "source": pa.array(["legacy_reg_no"] * w.n),
                    "source_id": w.legacy_reg_no,
                    "uscc": w.uscc,
                    "uscc_missing": pa.array(w.uses_legacy),
                }
            ).filter(legacy),
            *identity,
        ]
    )
    truth = out / "truth"
    write_parquet(enterprises, truth / "enterprises.parquet")
    write_parquet(identity_all, truth / "identity.parquet")
    write_parquet(pa.concat_tables(bad_truth), truth / "bad_records.parquet")


def _summary(console: Console, written: dict[str, Written], seconds: float) -> None:
    table = Table(title="simulator data")
    table.add_column("dataset")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("bad rows", justify="right")
    for name, w in written.items():
        table.add_row(name, w.path, f"{w.rows:,}", f"{w.bad:,}")
    total = sum(w.rows for w in written.values())
    table.add_row("total", "", f"{total:,}", f"{sum(w.bad for w in written.values()):,}")
    console.print(table)
    console.print(f"{total:,} rows in {seconds:.1f} s = {total / max(seconds, 1e-9):,.0f} rows/s")
