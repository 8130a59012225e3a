"""Property-based tests: contract-valid records are all published, each bad record is
quarantined with its reason (contract sections 2 and 3).

Records are generated from `creditlake.core.contract` (tests/lakehouse/contract_strategies.py),
written as a platform sends them (JSON pages, jsonl.gz, csv.gz; the bank's csv.gz drop
files), landed and published through the real path (connectors.landing -> connectors.landed
-> connectors.ingest.publish_landed -> creditlake.lakehouse.publish: GX and Iceberg).

Each example is one landed batch of many records on a fresh lakehouse (the tables are
dropped between examples; the GX project stays), so a few examples per dataset cover a lot
while the file runs in minutes. CREDITLAKE_PROPERTY_EXAMPLES sets the examples per test.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import contract_strategies as cs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from creditlake import lakehouse
from creditlake.connectors.ingest import publish_landed
from creditlake.connectors.landed import commit_split, compact, split_files
from creditlake.connectors.landing import Staging, landing_root, rfc3339
from creditlake.core import contract, schemas
from creditlake.core.config import PROJECT_ROOT
from creditlake.core.contract import DATE, MONEY, TS
from creditlake.lakehouse.catalog import NAMESPACES, catalog

UTC = UTC
EXAMPLES = int(os.environ.get("CREDITLAKE_PROPERTY_EXAMPLES", "3"))
# In CI the examples are derandomized (the same every run), and so no example database.
DERANDOMIZE = bool(os.environ.get("CI"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
    database=None
    if DERANDOMIZE
    else DirectoryBasedExampleDatabase(str(PROJECT_ROOT / ".pytest_cache" / "hypothesis")),
    print_blob=True,
    # CREDITLAKE_PROPERTY_SHRINK=0: report the first failing example as found (shrinking an
    # example costs a publish per step)
    phases=[
        p
        for p in Phase
        if p != Phase.shrink or os.environ.get("CREDITLAKE_PROPERTY_SHRINK", "1") != "0"
    ],
)

# A dataset and the dataset that refers to it are generated together, the referenced one first.
_PARENT = {
    d.name: f.references[0] for d in contract.DATASETS.values() for f in d.fields if f.references
}
FAMILIES = [
    (name,) for name in contract.DATASETS if name not in _PARENT and name not in _PARENT.values()
]
FAMILIES += [(parent, child) for child, parent in _PARENT.items()]
FAMILY_IDS = ["+".join(f) for f in FAMILIES]
PROBE = "probe_id"  # a field the contract does not list: tells the rows of a test apart
DRIFT: set[str] = set()  # fields the contract does not list, as the last files were drawn
_batch_numbers = count(1)


# -- the lakehouse, landing and publishing ---------------------------------------------------------


def fresh_lakehouse() -> None:
    """Drop every table and the landing zone (the GX project, slow to set up, stays)."""
    cat = catalog()
    for namespace in NAMESPACES:
        for identifier in cat.list_tables(namespace):
            cat.drop_table(identifier)
    shutil.rmtree(landing_root(), ignore_errors=True)


def as_ofs() -> st.SearchStrategy[datetime]:
    special = [
        datetime(2026, 11, 26, 2, 0),
        datetime(2028, 2, 29, 0, 0),
        datetime(2027, 12, 31, 23, 59, 59),
        datetime(2025, 1, 31, 12, 0),
    ]
    return st.one_of(
        st.sampled_from(special), st.datetimes(datetime(2025, 1, 1), datetime(2030, 12, 31))
    ).map(lambda d: d.replace(microsecond=0, tzinfo=UTC))


def bank_as_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), UTC)  # a drop file's as-of: the end of its day


class Landed:
    """One landed batch: the files as sent, published through the connectors' own path."""

    def __init__(
        self,
        dataset: str,
        files: list[tuple[str, bytes, str]],
        as_of: datetime,
        file_date: date | None = None,
    ):
        self.dataset, self.files, self.as_of, self.file_date = dataset, files, as_of, file_date
        self.batch_id = f"{dataset}-prop-{compact(rfc3339(as_of))}-{next(_batch_numbers):05d}"
        self.manifest = None

    def publish(self):
        ds = contract.dataset(self.dataset)
        extra = {"_file_date": self.file_date.isoformat()} if self.file_date else None
        mode = (
            "file"
            if self.file_date
            else ("incremental" if all(f == "json-page" for *_, f in self.files) else "snapshot")
        )
        with Staging(ds.platform, ds.name) as stage:
            for name, data, fmt in self.files:
                stage.write(name, data, format=fmt, source=f"https://platform.test/{name}")
            split = split_files(
                ds,
                ds.platform,
                stage.dir,
                stage.files,
                extra,
                cursor_not_after=None if self.file_date else rfc3339(self.as_of),
            )
            self.manifest = commit_split(
                stage,
                split,
                self.batch_id,
                {
                    "mode": mode,
                    "format": "files",
                    "fetched_at": rfc3339(self.as_of),
                    "as_of": rfc3339(self.as_of),
                    "watermark_from": None,
                    "watermark_to": self.file_date.isoformat()
                    if self.file_date
                    else split.newest_cursor,
                    **({"extra_columns": extra} if extra else {}),
                },
            )
        return publish_landed(self.manifest, split)

    def replay(self):
        return publish_landed(self.manifest)


