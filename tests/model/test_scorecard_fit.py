"""The fitted scorecard: learned from a world's loan book through the real pipeline (simulator
server, connectors, dbt), stored in the lakehouse, gated, and then what the score uses.

The fit's arithmetic is checked on data made here, whose risk is known: a card must find the
relationship, leave out a characteristic that carries none, and state PDs that match the
observed default rates."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from dbtworld import environment, ingest_world

from creditlake.core import schemas
from creditlake.model import card as cards
from creditlake.model import fit, gate, run, store, thresholds
from creditlake.model.metrics import auc_ks


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A world of 600 enterprises over 30 months, built to published marts; defaults at 15% of
    borrowers a year, so that a small world has enough of them to learn from."""
    from creditlake.transform import build

    root = tmp_path_factory.mktemp("history")
    _, env = ingest_world(root, enterprises=600, months=30, default_rate=0.15)
    with environment(env):
        result = build(show_progress=False)
    assert result.success, result.failures
    return env, result.published_db


def _scores(db, version=None) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT uscc, period, score, scorecard_version FROM marts.fct_credit_score"
        ).fetchall()
    return {(u, p): (s, v) for u, p, s, v in rows if version in (None, v)}


def _all_observations(db) -> pa.Table:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql("SELECT * FROM marts.fct_scorecard_observations").to_arrow_table()


def test_a_card_scores_in_python_as_the_build_does(world):
    env, db = world
    with environment(env):
        _, _, champion, expert = run.observations(db)
    assert champion.version == expert.version  # nothing promoted: the expert card is in use
    obs = _all_observations(db)
    python = dict(zip(zip(obs["uscc"].to_pylist(), obs["period"].to_pylist()), expert.score(obs)))
    built = _scores(db)
    assert len(python) > 1000
    assert {k: v for k, v in python.items()} == {k: built[k][0] for k in python}


def test_the_gate_refuses_a_challenger_fitted_on_shuffled_labels(world):
    env, db = world
    with environment(env):
        obs, _, _, expert = run.observations(db)
    train, test = run.split(obs, test_months=6)
    assert run.defaulters(train) >= 20 and run.defaulters(test) >= 10
    honest = fit.fit("honest", train, expert.characteristics, expert)
    labels = train.column(fit.LABEL).to_numpy(zero_copy_only=False)
    shuffled_labels = np.random.default_rng(0).permutation(labels)
    shuffled = train.set_column(
        train.schema.get_field_index(fit.LABEL), fit.LABEL, pa.array(shuffled_labels)
    )
    worse = fit.fit("shuffled", shuffled, expert.characteristics, expert, min_iv=0.0)
    good, bad = run.evaluate(honest, test), run.evaluate(worse, test)
    assert good["auc"] > 0.7 and abs(bad["auc"] - 0.5) < 0.15
    outcome, reason = gate.decide(bad, good)
    assert outcome == "kept" and "worse than the champion's" in reason
    assert gate.decide(bad, run.evaluate(expert, test))[0] == "kept"
    assert gate.decide(good, bad)[0] == "promoted"


def test_too_few_defaults_keep_the_expert_card_and_say_so(world, tmp_path, monkeypatch):
    env, db = world
    said = []
    with environment({**env, "CREDITLAKE_WAREHOUSE": str(tmp_path / "lake")}):
        monkeypatch.setenv("CREDITLAKE_MODEL_MIN_DEFAULTERS", "100000")
        decision = run.retrain(db, echo=said.append)
        assert decision["outcome"] == "cold_start" and decision["challenger_version"] is None
        assert "cold start" in said[-1] and "100000" in said[-1]
        assert store.decision_for(decision["as_of_period"])["outcome"] == "cold_start"
        assert not store._read(store.CARDS, schemas.SCORECARDS).num_rows


def test_a_promoted_card_is_what_the_next_build_scores_with(world, monkeypatch):
    from creditlake.transform import build

    env, db = world
    # margins wide open: this test is about what promotion does, not about the gate's figures
    for name, value in [("MODEL_AUC_MARGIN", "1"), ("MODEL_KS_MARGIN", "1"),
                        ("MODEL_MIN_DEFAULTERS", "20"), ("MODEL_MIN_TEST_DEFAULTERS", "10"),
                        ("WARNING_RECALL_MARGIN", "1"), ("WARNING_PRECISION_MARGIN", "1")]:  # fmt: skip
        monkeypatch.setenv(f"CREDITLAKE_{name}", value)
    with environment(env):
        decision = run.retrain(db, echo=lambda _: None)
        assert decision["outcome"] == "promoted", decision["reason"]
        version = decision["challenger_version"]
        figures = decision["figures"]
        assert figures["train_window"][1] < figures["test_window"][0]  # out of time
        assert {"auc", "ks", "gini", "calibration"} <= set(figures["challenger"])
        again = run.retrain(db, echo=lambda _: None)  # a month is decided once
        assert again["decided_at"] == decision["decided_at"]
        assert store._read(store.DECISIONS, schemas.SCORECARD_DECISIONS).num_rows == 1
        warnings = run.recalibrate_warnings(db, echo=lambda _: None)
        assert warnings["outcome"] == "promoted", warnings["reason"]
        assert run.pending_month(db) is None  # both decided for this month
        result = build(show_progress=False)
    assert result.success, result.failures
    db = result.published_db
    built = _scores(db)
    assert {v for _, v in built.values()} == {version}  # every month rescored with the new card
    with environment(env):
        _, _, champion, _ = run.observations(db)
    assert champion.version == version
    obs = _all_observations(db)
    python = champion.score(obs)
    keys = list(zip(obs["uscc"].to_pylist(), obs["period"].to_pylist()))
    assert [built[k][0] for k in keys] == python.tolist()
    with duckdb.connect(str(db), read_only=True) as con:
        record = con.execute(
            "SELECT train_last_period, code_version, metrics FROM bronze.model_scorecards"
        ).fetchall()
        texts = con.execute(
            "SELECT DISTINCT unnest(json_extract_string(credit_view, '$.reasons[*].reason_text')) "
            "FROM marts.srv_credit_view"
        ).fetchall()
    assert len(record) == 1 and record[0][1].startswith("creditlake ")
    with duckdb.connect(str(db), read_only=True) as con:
        in_use = con.execute(
            "SELECT DISTINCT threshold_version FROM intermediate.int_warning_thresholds__in_use"
        ).fetchall()
        fired = con.execute(
            "SELECT DISTINCT threshold_version FROM intermediate.int_warning_signals__own "
            "WHERE signal IS NOT NULL"
        ).fetchall()
    assert in_use == [(warnings["challenger_version"],)] == fired
    card_texts = set(champion.bins.column("reason_text").drop_null().to_pylist())
    assert texts and {t for (t,) in texts} <= card_texts


