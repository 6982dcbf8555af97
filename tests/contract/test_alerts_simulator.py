"""Alerts against the simulator's ground truth: one viral alert per spike, none elsewhere.

Snapshot series come from `World.stats` (the exact counters) every 6 hours over a week,
with a missing fetch and a zero glitch inserted, and go through the real rules and
dispatcher with in-memory store and topic, exactly as the worker calls its hook.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.collection.policy import history_window
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus
from hashtag_tracker.notify.dispatcher import AlertDispatcher
from hashtag_tracker.rules.alert import Alert, AlertRule
from hashtag_tracker.rules.engine import MILESTONES
from hashtag_tracker_tools.simulator.world import DEFAULT_PROFILES, World
from tests.unit.notify.fakes import FakeAlertStore, FakeTopic

pytestmark = pytest.mark.contract

EPOCH = datetime(2026, 11, 2, tzinfo=UTC)
CYCLE = timedelta(hours=6)
DAYS = 7
SPIKING = ("viraltag", "trybrandx")
STEADY = ("steadytag", "rivalfizz", "growingtag", "deadtag", "colacrew", "decayingtag")


@dataclass
class Run:
    world: World
    topic: FakeTopic
    store: FakeAlertStore
    hook: AlertDispatcher
    snapshots: dict[str, list[Snapshot]]

    def alerts(self, name: str, rule: AlertRule) -> list[Alert]:
        return [a for a in self.topic.published if a.hashtag == name and a.rule is rule]


def cycles() -> Iterator[datetime]:
    for i in range(DAYS * 24 // 6 + 1):
        yield EPOCH + i * CYCLE


def series(world: World, name: str, faults: dict[datetime, SnapshotStatus]) -> list[Snapshot]:
    """The ground-truth counters each cycle; a fault replaces a cycle's snapshot."""
    out = []
    for cycle in cycles():
        views, videos = world.stats(name, cycle)
        status = faults.get(cycle)
        if status is SnapshotStatus.MISSING:
            out.append(
                Snapshot(hashtag=name, cycle=cycle, taken_at=cycle, status=status, reason="502")
            )
        elif status is SnapshotStatus.SUSPECT:
            out.append(
                Snapshot(
                    hashtag=name,
                    cycle=cycle,
                    taken_at=cycle,
                    views=0,
                    videos=0,
                    status=status,
                    reason="zero after non-zero",
                )
            )
        else:
            out.append(
                Snapshot(hashtag=name, cycle=cycle, taken_at=cycle, views=views, videos=videos)
            )
    return out


def feed(hook: AlertDispatcher, name: str, snapshots: list[Snapshot]) -> None:
    """As the worker does: the hook after each usable snapshot, with its 30 h history."""
    item = TrackedHashtag(hashtag=name, campaign="BrandX")
    for snapshot in snapshots:
        if not snapshot.usable:
            continue
        since, until = history_window(snapshot.cycle)
        history = [s for s in snapshots if since <= s.cycle <= until]
        hook(item, snapshot, history)


def faults_for() -> dict[datetime, SnapshotStatus]:
    # A missing fetch and a zero glitch on the day before any spike, the glitch a cycle
    # after the miss, so the recovery compares across a gap.
    day = EPOCH + timedelta(days=1)
    return {day + CYCLE: SnapshotStatus.MISSING, day + 2 * CYCLE: SnapshotStatus.SUSPECT}


@pytest.fixture(scope="module")
def run() -> Run:
    world = World(epoch=EPOCH)
    topic, store = FakeTopic(), FakeAlertStore()
    hook = AlertDispatcher(store, topic, ManualClock(EPOCH))
    snapshots = {name: series(world, name, faults_for()) for name in DEFAULT_PROFILES}
    for name, items in snapshots.items():
        feed(hook, name, items)
    return Run(world, topic, store, hook, snapshots)


@pytest.mark.parametrize("name", SPIKING)
def test_every_spike_yields_exactly_one_viral_alert_within_one_cycle(run: Run, name: str) -> None:
    # Given the simulator's ground truth says when the spike starts
    start = run.world.spike_time(name)
    assert start is not None

    # Then exactly one viral alert was published for it, at most one cycle after its start
    [alert] = run.alerts(name, AlertRule.VIRAL)
    assert start < alert.at <= start + CYCLE
    assert alert.metrics["new_videos"] >= 200


@pytest.mark.parametrize("name", STEADY)
def test_tags_without_a_spike_get_no_viral_alert(run: Run, name: str) -> None:
    assert run.world.spike_time(name) is None
    assert run.alerts(name, AlertRule.VIRAL) == []


def test_re_running_every_snapshot_publishes_nothing_new(run: Run) -> None:
    # When the whole week is fed again (redeliveries, a re-run of every cycle)
    before = list(run.topic.published)
    for name, items in run.snapshots.items():
        feed(run.hook, name, items)

    # Then nothing more was published
    assert run.topic.published == before


@pytest.mark.parametrize("name", list(DEFAULT_PROFILES))
def test_milestones_fire_once_each_as_the_ground_truth_crosses_them(run: Run, name: str) -> None:
    # Given the milestones the real view counts cross during the week
    first = run.world.stats(name, EPOCH)[0]
    last = run.world.stats(name, EPOCH + timedelta(days=DAYS))[0]
    crossed = [str(m) for m in MILESTONES if first < m <= last]

    # Then each fired once
    assert sorted(a.window for a in run.alerts(name, AlertRule.MILESTONE)) == sorted(crossed)


def test_a_failed_or_zero_glitch_fetch_yields_no_alert(run: Run) -> None:
    # Given the cycles where a fetch was missing or a zero glitch
    faulty = {
        (name, s.cycle) for name, items in run.snapshots.items() for s in items if not s.usable
    }
    assert len(faulty) == 2 * len(DEFAULT_PROFILES)

    # Then no alert was raised on those cycles, nor a drop on the cycle after them
    assert not [a for a in run.topic.published if (a.hashtag, a.at) in faulty]
    after = {(name, cycle + CYCLE) for name, cycle in faulty}
    assert not [
        a for a in run.topic.published if (a.hashtag, a.at) in after and a.rule is AlertRule.VIRAL
    ]


def test_a_zero_glitch_in_the_middle_of_a_spike_does_not_double_alert() -> None:
    # Given a suspect 0 right after viraltag's alerted cycle
    world = World(epoch=EPOCH)
    spike = world.spike_time("viraltag")
    assert spike is not None
    alerted = EPOCH + CYCLE * -(-(spike - EPOCH) // CYCLE)  # first cycle after the start
    topic, store = FakeTopic(), FakeAlertStore()
    hook = AlertDispatcher(store, topic, ManualClock(EPOCH))

    # When the week is fed with the glitch
    feed(hook, "viraltag", series(world, "viraltag", {alerted + CYCLE: SnapshotStatus.SUSPECT}))

    # Then there is still exactly one viral alert, on the alerted cycle
    assert [a.at for a in topic.published if a.rule is AlertRule.VIRAL] == [alerted]
