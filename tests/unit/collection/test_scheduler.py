"""Scheduler fan-out: one message per due hashtag, once per tick, bad items skipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hashtag_tracker.collection.scheduler import (
    MAX_EVENT_AGE,
    MAX_EVENT_AHEAD,
    SchedulerEventError,
    TickSettings,
    fan_out,
    tick_time_from_event,
)
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.storage.hashtags import hashtag_to_item
from tests.unit.collection.fakes import FakeClaims, FakeSink, tick_ports
from tests.unit.hashtag_fakes import InMemoryHashtagStore

NOW = datetime(2026, 11, 22, 12, 0, 5, tzinfo=UTC)
SETTINGS = TickSettings()


def _store(*items: dict[str, object]) -> InMemoryHashtagStore:
    store = InMemoryHashtagStore()
    for raw in items:
        store.items[str(raw["hashtag"])] = dict(raw)
    return store


def test_one_message_per_due_hashtag_carrying_the_cycle() -> None:
    # Given two active hashtags, one paused, one not started yet, one broken item
    store = _store(
        {"hashtag": "brand"},
        {"hashtag": "rival", "kind": "competitor"},
        {"hashtag": "sleepy", "active": False},
        {"hashtag": "later", "start_date": "2027-01-01"},
        {"hashtag": "bad tag"},
    )
    sink = FakeSink()
    # When the 12:00 tick fires a few seconds late
    result = fan_out(
        datetime(2026, 11, 22, 12, 0, 3, tzinfo=UTC),
        settings=SETTINGS,
        ports=tick_ports(store.scan(), FakeClaims(), sink),
        now=NOW,
    )
    # Then
    bodies = [json.loads(b) for b in sink.bodies]
    assert sorted(b["hashtag"]["hashtag"] for b in bodies) == ["brand", "rival"]
    assert {b["cycle"] for b in bodies} == {"2026-11-22T12:00:00Z"}
    assert result.sent == 2 and result.skipped_inactive == 2
    assert [i.key for i in result.invalid] == ["bad tag"]


def test_double_fired_schedule_sends_nothing_the_second_time() -> None:
    store = _store({"hashtag": "brand"}, {"hashtag": "rival"})
    claims, sink = FakeClaims(), FakeSink()
    tick = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    first = fan_out(tick, settings=SETTINGS, ports=tick_ports(store.scan(), claims, sink), now=NOW)
    again = fan_out(tick, settings=SETTINGS, ports=tick_ports(store.scan(), claims, sink), now=NOW)
    assert first.sent == 2
    assert not again.claimed and again.sent == 0
    assert len(sink.bodies) == 2


def test_a_fan_out_that_fails_frees_the_cycle_for_lambdas_retry() -> None:
    # Given a fan-out whose send fails after the cycle was claimed (throttled, say)
    store = _store({"hashtag": "brand"}, {"hashtag": "rival"})
    claims = FakeClaims()

    class BrokenSink(FakeSink):
        def send_bodies(self, bodies: list[str], delay_seconds: int = 0) -> int:
            raise RuntimeError("throttled")

    tick = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        fan_out(
            tick, settings=SETTINGS, ports=tick_ports(store.scan(), claims, BrokenSink()), now=NOW
        )
    # When Lambda retries the event
    sink = FakeSink()
    retry = fan_out(tick, settings=SETTINGS, ports=tick_ports(store.scan(), claims, sink), now=NOW)
    # Then the retry fans the cycle out
    assert retry.claimed and retry.sent == 2


def test_thousands_of_items_are_sent_in_chunks() -> None:
    store = InMemoryHashtagStore()
    for i in range(2_345):
        store.items[f"tag{i}"] = hashtag_to_item(TrackedHashtag.parse({"hashtag": f"tag{i}"}))
    sink = FakeSink()
    # A plan and a budget with room for them all in one tick (50 calls a second)
    settings = TickSettings(rate_per_window=3000, monthly_budget=10_000_000)
    result = fan_out(
        NOW, settings=settings, ports=tick_ports(store.scan(), FakeClaims(), sink), now=NOW
    )
    assert result.sent == 2_345
    assert len({json.loads(b)["hashtag"]["hashtag"] for b in sink.bodies}) == 2_345


def test_the_tick_time_is_the_events_own_time_in_utc() -> None:
    event = {"time": "2026-11-22T13:00:03+01:00", "detail-type": "Scheduled Event"}
    assert tick_time_from_event(event, NOW) == datetime(2026, 11, 22, 12, 0, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        ({}, 'no "time"'),
        ({"time": None}, 'no "time"'),
        ({"time": "noon"}, "not an ISO 8601 time"),
        ({"time": "2026-11-22T12:00:00"}, "no timezone"),
        ({"time": 12}, "ISO 8601 text"),
        ("2026-11-22T12:00:00Z", "JSON object"),
        ({"time": "2026-11-22T12:15:06Z"}, "more than 15 minutes ahead"),
        ({"time": "2026-11-25T12:00:00Z"}, "more than 15 minutes ahead"),
        ({"time": "2026-11-22T06:00:04Z"}, "more than 6 hours before"),
    ],
)
def test_an_event_without_a_usable_time_is_refused_in_one_line(
    event: object, fragment: str
) -> None:
    # Issue 17: a missing time was a KeyError; a future one claimed a future cycle
    with pytest.raises(SchedulerEventError) as refused:
        tick_time_from_event(event, NOW)
    assert fragment in str(refused.value) and "\n" not in str(refused.value)


def test_the_bounds_are_inclusive() -> None:
    assert tick_time_from_event({"time": "2026-11-22T12:15:05Z"}, NOW) == NOW + MAX_EVENT_AHEAD
    assert tick_time_from_event({"time": "2026-11-22T06:00:05Z"}, NOW) == NOW - MAX_EVENT_AGE
