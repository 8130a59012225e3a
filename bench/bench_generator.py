"""Simulator generator throughput, beside a baseline measured in the same run.

- generator: `simulator.generator.generate` end to end (world, every feed, corrections, bad
  records, sorting, Parquet, truth), in rows written per second;
- baseline: pyarrow writing the very same tables again from memory with the same Parquet
  settings (the floor any generator that writes these files has to pay).

CPU seconds are printed too: on a shared machine wall-clock figures move with the load.

    python -m bench small generator   (5,000 enterprises x 24 months)
    python -m bench full generator    (100,000 enterprises x 36 months)
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

SCALES = {"full": (100_000, 36), "small": (5_000, 24)}
SEED = 7


def _timed(fn, *args, **kwargs) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args, **kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(scale: str = "small") -> None:
    from creditlake.simulator.generator import generate, parquet_options

    enterprises, months = SCALES[scale]
    with tempfile.TemporaryDirectory(prefix="bench-generator-") as tmp:
        out = Path(tmp) / "sim"
        gen_wall, gen_cpu = _timed(
            generate, out=out, seed=SEED, enterprises=enterprises, months=months, quiet=True
        )
        files = sorted([*out.glob("feeds/*.parquet"), *out.glob("bank/*.parquet")])
        tables = [pq.read_table(f) for f in files]
        rows = sum(t.num_rows for t in tables)

        def rewrite():
            for i, (file, table) in enumerate(zip(files, tables)):
                pq.write_table(
                    table, Path(tmp) / f"baseline-{i}.parquet", **parquet_options(file.stem)
                )

        base_wall, base_cpu = _timed(rewrite)
    gen_rate, base_rate = rows / gen_wall, rows / base_wall
    print(
        f"   generate {enterprises:,} enterprises x {months} months: {rows:,} rows in {gen_wall:.1f} s "
        f"(cpu {gen_cpu:.1f} s) = {gen_rate:,.0f} rows/s",
        flush=True,
    )
    print(
        f"   baseline pyarrow write of the same tables: {base_wall:.1f} s (cpu {base_cpu:.1f} s) = {base_rate:,.0f} rows/s",
        flush=True,
    )
    print(
        f"   generator / baseline: {gen_rate / base_rate:.2f} (wall), {base_cpu / max(gen_cpu, 1e-9):.2f} (cpu)",
        flush=True,
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "small")