@st.composite
def delivery(
    draw,
    dataset: str,
    rows: list,
    as_of: datetime,
    *,
    file_date: date | None = None,
    extras: bool = True,
    probes: list[str] | None = None,
    bad: dict[int, dict] | None = None,
) -> list[tuple[str, bytes, str]]:
    """The files a platform sends with `rows` (Records) in them: each row in a JSON page, a
    jsonl.gz or a csv.gz file (bank: its csv.gz drop file), spelled as drawn. `bad` replaces
    the rendering of some rows (row index -> fields as sent)."""
    names = set(contract.dataset(dataset).field_names)
    formats = (
        ["csv.gz"]
        if file_date
        else draw(
            st.lists(st.sampled_from(["json-page", "csv.gz", "jsonl.gz"]), min_size=1, max_size=4)
        )
    )
    placed = [draw(st.integers(0, len(formats) - 1)) for _ in rows]
    files = []
    for index, fmt in enumerate(formats):
        json_like = fmt != "csv.gz"
        mine = [i for i, where in enumerate(placed) if where == index]
        sent = []
        for i in mine:
            row = (
                dict(bad[i]) if bad and i in bad else draw(cs.rendered(rows[i], json_like, extras))
            )
            if probes:
                row[PROBE] = probes[i]
            sent.append(row)
            DRIFT.update(k for k in row if k not in names)
        if not sent and draw(st.booleans()):
            continue  # an empty file is sent now and then; mostly it is left out
        ascii_only = draw(st.booleans())
        if fmt == "json-page":
            files.append(
                (f"page-{index + 1:05d}.json", cs.json_page(dataset, sent, as_of, ascii_only), fmt)
            )
        elif fmt == "jsonl.gz":
            newline = draw(st.sampled_from([b"\n", b"\r\n"]))
            files.append(
                (f"{index + 1:05d}-part.jsonl.gz", cs.jsonl_gz(sent, ascii_only, newline), fmt)
            )
        else:
            header = list(dict.fromkeys(k for r in sent for k in r))
            header += [
                f.name
                for f in contract.dataset(dataset).fields
                if f.name not in header and draw(st.booleans())
            ]
            header = draw(st.permutations(header))
            if not header:
                continue
            name = (
                f"{dataset}_{file_date:%Y%m%d}.csv.gz"
                if file_date
                else f"{index + 1:05d}-part.csv.gz"
            )
            files.append(
                (
                    name,
                    cs.csv_gz(
                        sent,
                        header,
                        bom=draw(st.booleans()),
                        quote_all=draw(st.booleans()),
                        final_newline=draw(st.booleans()),
                    ),
                    fmt,
                )
            )
    return files


