"""A scorecard as data, in the shape of dbt's int_scorecard__cards and int_scorecard__grades,
and the score of a frame by it, binned exactly as fct_credit_score bins (macro scorecard_bins_of):
a missing value takes the bin that matches missing, a value v the bin with lower <= v < upper,
and a characteristic with no bin for its value adds no points; the sum is held within 0..1000."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from creditlake.core import schemas

BASE = "base"  # the card row that holds the base points
SCORE_RANGE = (0, 1000)  # fct_credit_score holds every card's score within it


@dataclass
class Card:
    version: str
    bins: pa.Table  # schemas.SCORECARD_BINS
    grades: pa.Table  # schemas.SCORE_GRADES
    scaling: dict = field(default_factory=dict)  # fitted cards: base_score, base_odds, pdo, ...
    features: list = field(default_factory=list)  # fitted cards: per characteristic IV, bins...

    @property
    def characteristics(self) -> list[str]:
        names = self.bins.column("characteristic").to_pylist()
        return sorted(set(names) - {BASE})

    def score(self, frame: pa.Table) -> np.ndarray:
        """Integer score per row of `frame` (a column per characteristic)."""
        rows = self.bins.to_pylist()
        base = sum(r["points"] for r in rows if r["characteristic"] == BASE)
        total = np.full(frame.num_rows, float(base))
        for name in self.characteristics:
            values = frame.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)
            missing = np.isnan(values)
            points = np.zeros(frame.num_rows)
            taken = np.zeros(frame.num_rows, dtype=bool)
            for r in sorted(
                (r for r in rows if r["characteristic"] == name), key=lambda r: r["bin_order"]
            ):
                if r["matches_missing"]:
                    hit = missing
                else:
                    lower = -np.inf if r["lower_bound"] is None else r["lower_bound"]
                    upper = np.inf if r["upper_bound"] is None else r["upper_bound"]
                    with np.errstate(invalid="ignore"):
                        hit = ~missing & (values >= lower) & (values < upper)
                hit &= ~taken
                points[hit] = r["points"]
                taken |= hit
            total += points
        return np.clip(total, *SCORE_RANGE).astype(np.int64)

    def grade(self, scores: np.ndarray) -> np.ndarray:
        """Each score's grade (bands: min_score <= score < max_score, open ends null)."""
        out = np.full(len(scores), None, dtype=object)
        for g in self.grades.to_pylist():
            lo = -np.inf if g["min_score"] is None else g["min_score"]
            hi = np.inf if g["max_score"] is None else g["max_score"]
            out[(scores >= lo) & (scores < hi)] = g["grade"]
        return out

    def pd(self, scores: np.ndarray) -> np.ndarray:
        """The PD a fitted card's points stand for (score = offset + factor * ln(good:bad odds))."""
        factor, offset = self.scaling["factor"], self.scaling["offset"]
        return 1 / (1 + np.exp((np.asarray(scores, dtype=float) - offset) / factor))


def score_for_pd(pd: float, scaling: dict) -> int:
    """The score at which a fitted card's PD is `pd`."""
    return int(math.ceil(scaling["offset"] + scaling["factor"] * math.log((1 - pd) / pd)))


def from_rows(version: str, bins: list[dict], grades: list[dict], scaling=None) -> Card:
    def table(rows, schema):
        keep = [dict((f.name, r.get(f.name)) for f in schema) for r in rows]
        return pa.Table.from_pylist(keep, schema=schema)

    return Card(
        version,
        table([r for r in bins if r["scorecard_version"] == version], schemas.SCORECARD_BINS),
        table([g for g in grades if g["scorecard_version"] == version], schemas.SCORE_GRADES),
        scaling or {},
    )
