"""Scorecard fit time at scale, beside a baseline measured in the same run.

    python -m bench small model     (the marts of `bench small dbt`: 2,000 x 24)
    python -m bench full model      (100,000 enterprises x 36 months)

Reads the marts that bench_dbt built for the scale (building them first when missing), then
times what `creditlake model fit` does: read the mature observations, split out of time, bin
every characteristic (optbinning) and fit the logistic regression, score the test window with
the fitted card and the expert card. Baseline: a plain logistic regression on the same training
rows' raw characteristics (missing values set to the median), no binning.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path


def main(scale: str = "small") -> None:
    import numpy as np

    # imported before any clock starts: a one-off per process, not fitting
    import optbinning  # noqa: F401
    from sklearn.linear_model import LogisticRegression

    from creditlake.core.config import environment
    from creditlake.model import fit, run

    root = Path(os.environ.get("CREDITLAKE_BENCH_DIR", ".bench")).resolve() / "dbt" / scale
    db = root / "warehouse" / "marts" / "creditlake.duckdb"
    if not db.exists():
        print(f"   no marts at {db}: running bench {scale} dbt first", flush=True)
        from bench import bench_dbt

        bench_dbt.main(scale)
    # Read a copy, as every reader of the marts does: bench_dbt may still hold the file open in
    # this process (`python -m bench` runs it first), and DuckDB lets one configuration open it.
    copy = root / "model-bench.duckdb"
    shutil.copyfile(db, copy)
    with environment({"CREDITLAKE_WAREHOUSE": str(root / "warehouse")}):
        started = time.perf_counter()
        obs, as_of, _, expert = run.observations(copy)
        read = time.perf_counter() - started
        train, test = run.split(obs, run.settings()["test_months"])
        print(
            f"   {obs.num_rows:,} mature observations to {as_of} read in {read:.1f} s; training "
            f"{train.num_rows:,} rows ({run.defaulters(train):,} defaulters), test "
            f"{test.num_rows:,} ({run.defaulters(test):,})",
            flush=True,
        )
        if not run.defaulters(train) or not run.defaulters(test):
            print("   no defaults to learn from at this scale: nothing to time", flush=True)
            return
        started = time.perf_counter()
        card = fit.fit(f"bench-{as_of}", train, expert.characteristics, expert)
        fitted = time.perf_counter() - started
        started = time.perf_counter()
        challenger, champion = run.evaluate(card, test), run.evaluate(expert, test)
        scored = time.perf_counter() - started

        started = time.perf_counter()
        X = np.column_stack(
            [
                train.column(c).cast("double").to_numpy(zero_copy_only=False)
                for c in expert.characteristics
            ]
        )
        X = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
        X = np.nan_to_num(X)  # a characteristic with no value at all
        y = train.column(fit.LABEL).to_numpy(zero_copy_only=False)
        LogisticRegression(max_iter=1000).fit(X, y)
        plain = time.perf_counter() - started
    print(f"   plain logistic regression, raw characteristics (baseline): {plain:6.1f} s   1.0x")
    print(
        f"   fit: WoE binning of {len(expert.characteristics)} characteristics + logistic "
        f"regression: {fitted:6.1f} s   {fitted / plain:.1f}x  ({len(card.characteristics)} kept)"
    )
    print(f"   scoring the test window with both cards: {scored:.1f} s")
    print(
        f"   test window AUC / KS: fitted {challenger['auc']:.3f} / {challenger['ks']:.3f}, "
        f"expert {champion['auc']:.3f} / {champion['ks']:.3f}"
    )
