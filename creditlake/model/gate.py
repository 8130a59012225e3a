"""The promotion gate: a challenger replaces the champion only if, on the same test window, it
is no worse than the champion by more than the stated margins.

Scorecards:          CREDITLAKE_MODEL_AUC_MARGIN (0.01), CREDITLAKE_MODEL_KS_MARGIN (0.02);
                     and the challenger's AUC lower 95% bound above 0.5.
Warning thresholds:  CREDITLAKE_WARNING_RECALL_MARGIN (0.02), CREDITLAKE_WARNING_PRECISION_MARGIN
                     (0.01), on recall of defaulters and precision of warned borrower-months.
"""

from __future__ import annotations

from creditlake.core.config import env


def margins() -> dict:
    return {
        "auc": float(env("CREDITLAKE_MODEL_AUC_MARGIN", "0.01")),
        "ks": float(env("CREDITLAKE_MODEL_KS_MARGIN", "0.02")),
    }


def warning_margins() -> dict:
    return {
        "recall": float(env("CREDITLAKE_WARNING_RECALL_MARGIN", "0.02")),
        "precision": float(env("CREDITLAKE_WARNING_PRECISION_MARGIN", "0.01")),
    }


def _worse(challenger: dict, champion: dict, allowed: dict) -> list[str]:
    return [
        f"its {metric} {challenger[metric]:.3f} is worse than the champion's "
        f"{champion[metric]:.3f} by more than {margin}"
        for metric, margin in allowed.items()
        if challenger[metric] < champion[metric] - margin
    ]


def _verdict(failures: list[str], challenger: dict, champion: dict, allowed: dict):
    if failures:
        return "kept", "challenger refused: " + "; ".join(failures)
    figures = ", ".join(
        f"{m} {challenger[m]:.3f} against {champion[m]:.3f} (margin {allowed[m]})" for m in allowed
    )
    return "promoted", f"challenger no worse than the champion: {figures}"


def decide(challenger: dict, champion: dict) -> tuple[str, str]:
    """('promoted' | 'kept', why) from both cards' ranking metrics on the test window."""
    allowed = margins()
    failures = []
    if not challenger["auc_lower_95"] > 0.5:
        failures.append(
            f"its auc {challenger['auc']:.3f} is not above chance "
            f"(lower 95% bound {challenger['auc_lower_95']:.3f})"
        )
    failures += _worse(challenger, champion, allowed)
    return _verdict(failures, challenger, champion, allowed)


def decide_thresholds(challenger: dict, champion: dict) -> tuple[str, str]:
    """('promoted' | 'kept', why) from both threshold sets' recall and precision."""
    allowed = warning_margins()
    return _verdict(_worse(challenger, champion, allowed), challenger, champion, allowed)