def _known_risk(n: int, seed: int) -> pa.Table:
    """x falls -> risk rises (log-odds -3.5 - 1.2 x); noise carries nothing; 10% of x missing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    pd_ = 1 / (1 + np.exp(3.5 + 1.2 * x))
    y = rng.random(n) < pd_
    x[rng.random(n) < 0.1] = np.nan
    return pa.table({"x": x, "noise": rng.normal(size=n), fit.LABEL: y})


def test_the_fit_finds_a_known_risk_and_states_its_pd():
    expert = cards.from_rows("e", [], [])
    card = fit.fit("t", _known_risk(60_000, 1), ["x", "noise"], expert)
    assert card.characteristics == ["x"]  # noise has no information value
    x_bins = sorted(
        (
            r
            for r in card.bins.to_pylist()
            if r["characteristic"] == "x" and not r["matches_missing"]
        ),
        key=lambda r: r["bin_order"],
    )
    points = [r["points"] for r in x_bins]
    assert len(points) >= 3 and points == sorted(points)  # monotonic: more x, more points
    holdout = _known_risk(60_000, 2)
    labels = holdout.column(fit.LABEL).to_numpy()
    scores = card.score(holdout)
    auc, _ = auc_ks(scores, labels)
    assert auc > 0.75
    assert abs(card.pd(scores).mean() - labels.mean()) < 0.15 * labels.mean()
    # pdo points double the odds
    s = card.scaling
    odds = lambda score: (1 - card.pd(np.array([score]))[0]) / card.pd(np.array([score]))[0]  # noqa: E731
    assert odds(s["base_score"] + s["pdo"]) == pytest.approx(2 * odds(s["base_score"]))


def _known_warning(n: int, seed: int) -> pa.Table:
    """A trend below -0.3 defaults within 3..12 months at 30%, elsewhere at 2%; a count metric."""
    rng = np.random.default_rng(seed)
    trend = rng.normal(0, 0.2, n)
    risky = trend < -0.3
    defaults = rng.random(n) < np.where(risky, 0.30, 0.02)
    months = np.where(defaults, rng.integers(3, 13, n), -1)
    return pa.table(
        {
            "uscc": [f"E{i}" for i in range(n)],
            "electricity_trend": trend,
            "new_tax_arrears_3m": rng.integers(0, 2, n).astype(float),
            "months_to_default": pa.array(months).to_pandas().where(defaults, None),
        }
    )


def test_thresholds_are_recalibrated_toward_the_lift_and_count_signals_are_kept():
    in_use = pa.Table.from_pylist(
        [
            {
                "threshold_version": "v1",
                "signal": "electricity_drop",
                "metric": "electricity_trend",
                "comparison": "below",
                "amber_threshold": -0.05,
                "red_threshold": -0.1,
            },
            {
                "threshold_version": "v1",
                "signal": "tax_arrears",
                "metric": "new_tax_arrears_3m",
                "comparison": "above",
                "amber_threshold": 0.5,
                "red_threshold": 1.5,
            },
        ],  # fmt: skip
        schema=schemas.WARNING_THRESHOLDS,
    )
    learned, found = thresholds.recalibrate("thr-t", _known_warning(40_000, 1), in_use)
    rows = {r["signal"]: r for r in learned.to_pylist()}
    assert {r["threshold_version"] for r in rows.values()} == {"thr-t"}
    # The risk starts at -0.3 (base rate about 3.9%). Amber, at 3 times the base odds (about 11%
    # of warned months default), falls where a third of the warned are below -0.3: near -0.17,
    # stricter than the old -0.05; red, at 6 times (about 20%), near -0.27.
    amber, red = (
        rows["electricity_drop"]["amber_threshold"],
        rows["electricity_drop"]["red_threshold"],
    )
    assert -0.22 < amber < -0.12 and -0.32 < red < -0.22
    assert rows["tax_arrears"]["amber_threshold"] == 0.5  # a count signal: not recalibrated
    assert [f["signal"] for f in found] == ["electricity_drop"]
    holdout = _known_warning(40_000, 2)
    signals = ["electricity_drop"]
    new = thresholds.evaluate(learned, holdout, signals)
    old = thresholds.evaluate(in_use, holdout, signals)
    assert new["precision"] > 1.5 * old["precision"]
    assert gate.decide_thresholds(new, old)[0] == "kept"  # recall fell: the old set warns everyone
    assert gate.decide_thresholds(new, {**old, "recall": new["recall"]})[0] == "promoted"
