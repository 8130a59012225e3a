"""How well a score ranks and how well a PD is calibrated. Scores: low = bad."""

from __future__ import annotations

import math

import numpy as np


def auc_ks(scores, labels) -> tuple[float, float]:
    """AUC for 'low score = bad' (Mann-Whitney with ties counted half) and KS."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    bad, good = s[y], s[~y]
    if len(bad) == 0 or len(good) == 0:
        return float("nan"), float("nan")
    values = np.concatenate([bad, good])
    # average ranks, ties sharing the mean of their positions
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mid_rank = ends - (counts - 1) / 2
    ranks = mid_rank[inverse]
    good_ranks = ranks[len(bad) :].sum()
    auc = (good_ranks - len(good) * (len(good) + 1) / 2) / (len(bad) * len(good))
    grid = np.unique(s)
    cdf_bad = np.searchsorted(np.sort(bad), grid, side="right") / len(bad)
    cdf_good = np.searchsorted(np.sort(good), grid, side="right") / len(good)
    return float(auc), float(np.max(np.abs(cdf_bad - cdf_good)))


def auc_lower_bound(auc: float, bads: int, goods: int, z: float = 1.96) -> float:
    """The AUC's lower 95% bound (Hanley and McNeil's standard error)."""
    if not bads or not goods or math.isnan(auc):
        return float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (bads - 1) * (q1 - auc**2) + (goods - 1) * (q2 - auc**2)) / (
        bads * goods
    )
    return auc - z * math.sqrt(max(var, 0.0))


def ranking(scores, labels) -> dict:
    """AUC, KS, Gini, the AUC's lower 95% bound, and the counts they rest on."""
    y = np.asarray(labels, dtype=bool)
    auc, ks = auc_ks(scores, y)
    bads = int(y.sum())
    goods = len(y) - bads
    return {
        "auc": auc,
        "ks": ks,
        "gini": 2 * auc - 1,
        "auc_lower_95": auc_lower_bound(auc, bads, goods),
        "rows": len(y),
        "defaults": bads,
    }


def calibration(grades, predicted_pd, labels) -> list[dict]:
    """Per grade: rows, mean predicted PD and the observed default rate."""
    g = np.asarray(grades, dtype=object)
    pd_ = np.asarray(predicted_pd, dtype=float)
    y = np.asarray(labels, dtype=bool)
    rows = []
    for grade in sorted(set(g.tolist())):
        mask = g == grade
        rows.append(
            {
                "grade": grade,
                "rows": int(mask.sum()),
                "predicted_pd": float(pd_[mask].mean()),
                "observed_default_rate": float(y[mask].mean()),
            }
        )
    return rows
