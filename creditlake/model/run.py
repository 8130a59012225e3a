"""One retraining run (`creditlake model fit`, the monthly retraining DAG): read the published
marts, fit a challenger on the earlier mature cohorts, test it and the card in use on the later
ones, gate, store. A month is decided once: a second run for the same month returns the first
decision.

CREDITLAKE_MODEL_TEST_MONTHS     (default 6)    the latest mature cohorts held out for the test
CREDITLAKE_MODEL_MIN_DEFAULTERS  (default 100)  fewer distinct defaulters in training: cold start
CREDITLAKE_MODEL_MIN_TEST_DEFAULTERS (default 30)  ... or in the test window: cold start
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

import creditlake
from creditlake.core import schemas
from creditlake.core.config import PROJECT_ROOT, env
from creditlake.model import card as cards
from creditlake.model import fit, gate, metrics, store, thresholds
from creditlake.transform import published_db

log = logging.getLogger(__name__)


def settings() -> dict:
    return {
        "test_months": int(env("CREDITLAKE_MODEL_TEST_MONTHS", "6")),
        "min_defaulters": int(env("CREDITLAKE_MODEL_MIN_DEFAULTERS", "100")),
        "min_test_defaulters": int(env("CREDITLAKE_MODEL_MIN_TEST_DEFAULTERS", "30")),
    }


def first(con, sql: str, params: dict | None = None) -> tuple | None:
    """The first row of a query, the result read to its end (DuckDB keeps an unread result
    open on the connection)."""
    rows = con.execute(sql, params or {}).fetchall()
    return rows[0] if rows else None


def loan_book_month(con) -> str | None:
    """The loan book's last month in the marts: the month a retraining run decides."""
    return first(con, "SELECT max(period) FROM marts.fct_borrower_outcomes")[0]


def load_card(con, version: str) -> cards.Card:
    bins = con.sql(
        "SELECT * FROM intermediate.int_scorecard__cards WHERE scorecard_version = $v",
        params={"v": version},
    ).to_arrow_table()
    grades = con.sql(
        "SELECT * FROM intermediate.int_scorecard__grades WHERE scorecard_version = $v",
        params={"v": version},
    ).to_arrow_table()
    scaling = first(
        con,
        "SELECT scaling FROM bronze.model_scorecards WHERE scorecard_version = $v",
        {"v": version},
    )
    return cards.from_rows(
        version, bins.to_pylist(), grades.to_pylist(), json.loads(scaling[0]) if scaling else None
    )


def observations(db: Path | None = None) -> tuple[pa.Table, str, cards.Card, cards.Card]:
    """(mature observations, the loan book's last month, the card in use, the expert card)."""
    import duckdb

    with duckdb.connect(str(db or published_db()), read_only=True) as con:
        obs = con.sql(
            "SELECT * FROM marts.fct_scorecard_observations WHERE mature ORDER BY period, uscc"
        ).to_arrow_table()
        as_of = loan_book_month(con)
        (champion,) = first(
            con, "SELECT scorecard_version FROM intermediate.int_scorecard__champion"
        )
        (expert,) = first(
            con,
            "SELECT max(scorecard_version) FROM intermediate.int_scorecard__cards "
            "WHERE card_kind = 'expert'",
        )
        return obs, as_of, load_card(con, champion), load_card(con, expert)


def split(obs: pa.Table, test_months: int) -> tuple[pa.Table, pa.Table]:
    """Out of time: the latest `test_months` cohorts test, the earlier ones train."""
    periods = sorted(set(obs.column("period").to_pylist()))
    cut = periods[-test_months] if len(periods) > test_months else None
    if cut is None:
        return obs.slice(0, 0), obs
    before = pc.less(obs.column("period"), cut)
    return obs.filter(before), obs.filter(pc.invert(before))


def defaulters(t: pa.Table, defaulted: pa.Array | None = None) -> int:
    """Distinct borrowers among the rows that defaulted (by default: the scorecard's label)."""
    mask = t.column(fit.LABEL) if defaulted is None else defaulted
    return len(set(t.filter(mask).column("uscc").to_pylist()))


def window(t: pa.Table) -> tuple[str | None, str | None]:
    periods = t.column("period").to_pylist()
    return (min(periods), max(periods)) if periods else (None, None)


