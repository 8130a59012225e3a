"""World profiles: every profile generates and its stories are in the truth; the configured
default rate is what the loan book realises; and each story shows in the generated feeds
the way its declaration says (the feed that turns first moves while the others hold; a
sudden default moves no feed before it; healthy firms dip too).

Feeds are read from the generated files; the truth only says which firms to look at and
when (onset_period, default_period), as a backtest would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from creditlake.simulator import truth
from creditlake.simulator.gen_stories import ACTIVITY_FEEDS, PROFILES, STORIES
from creditlake.simulator.generator import generate

SEED, ENTERPRISES, MONTHS, RATE = 11, 700, 24, 0.15  # a high rate: enough cases per story
FIRST = {
    "headcount_first": "headcount",
    "tax_first": "tax",
    "electricity_first": "electricity",
    "supply_chain_first": "payments",
}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("profiles")
    for profile in PROFILES:
        generate(
            out=root / profile,
            seed=SEED,
            enterprises=ENTERPRISES,
            months=MONTHS,
            quiet=True,
            profile=profile,
            default_rate=RATE,
        )
    return {profile: root / profile for profile in PROFILES}


def _latest(data, dataset: str, key: list[str]) -> pd.DataFrame:
    """Good rows, newest version per key (planted bad rows left out)."""
    rows = truth.load_feed(data, dataset).to_pandas()
    bad = truth.load_bad_records(data, dataset).column("_row_id").to_pylist()
    rows = rows[~rows._row_id.isin(bad)]
    return rows.sort_values("updated_at").drop_duplicates(key, keep="last")


def _panels(data) -> dict[str, pd.DataFrame]:
    """Per feed, uscc x period: kWh, declared VAT revenue, insured headcount, and the days
    past due the firm's suppliers were paid (as a buyer, by issue month)."""
    identity = truth.load_identity(data).to_pandas()
    owner = identity.set_index("source_id").uscc
    accounts = _latest(data, "utility_accounts", ["account_no"])
    electricity = set(accounts[accounts.utility == "electricity"].account_no)
    readings = _latest(data, "meter_readings", ["account_no", "period"])
    readings = readings[readings.account_no.isin(electricity)]
    kwh = readings.assign(uscc=readings.account_no.map(owner), v=readings.consumption.astype(float))
    vat = _latest(data, "tax_filings", ["taxpayer_id", "period", "tax_type"])
    vat = vat[vat.tax_type == "vat"]
    vat = vat.assign(
        uscc=vat.taxpayer_id.map(owner).fillna(vat.taxpayer_id),
        v=vat.declared_revenue.astype(float),
    )
    ss = _latest(data, "ss_contributions", ["uscc", "period"])
    ss = ss.assign(v=ss.insured_headcount.astype(float))
    invoices = _latest(data, "invoices", ["invoice_no"])
    paid = invoices[(invoices.status == "paid") & invoices.buyer_uscc.notna()]
    late = (pd.to_datetime(paid.paid_on) - pd.to_datetime(paid.due_on)).dt.days
    paid = paid.assign(uscc=paid.buyer_uscc, period=paid.issued_on.str[:7], v=late)
    return {
        feed: frame.pivot_table(index="uscc", columns="period", values="v", aggfunc="mean")
        for feed, frame in zip(ACTIVITY_FEEDS, (ss, vat, kwh, paid), strict=True)
    }


def _adjusted(panels, table, ref_column: str, before: range, during: range):
    """{feed: per-firm change in the firms' windows, relative to healthy firms'}."""
    healthy = table[table.story == "none"].uscc
    picked = table[table[ref_column].notna()]
    result = {}
    for feed, panel in panels.items():
        columns = set(panel.columns)
        changes = []
        for ref_text, group in picked.groupby(ref_column):
            ref = pd.Period(ref_text, freq="M")
            b = [str(ref + k) for k in before if str(ref + k) in columns]
            d = [str(ref + k) for k in during if str(ref + k) in columns]
            if len(b) < 2 or not d:
                continue
            rows = panel.reindex(group.uscc)
            base = panel.reindex(healthy)

            def change(frame, b=b, d=d, feed=feed):
                earlier, later = frame[b].mean(axis=1), frame[d].mean(axis=1)
                return later - earlier if feed == "payments" else later / earlier

            reference = change(base).replace([np.inf, -np.inf], np.nan).median()
            own = change(rows).replace([np.inf, -np.inf], np.nan).dropna()
            changes.append(own - reference if feed == "payments" else own / reference)
        result[feed] = pd.concat(changes) if changes else pd.Series(dtype=float)
    return result


def _enterprises(data) -> pd.DataFrame:
    return truth.load_enterprises(data).to_pandas()


def test_every_profile_generates_its_stories(worlds):
    for profile, data in worlds.items():
        firms = _enterprises(data)
        meta = truth.load_meta(data)
        assert (meta["profile"], meta["default_rate"]) == (profile, RATE)
        wanted = {s for s, w in PROFILES[profile].items() if w > 0}
        assert set(firms.story) == wanted | {"none"}, profile
        assert (firms.distressed == (firms.story != "none")).all()
        assert firms[firms.distressed].onset_period.notna().all()
        # fraud is distress only as a story; a few honest firms over-declare and keep paying
        fraud = firms.story == "fraud"
        assert firms[fraud].overdeclares.all()
        assert not firms[firms.overdeclares & ~fraud].distressed.any()
        assert not firms[firms.default_period.notna()].story.eq("none").any()


