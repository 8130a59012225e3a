"""Fit a points scorecard: optimal monotonic binning with WoE (optbinning), logistic regression
on the WoE values, and points scaled from the log-odds.

Scaling: score = offset + factor * ln(good:bad odds), factor = pdo / ln 2, so that `base_score`
stands for `base_odds` and every `pdo` points double the odds. With ln(bad:good odds) =
intercept + sum(coefficient_i * woe_i), the card's base row holds offset - factor * intercept and
each bin -factor * coefficient * woe (rounded). Reason codes: a bin that scores below its
characteristic's best bin takes the expert card's code for values in that range, so the texts a
bank already knows stay the same whichever card is in use.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from creditlake.core import schemas
from creditlake.model.card import BASE, Card, score_for_pd

log = logging.getLogger(__name__)

LABEL = "defaulted_12m"
# The points scale of fitted cards (a convention, stated, not fitted): 600 points at 30:1 good:bad
# odds (PD about 3.2%), 40 points to double the odds; PDs from 99% down to 0.01% then fall
# inside the 0..1000 that fct_credit_score holds every score to.
SCALING = {"base_score": 600, "base_odds": 30.0, "pdo": 40}
# Grades of a fitted card by PD (policy, the same decisions and line factors as the expert card's
# grades A..E): A below 1%, B below 2%, C below 4%, D below 8%, E from 8%.
GRADE_PD = [("A", 0.01, "approve", 1.0), ("B", 0.02, "approve", 0.8), ("C", 0.04, "refer", 0.5),
            ("D", 0.08, "refer", 0.3), ("E", None, "decline", 0.0)]  # fmt: skip
MIN_IV = 0.02  # information value below which a characteristic is left out (the usual cut)
MIN_BIN_SHARE = 0.05  # no bin holds less than 5% of the training rows


@dataclass
class Feature:
    characteristic: str
    iv: float
    coefficient: float
    bins: list[dict]  # bounds, rows, event rate, woe


def fit(
    version: str,
    train: pa.Table,
    characteristics: list[str],
    expert: Card,
    min_iv: float = MIN_IV,
) -> Card:
    """A card named `version` learned from `train` (characteristics + LABEL). Raises ValueError
    when no characteristic carries information."""
    from sklearn.linear_model import LogisticRegression

    y = train.column(LABEL).to_numpy(zero_copy_only=False).astype(int)
    binned = {}  # characteristic -> (its binning, its binning table, the training rows' WoE)
    for name in characteristics:
        x = train.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)
        found = _bin(name, x, y, min_iv)
        if found:
            binned[name] = (*found, found[0].transform(x, metric="woe", metric_missing="empirical"))
    if not binned:
        raise ValueError(f"no characteristic reaches an information value of {min_iv}")

    # Logistic regression on WoE; a characteristic whose coefficient comes out with the wrong
    # sign (more WoE = more risk: collinearity) is dropped and the rest refitted.
    names = list(binned)
    while True:
        X = np.column_stack([binned[n][2] for n in names])
        lr = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
        wrong = [n for n, c in zip(names, lr.coef_[0]) if c >= 0]
        if not wrong or len(wrong) == len(names):
            break
        names = [n for n in names if n not in wrong]
    factor = SCALING["pdo"] / math.log(2)
    offset = SCALING["base_score"] - factor * math.log(SCALING["base_odds"])
    scaling = {**SCALING, "factor": factor, "offset": offset}
    rows = [_row(version, BASE, 0, None, None, False, round(offset - factor * lr.intercept_[0]))]
    features = []
    for name, coef in zip(names, lr.coef_[0]):
        ob, table = binned[name][:2]
        feature_bins = _bins(ob, table)
        points = [round(-factor * coef * b["woe"]) for b in feature_bins]
        best = max(points)
        for order, (b, p) in enumerate(zip(feature_bins, points), start=1):
            code, text = (None, None) if p >= best else expert_reason(expert, name, b)
            rows.append(
                _row(version, name, order, b["lower"], b["upper"], b["missing"], p, code, text)
            )
        features.append(
            Feature(name, float(table.loc["Totals", "IV"]), float(coef), feature_bins).__dict__
        )
    return Card(
        version,
        pa.Table.from_pylist(rows, schema=schemas.SCORECARD_BINS),
        pa.Table.from_pylist(_grades(version, scaling), schema=schemas.SCORE_GRADES),
        scaling,
        features,
    )


def _row(version, name, order, lower, upper, missing, points, code=None, text=None) -> dict:
    return {
        "scorecard_version": version,
        "characteristic": name,
        "bin_order": order,
        "lower_bound": lower,
        "upper_bound": upper,
        "matches_missing": missing,
        "points": int(points),
        "reason_code": code,
        "reason_text": text,
    }


def _bin(name: str, x: np.ndarray, y: np.ndarray, min_iv: float):
    """(the optimal monotonic binning, its table) of one characteristic, or None when it has
    fewer than two values or an information value below `min_iv`."""
    import warnings

    from optbinning import OptimalBinning

    if np.all(np.isnan(x)) or np.nanmin(x) == np.nanmax(x):
        return None
    ob = OptimalBinning(
        name=name,
        dtype="numerical",
        solver="cp",
        monotonic_trend="auto_asc_desc",
        min_bin_size=MIN_BIN_SHARE,
        max_n_bins=8,
    )
    ob.fit(x, y)
    with warnings.catch_warnings():
        # optbinning 1.0 writes its totals row in a way pandas 3 deprecates (pandas < 4 here)
        warnings.filterwarnings("ignore", message="Setting an item of incompatible dtype")
        table = ob.binning_table.build()
    if ob.status != "OPTIMAL" or float(table.loc["Totals", "IV"]) < min_iv:
        return None
    return ob, table


def _bins(ob, table) -> list[dict]:
    """The missing bin, then the numeric bins [lower, upper) in order, each with its WoE."""
    splits = [float(s) for s in ob.splits]
    edges = [None, *splits, None]
    out = [{"lower": None, "upper": None, "missing": True, **_stats(table, "Missing")}]
    numeric = table.iloc[: len(splits) + 1]
    for i, (_, r) in enumerate(numeric.iterrows()):
        out.append({"lower": edges[i], "upper": edges[i + 1], "missing": False, **_stats(r)})
    return out


def _stats(table_or_row, label: str | None = None) -> dict:
    r = table_or_row if label is None else table_or_row[table_or_row["Bin"] == label].iloc[0]
    rows = int(r["Count"])
    return {
        "rows": rows,
        "event_rate": float(r["Event rate"]) if rows else None,
        "woe": float(r["WoE"]) if rows else 0.0,
    }


def expert_reason(expert: Card, name: str, b: dict) -> tuple[str, str]:
    """The reason for bin `b` of characteristic `name`: the most adverse coded bin of the expert
    card that overlaps it (its missing bin for the missing bin); where the expert card codes no
    value in that range, a code of the characteristic's own: weaker than its best band."""
    rows = [r for r in expert.bins.to_pylist() if r["characteristic"] == name and r["reason_code"]]
    lo = -math.inf if b["lower"] is None else b["lower"]
    hi = math.inf if b["upper"] is None else b["upper"]
    overlapping = [
        r
        for r in rows
        if r["matches_missing"] == b["missing"]
        and (b["missing"] or (
            (r["lower_bound"] is None or r["lower_bound"] < hi)
            and (r["upper_bound"] is None or lo < r["upper_bound"])
        ))
    ]  # fmt: skip
    if overlapping:
        worst = min(overlapping, key=lambda r: r["points"])
        return worst["reason_code"], worst["reason_text"]
    prefix = rows[0]["reason_code"][0] if rows else name[:1].upper()
    return f"{prefix}90", f"Weaker than its best band: {name.replace('_', ' ')}"


def _grades(version: str, scaling: dict) -> list[dict]:
    rows, upper = [], None
    for grade, pd_below, decision, line_factor in GRADE_PD:
        lower = None if pd_below is None else score_for_pd(pd_below, scaling)
        rows.append(
            {
                "scorecard_version": version,
                "grade": grade,
                "min_score": lower,
                "max_score": upper,
                "decision": decision,
                "line_factor": line_factor,
            }
        )
        upper = lower
    return rows
