"""The alert hook: exactly once per window, cooldown with one escalation, no loss on failure."""

from __future__ import annotations

import pytest

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.notify.dispatcher import AlertDispatcher
from hashtag_tracker.rules.alert import AlertRule, Severity
from hashtag_tracker.rules.cooldown import ClaimOutcome
from tests.unit.notify.fakes import FakeAlertStore, FakeTopic
from tests.unit.rules.builders import T0, ok, tag


@pytest.fixture
def store() -> FakeAlertStore:
    return FakeAlertStore()


@pytest.fixture
def topic() -> FakeTopic:
    return FakeTopic()


@pytest.fixture
def hook(store: FakeAlertStore, topic: FakeTopic) -> AlertDispatcher:
    return AlertDispatcher(store, topic, ManualClock(T0))


BASE = ok(0, 50_000_000, 10_000)


def test_a_viral_snapshot_publishes_one_alert(hook: AlertDispatcher, topic: FakeTopic) -> None:
    # When a snapshot with 300 new videos in 6 h is handled
    result = hook(tag(), ok(6, 50_300_000, 10_300), [BASE])

    # Then one viral alert is published
    assert [a.rule for a in topic.published] == [AlertRule.VIRAL]
    assert result.published == topic.published


def test_a_redelivery_publishes_nothing(
    hook: AlertDispatcher, topic: FakeTopic, store: FakeAlertStore
) -> None:
    # Given the alert of a snapshot was published
    snapshot = ok(6, 50_300_000, 10_300)
    hook(tag(), snapshot, [BASE])

    # When the same snapshot is handled again (redelivered message, re-run)
    again = hook(tag(), snapshot, [BASE])

    # Then nothing more is published
    assert len(topic.published) == 1
    assert [o for _, o in again.suppressed] == [ClaimOutcome.DUPLICATE]


def test_the_next_cycle_of_the_same_moment_is_held_by_the_cooldown(
    hook: AlertDispatcher, topic: FakeTopic
) -> None:
    # Given a viral alert at 6 h
    first = ok(6, 50_300_000, 10_300)
    hook(tag(), first, [BASE])

    # When the spike goes on at a similar pace at 12 h
    result = hook(tag(), ok(12, 50_600_000, 10_600), [BASE, first])

    # Then it is suppressed by the cooldown
    assert len(topic.published) == 1
    assert [o for _, o in result.suppressed] == [ClaimOutcome.COOLDOWN]


def test_a_clearly_bigger_spike_escalates_once(hook: AlertDispatcher, topic: FakeTopic) -> None:
    # Given a viral alert of 300 new videos (1.5x the threshold)
    s6 = ok(6, 50_300_000, 10_300)
    hook(tag(), s6, [BASE])

    # When 600 (2x the alerted magnitude) come next, then 2,000
    s12 = ok(12, 50_900_000, 10_900)
    hook(tag(), s12, [BASE, s6])
    hook(tag(), ok(18, 52_900_000, 12_900), [BASE, s6, s12])

    # Then exactly one escalation is published, marked critical
    assert len(topic.published) == 2
    escalation = topic.published[1]
    assert escalation.escalated and escalation.severity is Severity.CRITICAL
    assert escalation.title.startswith("Escalated: ")


def test_after_the_cooldown_the_rule_fires_again(hook: AlertDispatcher, topic: FakeTopic) -> None:
    hook(tag(cooldown_hours=6), ok(6, 50_300_000, 10_300), [BASE])
    hook(tag(cooldown_hours=6), ok(12, 50_600_000, 10_600), [ok(6, 50_300_000, 10_300)])
    assert len(topic.published) == 2


def test_a_failed_publish_is_released_and_the_retry_publishes_it(
    hook: AlertDispatcher, topic: FakeTopic, store: FakeAlertStore
) -> None:
    # Given SNS fails once
    topic.fail_next = 1
    snapshot = ok(6, 50_300_000, 10_300)

    # When the hook runs, it raises (so the worker's message is retried)
    with pytest.raises(ConnectionError):
        hook(tag(), snapshot, [BASE])

    # Then the claim was released, and the redelivery publishes the alert exactly once
    assert store.released == ["trybrandx#viral#2026-11-02T06:00:00Z"]
    assert store.cooldowns == {}
    hook(tag(), snapshot, [BASE])
    hook(tag(), snapshot, [BASE])
    assert [a.key for a in topic.published] == ["trybrandx#viral#2026-11-02T06:00:00Z"]


def test_a_failure_on_the_second_alert_keeps_the_first_published(
    hook: AlertDispatcher, topic: FakeTopic
) -> None:
    # Given a snapshot raising a milestone and a viral alert, and SNS failing on the second
    history = [ok(0, 900_000, 1_000)]
    snapshot = ok(6, 1_500_000, 1_300)
    topic.published.clear()

    calls = {"n": 0}
    original = topic.publish

    def flaky(alert):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("SNS is unreachable")
        return original(alert)

    topic.publish = flaky  # type: ignore[method-assign]

    # When the hook fails, then runs again on the redelivery
    with pytest.raises(ConnectionError):
        hook(tag(), snapshot, history)
    hook(tag(), snapshot, history)

    # Then each alert is published exactly once
    keys = [a.key for a in topic.published]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 2


def test_falls_are_reported_as_data_quality_not_alerts(
    hook: AlertDispatcher, topic: FakeTopic
) -> None:
    result = hook(tag(), ok(6, 50_000_000, 9_000), [BASE])
    assert topic.published == [] and result.decreased == ("videos",)