def evaluate(card: cards.Card, test: pa.Table) -> dict:
    """The card's ranking on `test`, and for a fitted card its calibration by grade."""
    labels = test.column(fit.LABEL).to_numpy(zero_copy_only=False).astype(bool)
    scores = card.score(test)
    out = metrics.ranking(scores, labels)
    if card.scaling.get("factor"):
        out["calibration"] = metrics.calibration(card.grade(scores), card.pd(scores), labels)
    return out


def code_version() -> str:
    try:
        sha = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        sha = "unknown"
    return f"creditlake {creditlake.__version__} ({sha})"


def use(version: str, reason: str, db: Path | None = None) -> dict:
    """Log a decision that puts `version` in use (LookupError if the marts hold no such card)."""
    import duckdb

    with duckdb.connect(str(db or published_db()), read_only=True) as con:
        known = {v for (v,) in con.execute(
            "SELECT DISTINCT scorecard_version FROM intermediate.int_scorecard__cards"
        ).fetchall()}  # fmt: skip
        (champion,) = first(
            con, "SELECT scorecard_version FROM intermediate.int_scorecard__champion"
        )
        as_of = loan_book_month(con)
    if version not in known:
        raise LookupError(f"no card {version!r} in the published marts; known: {sorted(known)}")
    return store.log_decision(
        {
            "as_of_period": as_of,
            "challenger_version": version,
            "champion_version": champion,
            "outcome": "promoted",
            "reason": f"by hand: {reason}",
            "figures": {},
        }
    )


def pending_month(db: Path | None = None) -> str | None:
    """The loan book's last month in the published marts, unless both the scorecard and the
    warning thresholds are decided for it already."""
    import duckdb

    with duckdb.connect(str(db or published_db()), read_only=True) as con:
        as_of = loan_book_month(con)
    decided = all(
        store.decision_for(as_of, kind) for kind in (store.SCORECARD, store.WARNING_THRESHOLDS)
    )
    return None if as_of is None or decided else as_of


def monthly(db: Path | None = None, echo=print) -> dict:
    """The month's retraining: the scorecard, then the warning thresholds; both decisions."""
    return {
        store.SCORECARD: retrain(db, echo),
        store.WARNING_THRESHOLDS: recalibrate_warnings(db, echo),
    }


def recalibrate_warnings(db: Path | None = None, echo=print) -> dict:
    """Recalibrate the continuous signals' thresholds on the earlier mature cohorts, test them
    and those in use on the later ones, gate, store; returns the decision (once a month)."""
    import duckdb

    with duckdb.connect(str(db or published_db()), read_only=True) as con:
        obs = con.sql(
            "SELECT * FROM marts.fct_warning_observations WHERE mature ORDER BY period, uscc"
        ).to_arrow_table()
        as_of = loan_book_month(con)
        columns = ", ".join(schemas.WARNING_THRESHOLDS.names)
        in_use = con.sql(
            f"SELECT {columns} FROM intermediate.int_warning_thresholds__in_use ORDER BY signal"
        ).to_arrow_table()
    in_use = in_use.cast(schemas.WARNING_THRESHOLDS)
    earlier = store.decision_for(as_of, store.WARNING_THRESHOLDS)
    if earlier:
        return earlier
    s = settings()
    train, test = split(obs, s["test_months"])

    def defaulted(t: pa.Table) -> int:
        return defaulters(t, pc.is_valid(t.column("months_to_default")))

    counts = {"train_rows": train.num_rows, "train_defaulters": defaulted(train),
              "test_rows": test.num_rows, "test_defaulters": defaulted(test)}  # fmt: skip
    champion = in_use.column("threshold_version")[0].as_py()
    figures = {"settings": {**s, **thresholds.settings()}, "counts": counts,
               "train_window": window(train), "test_window": window(test),
               "margins": gate.warning_margins()}  # fmt: skip
    decision = {"kind": store.WARNING_THRESHOLDS, "as_of_period": as_of,
                "champion_version": champion, "figures": figures}  # fmt: skip
    if counts["train_defaulters"] < s["min_defaulters"] or (
        counts["test_defaulters"] < s["min_test_defaulters"]
    ):
        reason = (
            f"cold start: {counts['train_defaulters']} defaulters to recalibrate on and "
            f"{counts['test_defaulters']} to test on; thresholds {champion} stay in use"
        )
        echo(reason)
        return store.log_decision(
            {**decision, "challenger_version": None, "outcome": "cold_start", "reason": reason}
        )
    challenger, found = thresholds.recalibrate(f"thr-{as_of}", train, in_use)
    figures["recalibrated"] = found
    signals = [f["signal"] for f in found if f["amber"] is not None or f["red"] is not None]
    if not signals:
        reason = f"no signal reaches its target lift; thresholds {champion} stay in use"
        echo(reason)
        return store.log_decision(
            {**decision, "challenger_version": None, "outcome": "kept", "reason": reason}
        )
    figures["challenger"] = thresholds.evaluate(challenger, test, signals)
    figures["champion"] = thresholds.evaluate(in_use, test, signals)
    outcome, reason = gate.decide_thresholds(figures["challenger"], figures["champion"])
    store.save_thresholds(challenger)
    echo(f"warning thresholds thr-{as_of} {outcome}: {reason}")
    return store.log_decision(
        {**decision, "challenger_version": f"thr-{as_of}", "outcome": outcome, "reason": reason}
    )


