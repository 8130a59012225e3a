"""How distress shows across the feeds: one declaration per story, the profiles that mix
stories, and the per-firm plan (who falls, when, by which story) the feed generators read.

A story names the feeds that turn before the default, each with its lag after the onset and
its strength (the share of the firm's depth that feed loses; for the registry, the share of
the troubled rate of penalties, changes and listings). A feed the story does not name moves
only when the firm collapses, after its default. Nothing else tells distress apart: the
loan book does not choose its borrowers by their future, no latent trait makes some firms
fall and also look worse, and healthy firms dip too (a temporary or lasting fall in one
feed, no default): false alarms exist in every profile.

The default rate is the annual share of borrowers that reach 90+ days past due: each firm's
default month is drawn uniformly over the history and six months after it with that hazard,
its onset placed its story's lag before; the bank books every borrower's loan so that it
runs across a planned default (gen_bank).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creditlake.simulator import gen_common as gc

NEVER = 1 << 30  # a panel month no feed ever reaches: "does not turn"
ACTIVITY_FEEDS = ("headcount", "tax", "electricity", "payments")
FEEDS = (*ACTIVITY_FEEDS, "registry")
DEFAULT_PROFILE, DEFAULT_RATE = "mix", 0.03
BORROWER_SHARE = 0.45  # of all firms, whatever their future
OVERDECLARE_RATE = 0.01  # firms that over-declare revenue and keep paying (story 'none')
DIP_RATE = 0.08  # healthy firms a year whose activity dips in one feed without a default
FOLLOW_SHARE = 0.25  # members of a failing core that fall with it
CORE_FAIL_SHARE = 0.3  # at most this share of the core enterprises fail in one world
COLLAPSE_AFTER = 2  # months after a story's latest default lag that its silent feeds turn
DEFAULT_WINDOW_AFTER = 6  # default months are drawn over the history and this many more


@dataclass(frozen=True)
class Turn:
    lag: int  # months after the onset
    strength: float  # share of the firm's depth the feed loses (registry: of the troubled rate)


@dataclass(frozen=True)
class Story:
    turns: dict[str, Turn]  # the feeds that move before the default
    default_lag: tuple[int, int]  # months from onset to 90+ days past due, both inclusive
    late_installment: float = 0.5  # chance of one installment paid late before the missed one
    overdeclares: bool = False  # declares more revenue than it makes, from the start
    drags_chain: bool = False  # a failing core pulls some of its suppliers down with it


STORIES: dict[str, Story] = {
    "headcount_first": Story(
        {
            "headcount": Turn(0, 1.0),
            "tax": Turn(3, 0.5),
            "electricity": Turn(4, 0.4),
            "payments": Turn(4, 0.5),
            "registry": Turn(3, 0.6),
        },
        (4, 9),
    ),
    "tax_first": Story(
        {
            "tax": Turn(0, 1.0),
            "payments": Turn(3, 0.5),
            "electricity": Turn(4, 0.4),
            "headcount": Turn(5, 0.4),
            "registry": Turn(2, 1.0),
        },
        (4, 9),
    ),
    "electricity_first": Story(
        {
            "electricity": Turn(0, 1.0),
            "tax": Turn(3, 0.6),
            "headcount": Turn(4, 0.5),
            "payments": Turn(4, 0.4),
            "registry": Turn(4, 0.5),
        },
        (4, 9),
    ),
    "supply_chain_first": Story(
        {
            "payments": Turn(0, 1.0),
            "tax": Turn(2, 0.5),
            "electricity": Turn(3, 0.5),
            "headcount": Turn(4, 0.4),
            "registry": Turn(4, 0.5),
        },
        (4, 9),
        drags_chain=True,
    ),
    # Over-declared revenue from the start; the real business is failing unseen until the default.
    "fraud": Story({}, (6, 9), late_installment=0.0, overdeclares=True),
    # Stops paying the bank at its onset; nothing else moves until after the default.
    "sudden": Story({}, (3, 3), late_installment=0.0),
}
STORY_NAMES = list(STORIES)
PROFILES: dict[str, dict[str, float]] = {name: {name: 1.0} for name in STORIES} | {
    "mix": {
        "headcount_first": 0.18,
        "tax_first": 0.20,
        "electricity_first": 0.17,
        "supply_chain_first": 0.15,
        "fraud": 0.10,
        "sudden": 0.20,
    }
}


def check(profile: str, default_rate: float) -> None:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
    if not 0.0 < default_rate <= 0.5:
        raise ValueError(f"default_rate must be an annual share in (0, 0.5], got {default_rate}")


@dataclass
class Plan:
    """Per firm: the story (index into STORY_NAMES, -1 none), onset and planned default month,
    depth, each feed's turn month (NEVER: does not turn) and activity loss (n x T, the share
    of the feed's level lost: distress and healthy dips alike), and who borrows."""

    story: np.ndarray
    distressed: np.ndarray
    onset_t: np.ndarray
    default_t: np.ndarray
    depth: np.ndarray
    turn_t: dict[str, np.ndarray]
    arrears_t: dict[str, np.ndarray]  # per activity feed: from when the firm stops paying it
    loss: dict[str, np.ndarray]
    registry_strength: np.ndarray  # share of the troubled rate of registry events after the turn
    dip_feed: np.ndarray  # index into ACTIVITY_FEEDS of a healthy firm's dip, -1 none
    overdeclares: np.ndarray
    overdeclare_factor: np.ndarray
    borrower: np.ndarray
    late_installment: np.ndarray  # chance per firm (its story's)


