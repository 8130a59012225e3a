"""The bank core system's daily file drop (contract section 5).

For every business day with rows and `_file_date` <= the clock's date, writes
loans_YYYYMMDD.csv.gz and repayments_YYYYMMDD.csv.gz, each followed by its
`<file>.sha256` companion ("<hex>  <filename>\\n"). Both are written under a temporary
name and renamed, the companion last, so a reader never sees a partial file as
complete. Files already complete are left alone; the bytes are deterministic.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from creditlake.core.contract import DATASETS
from creditlake.simulator.snapshots import write_gzip
from creditlake.simulator.wire import batches, csv_header, csv_lines, wire_columns

BANK_DATASETS = tuple(d.name for d in DATASETS.values() if d.is_file_drop)


def bank_of(loan_ids: pa.Array, banks: tuple[str, ...]) -> np.ndarray:
    """Which of `banks` books each loan: by its number, so a loan and its repayments stay at
    one bank and an enterprise may borrow from several."""
    digits = pc.cast(pc.utf8_slice_codeunits(loan_ids, 2), pa.int64()).to_numpy(
        zero_copy_only=False
    )
    return np.asarray(banks)[digits % len(banks)]


class BankDrop:
    """The drop folder of one bank, or with `banks`, one folder per bank under it (section 5:
    CREDITLAKE_BANKS), each bank's files holding the loans it books."""

    def __init__(self, data_dir: Path, drop_dir: Path, banks: tuple[str, ...] = ()):
        self.data_dir, self.drop_dir, self.banks = Path(data_dir), Path(drop_dir), tuple(banks)
        self._tables: dict[tuple[str, str | None], pa.Table] = {}
        self._lock = threading.Lock()

    def folders(self) -> list[tuple[str | None, Path]]:
        if not self.banks:
            return [(None, self.drop_dir)]
        return [(bank, self.drop_dir / bank) for bank in self.banks]

    def _table(self, dataset: str, bank: str | None) -> pa.Table:
        if (dataset, bank) not in self._tables:
            path = self.data_dir / "bank" / f"{dataset}.parquet"
            if not path.exists():
                raise FileNotFoundError(f"{path} is missing: regenerate the data folder")
            table = pq.read_table(path)
            if bank is not None:
                table = table.filter(pa.array(bank_of(table["loan_id"], self.banks) == bank))
            order = pc.sort_indices(
                table, [("_file_date", "ascending")]
            )  # stable: keeps row order per day
            self._tables[dataset, bank] = table.take(order)
        return self._tables[dataset, bank]

    def write_through(self, day: str) -> list[Path]:
        """Drop every file with _file_date <= `day` ('YYYY-MM-DD') not yet complete; return new files."""
        with self._lock:
            written = []
            for bank, folder in self.folders():
                folder.mkdir(parents=True, exist_ok=True)
                for dataset in BANK_DATASETS:
                    written += self._write_dataset(dataset, day, bank, folder)
            return written

    def _write_dataset(self, dataset: str, day: str, bank: str | None, folder: Path) -> list[Path]:
        table = self._table(dataset, bank)
        dates = table.column("_file_date").combine_chunks()
        values, counts = np.unique(
            dates.to_numpy(zero_copy_only=False).astype(str), return_counts=True
        )
        bounds = np.concatenate([[0], np.cumsum(counts)])
        written = []
        lines = None
        header = csv_header(wire_columns(table, dataset))
        for i, file_date in enumerate(values):
            if file_date > day:
                break
            name = f"{dataset}_{file_date.replace('-', '')}.csv.gz"
            target = folder / name
            companion = folder / (name + ".sha256")
            if target.exists() and companion.exists():
                continue
            if lines is None:  # encode once, only when some file is due
                lines = csv_lines(batches(table), dataset)
            tag = (
                f"{os.getpid()}-{threading.get_ident()}"  # several servers may share a drop folder
            )
            tmp = folder / f".{name}.part{tag}"
            _size, digest = write_gzip(
                tmp, header, [lines.span(int(bounds[i]), int(bounds[i + 1]))]
            )
            tmp.replace(target)
            tmp_sha = folder / f".{name}.sha256.part{tag}"
            tmp_sha.write_text(f"{digest}  {name}\n")
            tmp_sha.replace(companion)
            written += [target, companion]
        return written
