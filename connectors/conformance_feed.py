"""The per-dataset checks of `creditlake conformance` (contract sections 1.1, 1.2 and 2).

`DatasetChecks` pulls the first pages of a feed once and judges them several ways (page shape,
order, section 2 records), then pulls what each remaining check needs: from one record's
updated_at (exclusive), a window near the end paged to its null cursor (each record once), the
snapshot listing and the smallest file of each format. All through `Probe.call`, so every
request counts against the budget and transient faults are retried by the connectors' client.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from creditlake.connectors.conformance_probe import Probe, loads
from creditlake.connectors.conformance_records import RecordTally, parse_ts
from creditlake.connectors.http import without_query
from creditlake.core.contract import Dataset

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
EPOCH = "1970-01-01T00:00:00Z"
RECORD_FAIL_SHARE = 0.20  # more than this share of sampled records breaking section 2 fails
MIN_RECORDS_FOR_SHARE = 5
SNAPSHOT_SAMPLE_ROWS = 200
WINDOWS = (
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=7),
    timedelta(days=30),
    timedelta(days=365),
    timedelta(days=3650),
)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_object(doc) -> None:
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")


@dataclass
class _Pull:
    """Pages of one pull, in the order received."""

    records: list = field(default_factory=list)
    pages: int = 0
    ended: bool = False  # next_cursor was null
    as_of: datetime | None = None
    problems: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


def _identity(ds: Dataset, record) -> tuple | None:
    """(updated_at, key) of a record; None where updated_at is not a timestamp."""
    if not isinstance(record, dict):
        return None
    moment = parse_ts(record.get("updated_at"))
    return None if moment is None else (moment, tuple(str(record.get(k)) for k in ds.key))


def _distinct(ds: Dataset, records: list) -> list[tuple]:
    seen, out = set(), []
    for record in records:
        ident = _identity(ds, record)
        if ident is not None and ident not in seen:
            seen.add(ident)
            out.append(ident)
    return out


def order_problem(ds: Dataset, records: list) -> tuple[str | None, int]:
    """The first record out of (updated_at, key) order (a record already seen may come again:
    a re-sent duplicate), and how many re-sent duplicates there were."""
    seen, last, repeats = set(), None, 0
    for index, record in enumerate(records):
        ident = _identity(ds, record)
        if ident is None:
            continue
        if ident in seen:
            repeats += 1
            continue
        if last is not None and ident < last:
            what = (
                "key order within one updated_at (code-point order)"
                if ident[0] == last[0]
                else "updated_at"
            )
            return (
                f"record {index + 1} (key {ident[1]}, updated_at {rfc3339(ident[0])}) comes after "
                f"(key {last[1]}, updated_at {rfc3339(last[0])}): {what} out of order"
            ), repeats
        seen.add(ident)
        last = ident
    return None, repeats


class DatasetChecks:
    """The checks of one dataset; `steps()` lists them in the order they run."""

    def __init__(self, probe: Probe, limits, ds: Dataset):
        self.probe, self.limits, self.ds = probe, limits, ds
        self.tally = RecordTally(ds)
        self._head: _Pull | None = None

    def steps(self) -> list[tuple[str, object]]:
        return [
            ("pages", self.check_pages),
            ("order", self.check_order),
            ("updated_since exclusive", self.check_exclusive),
            ("next_cursor to the end", self.check_end),
            ("snapshots", self.check_snapshots),
            ("records (section 2)", self.check_records),
        ]

    # -- pages (section 1.1) -------------------------------------------------------------------------
    def pull(self, since: str, size: int, max_pages: int) -> _Pull:
        pull = _Pull()
        params = {"updated_since": since, "page_size": size}
        while pull.pages < max_pages:
            page = self.probe.call(
                lambda client: client.get_json(f"/{self.ds.name}", params, check=_json_object)  # noqa: B023
            )
            pull.pages += 1
            pull.urls.append(page.url)
            doc = loads(page.body)
            pull.problems += [f"page {pull.pages}: {p}" for p in _page_problems(self.ds, doc, size)]
            data = doc.get("data") if isinstance(doc.get("data"), list) else []
            pull.records += data
            for record in data:
                self.tally.add(record)
            moment = parse_ts(doc.get("as_of"))
            pull.as_of = max(filter(None, (pull.as_of, moment)), default=None)
            cursor = doc.get("next_cursor")
            if not cursor:
                pull.ended = True
                break
            if cursor == params.get("cursor"):
                pull.problems.append(
                    f"page {pull.pages}: next_cursor repeats the cursor of the request"
                )
                break
            params = {"updated_since": since, "page_size": size, "cursor": cursor}
        return pull

    @property
    def head(self) -> _Pull:
        """The first pages of the feed: pulled once, judged by several checks."""
        if self._head is None:
            self._head = self.pull(EPOCH, self.limits.page_size, self.limits.pages)
        return self._head

    def check_pages(self):
        head = self.head
        evidence = (
            f"GET {without_query(head.urls[0])}?updated_since={EPOCH}&page_size={self.limits.page_size}: "
            f"{head.pages} page(s), {len(head.records)} records, as_of "
            f"{rfc3339(head.as_of) if head.as_of else 'missing'}"
            + (", next_cursor null at the end" if head.ended else ", cursors followed")
        )
        if head.problems:
            return FAIL, evidence + "; " + "; ".join(head.problems[:3])
        return PASS, evidence

    def check_order(self):
        head = self.head
        problem, repeats = order_problem(self.ds, head.records)
        evidence = f"{len(head.records)} records over {head.pages} page(s)" + (
            f", {repeats} re-sent duplicate(s) (allowed)" if repeats else ""
        )
        if problem:
            return FAIL, f"{evidence}: {problem}"
        return PASS, evidence + ", ordered by (updated_at, key)"

    def check_exclusive(self):
        head = self.head
        distinct = _distinct(self.ds, head.records)
        pivot = next(
            (
                distinct[i]
                for i in range(len(distinct) // 2, -1, -1)
                if any(later[0] > distinct[i][0] for later in distinct[i + 1 :])
            ),
            None,
        )
        if pivot is None:
            return SKIP, f"the {len(distinct)} sampled records do not have two different updated_at"
        text = next(r["updated_at"] for r in head.records if _identity(self.ds, r) == pivot)
        got = self.pull(text, self.limits.page_size, 1)
        inclusive = [i for i in _distinct(self.ds, got.records) if i[0] <= pivot[0]]
        after = [i for i in distinct if i[0] > pivot[0]]
        fresh = _distinct(self.ds, got.records)
        n = min(len(after), len(fresh))
        evidence = f"GET ...?updated_since={text}&page_size={self.limits.page_size}: {len(got.records)} records"
        if inclusive:
            first = inclusive[0]
            return FAIL, (
                f"{evidence}; {len(inclusive)} with updated_at <= updated_since (e.g. key {first[1]} "
                f"at {rfc3339(first[0])}): updated_since must be exclusive"
            )
        if fresh[:n] != after[:n] or (after and not fresh):
            return FAIL, (
                f"{evidence}; they are not the records that follow it in the feed "
                "(records skipped or out of order)"
            )
        return PASS, f"{evidence}, all after it, the next {n} of the feed in order"

    def check_end(self):
        head = self.head
        end = head.as_of or datetime.now(UTC)
        window = None
        for delta in WINDOWS:
            since = rfc3339(end - delta)
            one = self.pull(since, self.limits.window_page_size, 1)
            if not one.ended:
                break
            if one.records:
                window = (since, one)
            if len(one.records) >= 3 * self.limits.page_size:
                break
        if window is None:
            return SKIP, (
                f"no window before as_of {rfc3339(end)} with 1 to {self.limits.window_page_size} records "
                "(tried 1 hour to 10 years)"
            )
        since, one = window
        limit = one.as_of or end
        wanted = {i for i in _distinct(self.ds, one.records) if i[0] <= limit}
        size = max(1, math.ceil(len(wanted) / 3))
        paged = self.pull(since, size, 8)
        problem, repeats = order_problem(self.ds, paged.records)
        got = {
            i for i in _distinct(self.ds, paged.records) if i[0] <= limit
        }  # later ones arrived meanwhile
        evidence = (
            f"window updated_since={since}: {len(wanted)} records in one page; paged by {size}: "
            f"{paged.pages} page(s), {len(paged.records)} records"
        )
        problems = list(paged.problems)
        if not paged.ended:
            problems.append(f"next_cursor still not null after {paged.pages} pages")
        if wanted - got:
            problems.append(
                f"{len(wanted - got)} record(s) of the window never came (e.g. key {min(wanted - got)[1]})"
            )
        if got - wanted:
            problems.append(f"{len(got - wanted)} record(s) not in the window came")
        if problem:
            problems.append(problem)
        if problems:
            return FAIL, evidence + "; " + "; ".join(problems[:3])
        return PASS, evidence + ", next_cursor null at the end, each record once" + (
            f" ({repeats} re-sent duplicate(s), allowed)" if repeats else ""
        )

    # -- snapshots (section 1.2) ---------------------------------------------------------------------
    def check_snapshots(self):
        head = self.head
        day = (head.as_of or datetime.now(UTC)).date().isoformat()
        listing = self.probe.call(
            lambda client: client.get_json(
                f"/{self.ds.name}/snapshots", {"as_of": day}, check=_json_object
            )
        )
        doc = loads(listing.body)
        problems = _listing_problems(doc)
        snapshots = [
            s
            for s in doc.get("snapshots") or []
            if isinstance(s, dict) and parse_ts(s.get("as_of"))
        ]
        evidence = f"GET {listing.url}: {len(doc.get('snapshots') or [])} snapshot(s)"
        if problems or not snapshots:
            return FAIL, evidence + "; " + ("; ".join(problems[:3]) or f"no snapshot as of {day}")
        newest = max(snapshots, key=lambda s: parse_ts(s["as_of"]))
        files = [f for f in newest.get("files") or [] if isinstance(f, dict)]
        if not files:
            return FAIL, evidence + f"; the newest, {newest.get('snapshot_id')}, lists no files"
        chosen = {}
        for entry in sorted(files, key=lambda f: int(f.get("bytes") or 0)):
            chosen.setdefault(entry.get("format"), entry)
        notes = []
        for fmt, entry in chosen.items():
            if int(entry.get("bytes") or 0) > self.limits.max_file_mb * 1e6:
                notes.append(
                    f"{fmt} skipped: its smallest file is {int(entry['bytes']) / 1e6:.0f} MB "
                    f"(> {self.limits.max_file_mb:g} MB)"
                )
                continue
            notes.append(self._check_file(entry, problems))
        evidence += f"; newest {newest.get('snapshot_id')} as of {newest['as_of']}: " + "; ".join(
            notes
        )
        return (FAIL, evidence + "; " + "; ".join(problems[:3])) if problems else (PASS, evidence)

    def _check_file(self, entry: dict, problems: list[str]) -> str:
        shown = without_query(entry["url"])
        with tempfile.TemporaryDirectory(prefix="creditlake-conformance-") as tmp:
            dest = Path(tmp) / "file"
            size = self.probe.call(
                lambda client: client.download(entry["url"], dest, entry["sha256"])
            )
            if size != int(entry.get("bytes") or -1):
                problems.append(f"{shown}: {size} bytes, the listing says {entry.get('bytes')}")
            try:
                rows, header_problem = _read_file(self.ds, dest, entry["format"], self.tally)
            except (OSError, EOFError, ValueError, csv.Error) as exc:
                problems.append(
                    f"{shown}: not a readable {entry['format']} ({type(exc).__name__}: {exc})"
                )
                return f"{entry['format']} {shown}: sha256 matches, unreadable"
        if header_problem:
            problems.append(f"{shown}: {header_problem}")
        if isinstance(entry.get("rows"), int) and rows != entry["rows"]:
            problems.append(f"{shown}: {rows} rows, the listing says {entry.get('rows')}")
        return f"{entry['format']} {shown}: {size} bytes, sha256 matches, {rows} rows readable"

    def check_records(self):
        tally = self.tally
        if not tally.records:
            return SKIP, "no records sampled"
        verdict = (
            FAIL
            if tally.records >= MIN_RECORDS_FOR_SHARE and tally.share > RECORD_FAIL_SHARE
            else PASS
        )
        return verdict, tally.summary() + f" (fails above {RECORD_FAIL_SHARE:.0%})"


def _page_problems(ds: Dataset, doc: dict, size: int) -> list[str]:
    problems = []
    if doc.get("dataset") != ds.name:
        problems.append(f"dataset {doc.get('dataset')!r}, expected {ds.name!r}")
    if parse_ts(doc.get("as_of")) is None:
        problems.append(f"as_of {doc.get('as_of')!r} is not an RFC 3339 timestamp")
    if not isinstance(doc.get("data"), list):
        problems.append("no data list")
    elif len(doc["data"]) > size:
        problems.append(f"{len(doc['data'])} records on a page of page_size {size}")
    if "next_cursor" not in doc:
        problems.append("no next_cursor (null at the end)")
    elif not (
        doc["next_cursor"] is None or (isinstance(doc["next_cursor"], str) and doc["next_cursor"])
    ):
        problems.append(f"next_cursor {doc['next_cursor']!r} is neither a string nor null")
    return problems


def _listing_problems(doc: dict) -> list[str]:
    problems = []
    if not isinstance(doc.get("snapshots"), list):
        return ["no snapshots list"]
    for snap in doc["snapshots"]:
        if not isinstance(snap, dict):
            problems.append("a snapshot that is not an object")
            continue
        if not isinstance(snap.get("snapshot_id"), str) or parse_ts(snap.get("as_of")) is None:
            problems.append(
                f"snapshot {snap.get('snapshot_id')!r}: needs snapshot_id str and as_of RFC 3339"
            )
        for entry in snap.get("files") if isinstance(snap.get("files"), list) else [None]:
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("url"), str)
                and entry.get("format") in ("csv.gz", "jsonl.gz")
                and all(type(entry.get(k)) is int for k in ("rows", "bytes"))
                and isinstance(entry.get("sha256"), str)
                and len(entry["sha256"]) == 64
            ):
                problems.append(
                    f"snapshot {snap.get('snapshot_id')!r}: a file entry needs url, format csv.gz or "
                    f"jsonl.gz, rows and bytes integers and a sha256 hex: {str(entry)[:120]}"
                )
    return problems


def _read_file(ds: Dataset, path: Path, fmt: str, tally: RecordTally) -> tuple[int, str | None]:
    """Rows of a snapshot file, streamed; the first rows go to the section 2 tally."""
    rows, header_problem = 0, None
    with gzip.open(path, "rb") as raw:
        if fmt == "jsonl.gz":
            for line in raw:
                if line.strip():
                    rows += 1
                    if rows <= SNAPSHOT_SAMPLE_ROWS:
                        try:
                            tally.add(loads(line), fmt)
                        except ValueError:
                            tally.add(line.decode("utf-8", "replace"), fmt)
            return rows, None
        reader = csv.reader(
            io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        )
        header = next(reader, [])
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]  # a UTF-8 BOM may lead (section 1.2)
        missing = [name for name in ds.required if name not in header]
        if missing:
            header_problem = f"header lacks required column(s) {', '.join(missing)}"
        for row in reader:
            if not row:
                continue
            rows += 1
            if rows <= SNAPSHOT_SAMPLE_ROWS:
                tally.add({name: value for name, value in zip(header, row) if value != ""}, fmt)
    return rows, header_problem
