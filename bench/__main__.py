"""Run the benchmarks. Every figure is printed beside a baseline measured in the same run.

python -m bench              # all benchmarks at full scale (100,000 enterprises x 36 months)
python -m bench small        # a quick pass at small scale
python -m bench full api     # only bench/bench_api.py
"""

from __future__ import annotations

import importlib
import sys
import time

# ingest last: at full scale it is the longest (about an hour on 2 cores).
BENCHES = ["generator", "api", "dbt", "model", "dbt_dag", "service", "ingest"]


def main(argv: list[str]) -> int:
    scale = "full"
    if argv and argv[0] in ("full", "small"):
        scale, argv = argv[0], argv[1:]
    names = argv or BENCHES
    unknown = sorted(set(names) - set(BENCHES))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {BENCHES}", file=sys.stderr)
        return 2
    for name in names:
        print(f"== bench {name} ({scale}) ==", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.bench_{name}").main(scale)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