def retrain(db: Path | None = None, echo=print) -> dict:
    """Fit, validate, gate and store; returns the decision (an earlier one for the same month)."""
    obs, as_of, champion, expert = observations(db)
    earlier = store.decision_for(as_of)
    if earlier:
        echo(f"{as_of} was decided at {earlier['decided_at']:%Y-%m-%d %H:%M}: {earlier['outcome']}")
        return earlier
    s = settings()
    train, test = split(obs, s["test_months"])
    counts = {
        "train_rows": train.num_rows,
        "train_defaulters": defaulters(train),
        "test_rows": test.num_rows,
        "test_defaulters": defaulters(test),
    }
    figures = {"settings": s, "counts": counts, "train_window": window(train),
               "test_window": window(test), "margins": gate.margins()}  # fmt: skip
    decision = {"as_of_period": as_of, "champion_version": champion.version, "figures": figures}
    echo(
        f"history to {as_of}: {counts['train_defaulters']} defaulters in {counts['train_rows']:,} "
        f"training rows {figures['train_window']}, {counts['test_defaulters']} in "
        f"{counts['test_rows']:,} test rows {figures['test_window']}"
    )
    if counts["train_defaulters"] < s["min_defaulters"] or (
        counts["test_defaulters"] < s["min_test_defaulters"]
    ):
        reason = (
            f"cold start: the history holds {counts['train_defaulters']} defaulters to train on "
            f"and {counts['test_defaulters']} to test on (at least {s['min_defaulters']} and "
            f"{s['min_test_defaulters']} are needed); {champion.version} stays in use"
        )
        echo(reason)
        return store.log_decision(
            {**decision, "challenger_version": None, "outcome": "cold_start", "reason": reason}
        )
    characteristics = expert.characteristics
    try:
        challenger = fit.fit(f"fit-{as_of}", train, characteristics, expert)
    except ValueError as exc:
        reason = f"no challenger: {exc}; {champion.version} stays in use"
        echo(reason)
        return store.log_decision(
            {**decision, "challenger_version": None, "outcome": "kept", "reason": reason}
        )
    figures["challenger"] = evaluate(challenger, test)
    figures["champion"] = evaluate(champion, test)
    outcome, reason = gate.decide(figures["challenger"], figures["champion"])
    store.save_card(
        challenger,
        {
            "train_first_period": figures["train_window"][0],
            "train_last_period": figures["train_window"][1],
            "test_first_period": figures["test_window"][0],
            "test_last_period": figures["test_window"][1],
            "train_rows": counts["train_rows"],
            "train_defaulters": counts["train_defaulters"],
            "features": challenger.features,
            "scaling": challenger.scaling,
            "metrics": figures["challenger"],
            "code_version": code_version(),
        },
    )
    echo(f"{challenger.version} {outcome}: {reason}")
    return store.log_decision(
        {**decision, "challenger_version": challenger.version, "outcome": outcome, "reason": reason}
    )
