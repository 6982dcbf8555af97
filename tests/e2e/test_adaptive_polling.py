"""Adaptive polling end to end (issue 15): hourly ticks over three simulated days on the
emulated stack. A campaign whose spike ramps up over 6 hours is caught within two ticks of
its true counters meeting the viral rule, with exactly one viral alert; calm tags back off
to their longest interval; 0 × 429.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.storage.plan import DynamoPlanStore
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker_tools.local.runner import Published
from hashtag_tracker_tools.local.scenario import DEFAULT_START, Scenario, Tracked
from hashtag_tracker_tools.local.session import LocalSession, SessionOptions
from hashtag_tracker_tools.simulator import Profile, ProfileKind, Truth

pytestmark = pytest.mark.e2e

DAYS = 3
RAMP = "rampingtag"
SPIKE_AT_HOURS = 40.5  # a half hour past a tick: the truth meets the rule between ticks
CALM = Profile(ProfileKind.STEADY, base_videos=5_000, base_views=20_000_000, rate=2.0)


def _scenario() -> Scenario:
    ramp = Profile(
        ProfileKind.VIRAL,
        base_videos=800,
        base_views=3_000_000,
        rate=2.0,
        spike_at_hours=SPIKE_AT_HOURS,
        spike_rate=120.0,
        spike_tau=12.0,
        spike_ramp_hours=6.0,
    )
    tracked = (
        Tracked(RAMP, "campaign", "Launch", ramp, "heats up gradually"),
        Tracked("calmcampaign", "campaign", "Launch", CALM, "calm campaign"),
        Tracked("calmrival", "competitor", "Launch", CALM, "calm competitor"),
        Tracked("calmtrend", "trend", None, CALM, "calm trend"),
    )
    return Scenario(tracked=tracked, invalid_items=(), start=DEFAULT_START)


@dataclasses.dataclass
class Run:
    session: LocalSession
    ticks: list[datetime]
    alerts: list[tuple[datetime, Published]]
    truth: Truth
    sent: list[int]


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    options = SessionOptions(
        rate_limit=10, time_scale=600, slack=False, log_stream=io.StringIO(), workers=1
    )
    with LocalSession(_scenario(), options) as session:
        session.seed()
        ticks = [DEFAULT_START + timedelta(hours=h) for h in range(DAYS * 24)]
        alerts: list[tuple[datetime, Published]] = []
        sent: list[int] = []
        for tick in ticks:
            alerts += [(tick, p) for p in session.run_cycle(tick)]
            sent.append(int(session.runner.last_fan_out.get("sent", 0)))
        yield Run(session, ticks, alerts, session.simulator.truth(), sent)


def _snapshots(run: Run, tag: str) -> list[Snapshot]:
    store = DynamoSnapshotStore(run.session.info.outputs["SnapshotsTableName"])
    return store.between(tag, run.ticks[0], run.ticks[-1])


def test_a_ramped_spike_is_caught_within_two_ticks_of_meeting_the_rule(run: Run) -> None:
    # Given the moment the tag's true counters first met the viral rule
    met = run.truth.viral_times[RAMP]
    # When its viral alerts are read
    viral = [when for when, p in run.alerts if p.rule == "viral" and p.hashtag == RAMP]
    # Then exactly one came, at the first or second tick after that moment
    assert len(viral) == 1, viral
    ticks_after = [t for t in run.ticks if t >= met]
    assert viral[0] in ticks_after[:2], (met, viral[0])


def test_the_tag_was_polled_hourly_while_hot_and_calm_tags_backed_off(run: Run) -> None:
    # Given the readings of the ramping tag around its spike
    met = run.truth.viral_times[RAMP]
    [alerted] = [when for when, p in run.alerts if p.rule == "viral" and p.hashtag == RAMP]
    hot = [s.cycle for s in _snapshots(run, RAMP) if met - timedelta(hours=2) <= s.cycle <= alerted]
    # Then it was read every hour from before the rule was met up to its alert (its 1-hour
    # minimum; after the alert the moment is watched at half its maximum)
    gaps = {b - a for a, b in itertools.pairwise(hot)}
    assert gaps == {timedelta(hours=1)}, sorted(gaps)
    # And a calm trend tag was read every 6 h once it had backed off (its maximum), less
    # often than the hot one
    calm = [s.cycle for s in _snapshots(run, "calmtrend")]
    assert len(calm) <= DAYS * 24 // 6 + 1 < len(_snapshots(run, RAMP))
    assert max(b - a for a, b in itertools.pairwise(calm)) == timedelta(hours=6)


def test_every_plan_says_why(run: Run) -> None:
    plans = DynamoPlanStore(run.session.info.outputs["StateTableName"]).read_all()
    assert set(plans) == {t.name for t in run.session.scenario.tracked}
    assert plans["calmtrend"].interval_hours == 6.0
    assert plans["calmtrend"].reason.startswith("calm: ")
    assert plans["calmcampaign"].interval_hours == 6.0


def test_no_call_over_the_plans_rate_and_nothing_lost(run: Run) -> None:
    assert run.truth.answers.get(429, 0) == 0
    assert run.truth.rate_limit_violations == 0
    assert run.session.runner.dlq_depth() == 0
    # Polls went out at most ticks, not all at once: the hourly cadence spreads them
    assert sum(run.sent) == sum(len(_snapshots(run, t.name)) for t in run.session.scenario.tracked)