# -- what bronze must hold ------------------------------------------------------------------------


class Model:
    """The versions bronze must hold for one dataset: (key, version) -> Record."""

    def __init__(self, dataset: str):
        self.dataset = dataset
        self.versions: dict[tuple, cs.Record] = {}

    def receive(self, rows: list[cs.Record]) -> tuple[list[cs.Record], int]:
        """(the new versions among `rows`, how many rows are duplicates)."""
        new, duplicates = [], 0
        for row in rows:
            slot = (row.key(), row.version())
            if slot in self.versions:
                assert self.versions[slot].typed() == row.typed(), (
                    "test bug: one version, two contents"
                )
                duplicates += 1
            else:
                self.versions[slot] = row
                new.append(row)
        return new, duplicates

    def keys(self, column: str) -> list[str]:
        return sorted({r.sent[column] for r in self.versions.values()})


def _version_of(dataset: str, row: dict):
    return row[schemas.version_column(dataset)]


def assert_bronze_holds(model: Model) -> None:
    """Every version exactly once in bronze, typed as the contract says."""
    ds = contract.dataset(model.dataset)
    bronze = lakehouse.read_bronze(model.dataset)
    for f in ds.fields:
        assert bronze.schema.field(f.name).type == schemas.ARROW_TYPES[f.type], f.name
    rows = bronze.to_pylist()
    slots = Counter((tuple(r[k] for k in ds.key), _version_of(model.dataset, r)) for r in rows)
    twice = {slot: n for slot, n in slots.items() if n > 1}
    assert not twice, f"versions in bronze more than once: {twice}"
    assert set(slots) == set(model.versions), (
        f"missing from bronze: {set(model.versions) - set(slots)}; unexpected: {set(slots) - set(model.versions)}"
    )
    for row in rows:
        want = model.versions[
            (tuple(row[k] for k in ds.key), _version_of(model.dataset, row))
        ].typed()
        got = {name: row[name] for name in want}
        assert got == want, f"bronze differs: {_diff(got, want)}"
        for name, value in got.items():  # equal and of the right kind (a Decimal of 2 places, ...)
            if value is None:
                continue
            ftype = ds.field(name).type if name in ds.field_names else DATE
            if ftype == MONEY:
                assert value.as_tuple().exponent == -2, (name, value)
            if ftype == TS:
                assert value.utcoffset() == timedelta(0), (name, value)


def assert_latest_is_newest(model: Model) -> None:
    """The newest version of each key wins downstream (contract section 1.1)."""
    ds = contract.dataset(model.dataset)
    newest: dict[tuple, cs.Record] = {}
    for (key, version), row in model.versions.items():
        if key not in newest or version > newest[key].version():
            newest[key] = row
    latest = {tuple(r[k] for k in ds.key): r for r in lakehouse.latest(model.dataset).to_pylist()}
    assert set(latest) == set(newest)
    for key, row in newest.items():
        want = row.typed()
        assert {k: latest[key][k] for k in want} == want, _diff(
            {k: latest[key][k] for k in want}, want
        )


def _diff(got: dict, want: dict) -> dict:
    return {k: (got.get(k), want.get(k)) for k in want if got.get(k) != want.get(k)}


def log_rows(batch_id: str) -> list[dict]:
    log = lakehouse.ingest_log().to_pylist()
    return [
        r for r in log if r["batch_id"] == batch_id or r["batch_id"].startswith(batch_id + ".p")
    ]