def test_default_rate_is_met(tmp_path):
    """The realised annual default rate among borrowers (90+ days past due inside the history,
    per borrower-year) is the configured one, within four standard deviations of the count."""
    for rate in (0.03, 0.10):
        out = tmp_path / f"rate-{rate}"
        meta = generate(out=out, seed=5, enterprises=4000, months=24, quiet=True, default_rate=rate)
        firms = _enterprises(out)
        borrowers = firms[firms.has_loan]
        defaults = borrowers.default_period.le(meta["last_period"]).sum()
        expected = rate * meta["months"] / 12 * len(borrowers)
        assert abs(defaults - expected) <= 4 * np.sqrt(expected), (rate, defaults, expected)
        # borrowers are not chosen by their future: distress is as common outside the book
        others = firms[~firms.has_loan]
        assert abs(borrowers.distressed.mean() - others.distressed.mean()) < 0.03


def test_the_first_feed_turns_while_the_later_ones_hold(worlds):
    """In the three months from the onset the story's first feed has moved against the six
    months before; feeds its declaration turns three or more months later have not."""
    for profile, first in FIRST.items():
        data = worlds[profile]
        firms = _enterprises(data)
        changes = _adjusted(_panels(data), firms, "onset_period", range(-6, 0), range(0, 3))
        story = STORIES[profile]
        moved = changes[first].median()
        assert len(changes[first]) >= 15, profile
        if first == "payments":
            assert moved >= 10, (profile, moved)  # paid 10+ days later than healthy buyers
        else:
            assert moved <= 0.88, (profile, first, moved)
        for feed in ACTIVITY_FEEDS:
            if feed != first and story.turns[feed].lag >= 3:
                held = changes[feed].median()
                if feed == "payments":
                    assert abs(held) <= 4, (profile, feed, held)
                else:
                    assert 0.95 <= held <= 1.05, (profile, feed, held)


def test_electricity_turns_before_tax(worlds):
    firms = _enterprises(worlds["electricity_first"])
    panels = _panels(worlds["electricity_first"])
    early = _adjusted(panels, firms, "onset_period", range(-6, 0), range(0, 3))
    later = _adjusted(panels, firms, "onset_period", range(-6, 0), range(4, 7))
    assert early["electricity"].median() <= 0.88 and early["tax"].median() >= 0.95
    assert later["tax"].median() <= 0.92  # tax follows, months later


def test_a_sudden_default_moves_no_feed_before_it(worlds):
    """Sudden defaulters' feeds over the four months before the default against the half year
    before that: the same as healthy firms' over the same months. In the electricity-first
    world the same measure does move."""
    for profile, should_move in (("sudden", False), ("electricity_first", True)):
        data = worlds[profile]
        firms = _enterprises(data)
        changes = _adjusted(_panels(data), firms, "default_period", range(-10, -4), range(-4, 0))
        assert len(changes["electricity"]) >= 15, profile
        for feed in ACTIVITY_FEEDS:
            median = changes[feed].median()
            if should_move and feed == "electricity":
                assert median <= 0.85, (profile, feed, median)
            elif not should_move:
                if feed == "payments":
                    assert abs(median) <= 4, (profile, feed, median)
                else:
                    assert 0.95 <= median <= 1.05, (profile, feed, median)


def test_healthy_firms_dip_without_defaulting(worlds):
    """False alarms exist: healthy firms whose electricity dips fall as far as firms in
    distress do, and none of them defaults."""
    data = worlds["mix"]
    firms = _enterprises(data)
    dipping = firms[firms.dip_feed == "electricity"]
    assert len(dipping) >= 5 and dipping.default_period.isna().all()
    kwh = _panels(data)["electricity"].reindex(dipping.uscc)
    level = kwh.div(kwh.median(axis=1), axis=0)
    assert (level.min(axis=1) <= 0.8).mean() >= 0.6


def test_a_failing_core_drags_its_chain(tmp_path):
    """At the default rate: members of a failed core fall far more often than other members."""
    out = tmp_path / "chains"
    generate(out=out, seed=3, enterprises=3000, months=24, quiet=True, profile="supply_chain_first")
    firms = _enterprises(out)
    members = firms[firms.core_uscc.notna() & ~firms.is_core]
    dragged = members[members.core_distressed]
    spared = members[~members.core_distressed]
    assert len(dragged) >= 10
    assert dragged.distressed.mean() > spared.distressed.mean() + 0.1


def test_unknown_profile_and_rate_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'calm'"):
        generate(out=tmp_path / "x", seed=1, enterprises=50, months=14, profile="calm")
    with pytest.raises(ValueError, match="default_rate"):
        generate(out=tmp_path / "y", seed=1, enterprises=50, months=14, default_rate=0.0)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_the_command_line_takes_a_profile_and_a_rate(tmp_path):
    from typer.testing import CliRunner

    from creditlake.simulator.cli import app

    runner = CliRunner()
    out = tmp_path / "cli"
    args = ["generate", "--out", str(out), "--enterprises", "60", "--months", "14"]
    result = runner.invoke(app, [*args, "--profile", "sudden", "--default-rate", "0.2"])
    assert result.exit_code == 0, result.output
    meta = truth.load_meta(out)
    assert (meta["profile"], meta["default_rate"]) == ("sudden", 0.2)
    assert set(_enterprises(out).story) <= {"sudden", "none"}
    refused = runner.invoke(app, [*args[:2], str(tmp_path / "no"), *args[3:], "--profile", "calm"])
    assert refused.exit_code == 2 and "unknown profile 'calm'" in refused.output
    assert not (tmp_path / "no").exists()