def plan(
    seed: int,
    cal: gc.Calendar,
    profile: str,
    default_rate: float,
    is_core: np.ndarray,
    core_of: np.ndarray,
    month_established: np.ndarray,
) -> Plan:
    check(profile, default_rate)
    rng = gc.rng_for(seed, "stories")
    n, T, months = len(is_core), cal.panel_months, cal.months
    borrower = gc.rng_for(seed, "borrowers").random(n) < BORROWER_SHARE
    weights = PROFILES[profile]
    window = months + DEFAULT_WINDOW_AFTER
    p = min(0.9, default_rate * window / 12)  # P(default month inside the window)
    story = np.full(n, -1)
    default_t = np.full(n, NEVER)
    onset_t = np.full(n, NEVER)
    chain = STORY_NAMES.index("supply_chain_first")
    lo, hi = (np.array([STORIES[s].default_lag[i] for s in STORY_NAMES]) for i in (0, 1))

    # Chain failures first: a core's fall and its followers make the story's share of distress.
    chain_wanted = p * n * weights.get("supply_chain_first", 0.0)
    cores = np.flatnonzero(is_core)
    members = np.bincount(core_of[core_of >= 0], minlength=n)[cores]
    per_core = 1 + FOLLOW_SHARE * (members.mean() if len(cores) else 0)
    k = chain_wanted / per_core
    k = min(round(CORE_FAIL_SHARE * len(cores)), int(k) + int(rng.random() < k - int(k)))
    failing = rng.choice(cores, k, replace=False) if k else cores[:0]
    story[failing] = chain
    # three months early: the followers' defaults, about that much later, then fill the window
    default_t[failing] = rng.integers(0, window, k) - 3
    onset_t[failing] = default_t[failing] - rng.integers(lo[chain], hi[chain] + 1, k)
    follows = (core_of >= 0) & np.isin(core_of, failing) & (rng.random(n) < FOLLOW_SHARE)
    follows &= ~is_core
    story[follows] = chain
    onset_t[follows] = onset_t[core_of[follows]] + rng.integers(2, 5, follows.sum())
    default_t[follows] = onset_t[follows] + rng.integers(lo[chain], hi[chain] + 1, follows.sum())

    # Everyone else falls independently, at the rate left over, by the profile's other stories
    # (followers that default after the window add distress, not defaults, so do not count).
    taken = int(((story >= 0) & (default_t >= 0) & (default_t < window)).sum())
    rest = np.array([weights.get(s, 0.0) for s in STORY_NAMES]) * p * n
    rest[chain] = max(0.0, chain_wanted - taken)
    # Only firms old enough to default inside the window can, and a young firm only late in
    # it: the chance of falling is set so that the defaults inside the history meet the rate.
    free = (story < 0) & ~is_core & (month_established + 6 + lo.min() < window)
    lag_mean = ((lo + hi) / 2 * rest).sum() / max(rest.sum(), 1e-9)
    earliest = np.clip(month_established + 6 + lag_mean, 0, window - 1)
    in_history = np.clip(months - earliest, 0, None) / (window - earliest)
    p_rest = min(0.9, rest.sum() * months / window / max(in_history[free].sum(), 1e-9))
    falls = free & (rng.random(n) < p_rest)
    if rest.sum() > 0:
        story[falls] = rng.choice(len(STORY_NAMES), falls.sum(), p=rest / rest.sum())
    m = int(falls.sum())
    default_t[falls] = rng.integers(0, window, m)
    onset_t[falls] = default_t[falls] - rng.integers(lo[story[falls]], hi[story[falls]] + 1)

    # A firm needs half a year of activity before its onset: a young firm's default month is
    # drawn again within its own life (its hazard is the same while it exists), if it has one.
    too_young = falls & (onset_t < month_established + 6)
    lag = onset_t - default_t
    earliest = np.maximum(0, month_established - lag + 6)
    redraw = too_young & (earliest < window)
    default_t[redraw] = earliest[redraw] + (
        rng.random(redraw.sum()) * (window - earliest[redraw])
    ).astype(np.int64)
    onset_t[redraw] = default_t[redraw] + lag[redraw]
    story[(story >= 0) & (onset_t < month_established + 6)] = -1
    distressed = story >= 0
    onset_t[~distressed] = NEVER
    default_t[~distressed] = NEVER
    depth = np.where(distressed, rng.uniform(0.3, 0.65, n), 0.0)
    ramp = rng.integers(2, 5, n)
    gap = rng.integers(2, 4, n)  # months from a feed's turn to its arrears

    t = np.arange(T)[None, :]
    turn_t, arrears_t, loss = {}, {}, {}
    for feed in FEEDS:
        lag = np.full(len(STORY_NAMES), NEVER)
        strength = np.ones(len(STORY_NAMES))
        for i, name in enumerate(STORY_NAMES):
            turn = STORIES[name].turns.get(feed)
            lag[i] = turn.lag if turn else STORIES[name].default_lag[1] + COLLAPSE_AFTER
            strength[i] = turn.strength if turn else 1.0
        turned = np.where(distressed, onset_t + lag[story], NEVER)
        turn_t[feed] = turned
        if feed in ACTIVITY_FEEDS:
            arrears_t[feed] = np.where(distressed, turned + gap, NEVER)
            since = np.clip((t - turned[:, None] + 1) / ramp[:, None], 0, 1)
            loss[feed] = (depth * np.where(distressed, strength[story], 0.0))[:, None] * since
        else:
            registry_strength = np.where(distressed, strength[story], 0.0)

    # Healthy firms dip as well: one feed falls for a few months (a third never recover).
    dips = ~distressed & (rng.random(n) < min(0.9, DIP_RATE * T / 12))
    dip_feed = np.where(dips, rng.integers(0, len(ACTIVITY_FEEDS), n), -1)
    start = rng.integers(0, T, n)
    length = np.where(rng.random(n) < 1 / 3, NEVER, rng.integers(2, 7, n))
    dip_depth = rng.uniform(0.2, 0.5, n)
    down = np.clip((t - start[:, None] + 1) / 2, 0, 1)
    up = np.clip((start[:, None] + length[:, None] + 2 - t) / 2, 0, 1)
    dip = (dip_depth[:, None] * np.minimum(down, up)).astype(float)
    for i, feed in enumerate(ACTIVITY_FEEDS):
        loss[feed] = np.where((dip_feed == i)[:, None], dip, loss[feed])

    fraud = np.array([STORIES[s].overdeclares for s in STORY_NAMES])[np.maximum(story, 0)]
    fraud &= distressed
    honest_over = ~distressed & ~is_core & (rng.random(n) < OVERDECLARE_RATE)
    overdeclares = fraud | honest_over
    late = np.array([STORIES[s].late_installment for s in STORY_NAMES])[np.maximum(story, 0)]
    return Plan(
        story=story,
        distressed=distressed,
        onset_t=onset_t,
        default_t=default_t,
        depth=depth,
        turn_t=turn_t,
        arrears_t=arrears_t,
        loss=loss,
        registry_strength=registry_strength,
        dip_feed=dip_feed,
        overdeclares=overdeclares,
        overdeclare_factor=np.where(overdeclares, rng.uniform(1.5, 2.6, n), 1.0),
        borrower=borrower,
        late_installment=np.where(distressed, late, 0.0),
    )


def story_labels(story: np.ndarray) -> list[str]:
    names = np.array([*STORY_NAMES, "none"])
    return names[np.where(story >= 0, story, len(STORY_NAMES))].tolist()