def assert_published(
    results, landed: Landed, received: int, new: list[cs.Record], duplicates: int
) -> None:
    observed = Counter(note for row in new for note in row.observed)
    assert [r.status for r in results] == ["published"] * len(results), [
        (r.status, r.message) for r in results
    ]
    total = lambda attr: sum(getattr(r, attr) for r in results)  # noqa: E731
    got = (total("received"), total("published"), total("quarantined"), total("duplicates"))
    assert got == (received, len(new), 0, duplicates), (
        f"{got} != {(received, len(new), 0, duplicates)}: "
        f"{[r.quarantine_reasons for r in results]} {[r.message for r in results]}"
    )
    assert sum((Counter(r.observations) for r in results), Counter()) == observed
    logged = log_rows(landed.batch_id)
    assert len(logged) == len(results) and {r["status"] for r in logged} == {"published"}
    assert sum(r["received"] for r in logged) == received
    assert all(
        r["received"] == r["published"] + r["duplicates"] and r["quarantined"] == 0 for r in logged
    )
    assert sum((Counter(json.loads(r["observations"])) for r in logged), Counter()) == observed
    assert all(json.loads(r["quarantine_reasons"]) == {} for r in logged)


def quarantined(dataset: str) -> list[dict]:
    rows = lakehouse.quarantine(contract.dataset(dataset).platform).to_pylist()
    return [r for r in rows if r["dataset"] == dataset]


# -- valid records ---------------------------------------------------------------------------------


@st.composite
def valid_rows(
    draw,
    dataset: str,
    ctx: cs.Context,
    *,
    min_size: int,
    max_size: int,
    file_date: date | None = None,
    taken: set | None = None,
) -> list[cs.Record]:
    """Valid records with distinct keys (not in `taken`); for API datasets, now and then a key
    twice with two versions (a correction within one pull)."""
    ds = contract.dataset(dataset)
    rows = draw(
        st.lists(
            cs.records(dataset, ctx, file_date=file_date),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda r: r.key(),
        )
    )
    rows = [r for r in rows if not taken or r.key() not in taken]
    if not schemas.is_file_dataset(dataset) and rows:
        for row in draw(st.lists(st.sampled_from(rows), max_size=3, unique_by=id)):
            again = draw(cs.records(dataset, ctx, key=row.key()))
            if again.version() != row.version():
                rows.append(again)
    assert all(r.key()[i] is not None for r in rows for i in range(len(ds.key)))
    return rows


