"""Warning thresholds recalibrated from history, toward a target precision at a lead time.

For each signal whose metric is continuous (a trend, a rise, a ratio: more than
MIN_DISTINCT values in training), the candidates are the metric's tail quantiles in the
training window; a borrower-month beyond a candidate is a hit when the borrower reaches 90+
days past due between LEAD_MONTHS and 12 months later. Amber takes the most lenient candidate
whose odds of a hit are at least AMBER_LIFT times the training base odds, red the most lenient
at RED_LIFT times (never more lenient than amber). Targets are odds ratios, not rates, so that
they mean the same in a book that defaults at 1% and one at 20% (a rate ratio of 3 cannot be
reached above a 33% base rate; an odds ratio can). A signal that
no candidate brings to its target, and every count signal (penalties, arrears months, days
past due), keeps the thresholds in use.

CREDITLAKE_WARNING_AMBER_LIFT (default 3), CREDITLAKE_WARNING_RED_LIFT (default 6),
CREDITLAKE_WARNING_LEAD_MONTHS (default 3).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from creditlake.core import schemas
from creditlake.core.config import env

MIN_DISTINCT = 20
QUANTILES = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.10, 0.15, 0.20, 0.25, 0.30]
MIN_HITS = 20  # borrower-months beyond a candidate: fewer is not evidence


def settings() -> dict:
    return {
        "amber_lift": float(env("CREDITLAKE_WARNING_AMBER_LIFT", "3")),
        "red_lift": float(env("CREDITLAKE_WARNING_RED_LIFT", "6")),
        "lead_months": int(env("CREDITLAKE_WARNING_LEAD_MONTHS", "3")),
    }


def _hit(obs: pa.Table, lead: int) -> np.ndarray:
    months = obs.column("months_to_default").to_numpy(zero_copy_only=False)
    months = np.asarray(months, dtype=float)
    return ~np.isnan(months) & (months >= lead)


def _odds(p: float) -> float:
    return float("inf") if p >= 1 else float(p / (1 - p))


def _beyond(values: np.ndarray, comparison: str, threshold: float | None) -> np.ndarray:
    if threshold is None or np.isnan(threshold):
        return np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        return values <= threshold if comparison == "below" else values >= threshold


def recalibrate(version: str, train: pa.Table, in_use: pa.Table) -> tuple[pa.Table, list[dict]]:
    """The recalibrated thresholds (schemas.WARNING_THRESHOLDS) and what was found per signal."""
    s = settings()
    hit = _hit(train, s["lead_months"])
    base = hit.mean() if len(hit) else 0.0
    rows, found = [], []
    for t in in_use.to_pylist():
        row = {**t, "threshold_version": version}
        values = (
            train.column(t["metric"]).cast(pa.float64()).to_numpy(zero_copy_only=False)
            if t["metric"] in train.column_names
            else None
        )
        if values is None or base == 0 or len(np.unique(values[~np.isnan(values)])) <= MIN_DISTINCT:
            rows.append(row)
            continue
        tail = QUANTILES if t["comparison"] == "below" else [1 - q for q in QUANTILES]
        candidates = []
        for q in tail:
            c = float(np.nanquantile(values, q))
            flagged = _beyond(values, t["comparison"], c)
            if flagged.sum() >= MIN_HITS:
                candidates.append((c, _odds(hit[flagged].mean()) / _odds(base), int(flagged.sum())))
        # candidates run from strict to lenient; the most lenient that meets a target wins
        amber = next((c for c, lift, _ in reversed(candidates) if lift >= s["amber_lift"]), None)
        red = next((c for c, lift, _ in reversed(candidates) if lift >= s["red_lift"]), None)
        if amber is not None and red is not None:
            red = min(red, amber) if t["comparison"] == "below" else max(red, amber)
        if amber is not None or red is not None:
            row |= {"amber_threshold": amber, "red_threshold": red}
        found.append({"signal": t["signal"], "amber": amber, "red": red, "base_rate": base,
                      "candidates": [{"threshold": c, "lift": x, "rows": n} for c, x, n in candidates]})  # fmt: skip
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=schemas.WARNING_THRESHOLDS), found


def evaluate(thresholds: pa.Table, obs: pa.Table, signals: list[str]) -> dict:
    """On `obs` (borrower-months), with `signals` only (those recalibrated: the others are the
    same in both sets): the share of warned borrower-months that were hits (precision), and of
    the borrowers that defaulted within the window, the share warned LEAD..12 months before
    (recall)."""
    lead = settings()["lead_months"]
    hit = _hit(obs, lead)
    warned = np.zeros(obs.num_rows, dtype=bool)
    for t in thresholds.to_pylist():
        if t["signal"] not in signals or t["metric"] not in obs.column_names:
            continue
        values = obs.column(t["metric"]).cast(pa.float64()).to_numpy(zero_copy_only=False)
        warned |= _beyond(values, t["comparison"], t["amber_threshold"])
        warned |= _beyond(values, t["comparison"], t["red_threshold"])
    uscc = np.asarray(obs.column("uscc").to_pylist(), dtype=object)
    defaulters = set(uscc[hit].tolist())
    caught = set(uscc[hit & warned].tolist())
    return {
        "precision": float(hit[warned].mean()) if warned.any() else 0.0,
        "recall": len(caught) / len(defaulters) if defaulters else float("nan"),
        "warned_rows": int(warned.sum()),
        "rows": obs.num_rows,
        "defaulters": len(defaulters),
    }