@st.composite
def with_copies(draw, rows: list[cs.Record]) -> list[cs.Record]:
    """`rows` plus some sent again (the same record twice), in a drawn order."""
    copies = draw(st.lists(st.sampled_from(rows), max_size=max(1, len(rows) // 3))) if rows else []
    return draw(st.permutations(rows + copies))


def _refs(dataset: str, models: dict[str, Model]) -> dict[str, list[str]]:
    refs = {}
    for f in contract.dataset(dataset).fields:
        if f.references:
            target, column = f.references
            refs[f.name] = models[target].keys(column)
    return refs


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
@PROPERTY
@given(data=st.data())
def test_contract_valid_records_are_all_published(family, data):
    fresh_lakehouse()
    models: dict[str, Model] = {}
    first_as_of = data.draw(as_ofs(), label="as_of")
    for dataset in family:
        model = models[dataset] = Model(dataset)
        bank = schemas.is_file_dataset(dataset)
        day = first_as_of.date() if bank else None
        as_of = bank_as_of(day) if bank else first_as_of
        ctx = cs.Context(as_of, _refs(dataset, models))

        # 1. a batch of valid records, some sent twice, in every format
        rows = data.draw(
            valid_rows(dataset, ctx, min_size=6, max_size=30, file_date=day),
            label=f"{dataset} records",
        )
        sent = data.draw(with_copies(rows), label=f"{dataset} as sent")
        DRIFT.clear()
        first = Landed(
            dataset,
            data.draw(delivery(dataset, sent, as_of, file_date=day), label="files"),
            as_of,
            day,
        )
        drift = set(DRIFT)
        new, duplicates = model.receive(sent)
        assert_published(first.publish(), first, len(sent), new, duplicates)
        # fields the contract does not list are ignored, and reported as schema drift
        assert set(json.loads(first.manifest.read_text())["unknown_fields"]) == drift
        assert_bronze_holds(model)
        assert quarantined(dataset) == []
        if not bank:
            newest = max(r.sent["updated_at"] for r in rows)
            assert lakehouse.watermark(dataset) == rfc3339(newest)

        # 2. a later batch: corrections (same key, newer version), records sent again, new ones
        later = as_of + data.draw(
            st.timedeltas(timedelta(seconds=1), timedelta(days=400)), label="later"
        )
        day2 = (day + timedelta(days=data.draw(st.integers(1, 40)))) if bank else None
        as_of2 = bank_as_of(day2) if bank else later.replace(microsecond=0)
        ctx2 = cs.Context(as_of2, ctx.refs, newer_than=None if bank else as_of)
        fixed = [
            data.draw(cs.records(dataset, ctx2, key=r.key(), file_date=day2), label="correction")
            for r in data.draw(
                st.lists(st.sampled_from(rows), max_size=6, unique_by=lambda r: r.key())
            )
        ]
        again = data.draw(st.lists(st.sampled_from(rows), max_size=6), label="sent again")
        if bank:  # a later drop file: what it re-sends is that day's version
            again = [
                cs.Record(dataset, r.sent, day2)
                for r in again
                if r.key() not in {f.key() for f in fixed}
            ]
        fresh = data.draw(
            valid_rows(
                dataset,
                ctx2,
                min_size=0,
                max_size=6,
                file_date=day2,
                taken={k for k, _ in model.versions},
            ),
            label="new records",
        )
        sent2 = data.draw(st.permutations(fixed + again + fresh))
        if sent2:
            second = Landed(
                dataset, data.draw(delivery(dataset, sent2, as_of2, file_date=day2)), as_of2, day2
            )
            new2, duplicates2 = model.receive(sent2)
            assert_published(second.publish(), second, len(sent2), new2, duplicates2)
            assert_bronze_holds(model)
            assert_latest_is_newest(model)
            assert quarantined(dataset) == []

        # 3. the first batch again: the same landed batch adds nothing ...
        before = lakehouse.read_bronze(dataset).num_rows
        assert {r.status for r in first.replay()} == {"already_published"}
        assert lakehouse.read_bronze(dataset).num_rows == before
        if bank:  # ... nor does the same drop file landed anew (for the platforms, step 2 re-sent records)
            results = Landed(dataset, first.files, as_of, day).publish()
            assert [(r.status, r.published, r.quarantined) for r in results] == [
                ("published", 0, 0)
            ] * len(results)
            assert sum(r.duplicates for r in results) == len(sent)
            assert lakehouse.read_bronze(dataset).num_rows == before
        assert_bronze_holds(model)


# -- bad records -----------------------------------------------------------------------------------

REASONS = sorted(contract.REASONS)


@st.composite
def bad_rows(draw, dataset: str, ctx: cs.Context, json_like_of, taken: set, known_refs: set[str]):
    """For each §3 reason that fits the dataset: one record with exactly that defect (two for a
    conflicting duplicate). Returns [(Record it started from, fields as sent, reason, field)]."""
    out = []
    for reason in REASONS:
        fields = cs.defect_fields(dataset, reason)
        if not fields:
            continue
        f = draw(st.sampled_from(fields), label=f"{reason} field")
        base = draw(
            cs.records(dataset, ctx, file_date=ctx.file_date).filter(lambda r: r.key() not in taken)
        )
        taken.add(base.key())
        json_like = json_like_of(len(out))
        sent = draw(cs.rendered(base, json_like, extras=False))
        if reason == "conflicting_duplicate":  # the same key and version, another content
            changed = base
            while changed.typed() == base.typed():
                value = (
                    None
                    if not f.required and draw(st.booleans())
                    else draw(cs.field_value(dataset, f, ctx))
                )
                changed = cs.Record(dataset, {**base.sent, f.name: value}, file_date=base.file_date)
            out.append((base, sent, reason, f.name))
            out.append(
                (
                    changed,
                    draw(cs.rendered(changed, json_like_of(len(out)), extras=False)),
                    reason,
                    f.name,
                )
            )
            continue
        value = draw(
            cs.bad_value(dataset, f, reason, ctx, json_like, known_refs), label=f"{reason} value"
        )
        if value is cs.ABSENT:
            sent.pop(f.name, None)
        else:
            sent[f.name] = value
        out.append((base, sent, reason, f.name))
    return out


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
@PROPERTY
@given(data=st.data())
def test_each_bad_record_is_quarantined_with_its_reason(family, data):
    fresh_lakehouse()
    models: dict[str, Model] = {}
    known: dict[
        str, set[str]
    ] = {}  # dataset -> keys of the referenced column it sent (good or bad)
    quarantined_refs: dict[str, list[str]] = {}
    first_as_of = data.draw(as_ofs(), label="as_of")
    for dataset in family:
        ds = contract.dataset(dataset)
        model = models[dataset] = Model(dataset)
        bank = schemas.is_file_dataset(dataset)
        day = first_as_of.date() if bank else None
        as_of = bank_as_of(day) if bank else first_as_of
        refs = {}
        for f in ds.fields:
            if f.references:  # published keys, and keys of records that were quarantined
                target, column = f.references
                refs[f.name] = models[target].keys(column) + quarantined_refs.get(target, [])
        ctx = cs.Context(as_of, refs, observations=False, file_date=day)

        # good records outnumber the bad ones (a batch of mostly bad records is held back, section 3)
        n_bad = sum(
            1 + (reason == "conflicting_duplicate")
            for reason in REASONS
            if cs.defect_fields(dataset, reason)
        )
        good = data.draw(
            valid_rows(dataset, ctx, min_size=n_bad + 1, max_size=n_bad + 5, file_date=day),
            label=f"{dataset} good",
        )
        for f in ds.fields:  # a reference to a record that was quarantined resolves (it exists)
            if f.references and quarantined_refs.get(f.references[0]):
                target = data.draw(
                    st.sampled_from(quarantined_refs[f.references[0]]), label="quarantined parent"
                )
                moved = cs.Record(dataset, {**good[0].sent, f.name: target}, day)
                if moved.key() not in {r.key() for r in good[1:]}:
                    good[0] = moved
        formats = data.draw(
            st.lists(st.booleans(), min_size=40, max_size=40), label="json-like per bad row"
        )
        known_refs = set().union(
            *[known.get(f.references[0], set()) for f in ds.fields if f.references] or [set()]
        )
        bad = data.draw(
            bad_rows(
                dataset,
                ctx,
                lambda i: formats[i % 40] and not bank,
                {r.key() for r in good},
                known_refs,
            ),
            label=f"{dataset} bad",
        )
        rows = [*good, *[b[0] for b in bad]]
        probes = [f"good-{i}" for i in range(len(good))] + [f"bad-{i}" for i in range(len(bad))]
        order = data.draw(st.permutations(range(len(rows))))
        rows, probes = [rows[i] for i in order], [probes[i] for i in order]
        overrides = {order.index(len(good) + j): sent for j, (_, sent, _, _) in enumerate(bad)}
        # a bad row stays in a format that can carry its value (JSON-only values in pages/jsonl)
        files = _deliver_bad(
            data, dataset, rows, probes, overrides, as_of, day, bad, len(good), order
        )
        landed = Landed(dataset, files, as_of, day)
        results = landed.publish()

        expected = {f"bad-{j}": reason for j, (_, _, reason, _) in enumerate(bad)}
        assert [r.status for r in results] == ["published"] * len(results), [
            r.message for r in results
        ]
        assert sum(r.quarantined for r in results) == len(bad)
        assert sum((Counter(r.quarantine_reasons) for r in results), Counter()) == Counter(
            expected.values()
        )
        got = {_probe(q): q["reason_codes"] for q in quarantined(dataset)}
        assert got == expected, {
            p: (got.get(p), expected.get(p))
            for p in set(got) | set(expected)
            if got.get(p) != expected.get(p)
        }
        new, duplicates = model.receive(good)
        assert sum(r.published for r in results) == len(new)
        logged = log_rows(landed.batch_id)
        assert sum(
            (Counter(json.loads(r["quarantine_reasons"])) for r in logged), Counter()
        ) == Counter(expected.values())
        assert [
            (r["status"], r["received"], r["published"], r["quarantined"], r["duplicates"])
            for r in logged
        ] == [("published", len(rows), len(new), len(bad), duplicates)]
        assert_bronze_holds(model)
        for q in quarantined(dataset):  # nothing vanished: the raw record and its reason are kept
            assert q["reason_detail"] and q["raw"] and q["batch_id"] == landed.batch_id

        # keys of the column children refer to, for their reference checks
        for child in contract.DATASETS.values():
            for f in child.fields:
                if f.references and f.references[0] == dataset:
                    column = f.references[1]
                    intact = {base.sent[column] for base, _, _, where in bad if where != column}
                    quarantined_refs[dataset] = sorted(intact - set(model.keys(column)))
                    known[dataset] = (
                        set(model.keys(column))
                        | intact
                        | {
                            sent[column].strip()
                            for _, sent, _, _ in bad
                            if isinstance(sent.get(column), str)
                        }
                    )


def _probe(q: dict) -> str:
    raw = json.loads(q["raw"])
    return raw.get(PROBE) or f"(no probe) {q['raw'][:300]}"


def _deliver_bad(data, dataset, rows, probes, overrides, as_of, day, bad, n_good, order):
    """Files for a batch with bad rows: each bad row goes to a JSON file if its value needs
    JSON (a number literal, true/false, a surrogate escape), else anywhere."""
    needs_json = set()
    for j, (_, sent, _, _) in enumerate(bad):
        if any(
            isinstance(v, (cs.Num, bool, list, dict)) or (isinstance(v, cs.BadBytes) and v.escaped)
            for v in sent.values()
        ):
            needs_json.add(order.index(n_good + j))
    if day is not None:  # bank: one csv.gz drop file
        assert not needs_json
        return data.draw(
            delivery(
                dataset, rows, as_of, file_date=day, extras=False, probes=probes, bad=overrides
            )
        )
    json_rows = [i for i in range(len(rows)) if i in needs_json or data.draw(st.booleans())]
    other = [i for i in range(len(rows)) if i not in json_rows]
    files = []
    for part, kinds in (
        (json_rows, ["json-page", "jsonl.gz"]),
        (other, ["csv.gz", "json-page", "jsonl.gz"]),
    ):
        if not part:
            continue
        fmt = data.draw(st.sampled_from(kinds))
        files += [
            (f"{len(files)}-{name}", body, f)
            for name, body, f in data.draw(
                _files_of(
                    dataset,
                    [rows[i] for i in part],
                    [probes[i] for i in part],
                    {k: overrides[i] for k, i in enumerate(part) if i in overrides},
                    as_of,
                    fmt,
                )
            )
        ]
    return files


@st.composite
def _files_of(draw, dataset, rows, probes, overrides, as_of, fmt):
    ascii_only = draw(st.booleans())
    sent = []
    for i, row in enumerate(rows):
        out = (
            dict(overrides[i])
            if i in overrides
            else draw(cs.rendered(row, fmt != "csv.gz", extras=False))
        )
        out[PROBE] = probes[i]
        sent.append(out)
    if fmt == "json-page":
        return [("page.json", cs.json_page(dataset, sent, as_of, ascii_only), fmt)]
    if fmt == "jsonl.gz":
        return [("part.jsonl.gz", cs.jsonl_gz(sent, ascii_only), fmt)]
    header = draw(
        st.permutations(
            list(
                dict.fromkeys(
                    [f.name for f in contract.dataset(dataset).fields]
                    + [k for r in sent for k in r]
                )
            )
        )
    )
    return [
        (
            "part.csv.gz",
            cs.csv_gz(sent, header, draw(st.booleans()), draw(st.booleans()), draw(st.booleans())),
            fmt,
        )
    ]
