"""Issue 16, client half: data-API edge cases, the Scavio client against the simulator.

Retry timing, error messages and the credit fields of CallRecord. Sleeps are recorded, not
slept; jitter is fixed (FixedRandom) so each test asserts exact waits.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.source.base import CallRecord
from hashtag_tracker.source.errors import (
    DeadlineError,
    MalformedResponseError,
    RateLimitedError,
    TransientError,
)
from hashtag_tracker.source.scavio import HASHTAG
from hashtag_tracker_tools.simulator import ALWAYS, Simulator
from tests.contract.conftest import Client

pytestmark = pytest.mark.contract

WALL = 1_800_000_000.0  # the simulator's and the client's wall clock, where a test fixes it


class FixedRandom(random.Random):
    """Full jitter drawn at a fixed point of its range (0.5: half the ceiling)."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def half_jitter(sim: Simulator, **options: Any) -> Client:
    return Client(sim, rng=FixedRandom(0.5), backoff_base=0.5, backoff_cap=8.0, **options)


def eventually(check: Callable[[], bool], seconds: float = 3.0) -> bool:
    """A slow answer's server thread counts it lost once it sees the client hang up: wait."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def spent(record: CallRecord) -> int:
    """What an attempt may have cost upstream, as the meter is to count it (issue 16)."""
    if record.credits_used is not None:
        return record.credits_used
    answered_2xx = record.status is not None and 200 <= record.status < 300
    return 1 if answered_2xx or record.answer_lost else 0


# -- 1. retry timing -----------------------------------------------------------------------


def test_500_then_ok_backs_off_briefly_whatever_the_rate_limit_reset_says(sim: Simulator) -> None:
    # Given a real-time 10/min plan (every answer carries an X-RateLimit-Reset up to a
    # minute away) and one 500
    sim.set_rate_limit(10, time_scale=1.0)
    sim.set_faults("steadytag", server_errors=1)
    client = half_jitter(sim)
    # When the client reads the stats
    stats = client.provider.hashtag_stats("steadytag")
    # Then it slept one full-jitter backoff (0.5 x min(8, 0.5)), not until the reset
    assert stats.videos == sim.expected_stats("steadytag")[1]
    assert client.sleeps == [0.25]
    assert [r.status for r in client.records] == [500, 200]


def test_four_500s_take_only_the_exponential_backoff(sim: Simulator) -> None:
    # Given a real-time plan and a persistent 500
    sim.set_rate_limit(10, time_scale=1.0)
    sim.set_faults(server_errors=ALWAYS)
    client = half_jitter(sim)
    # When called, Then TransientError after 4 attempts and 0.25 + 0.5 + 1 s of backoff
    with pytest.raises(TransientError):
        client.provider.hashtag_stats("steadytag")
    assert client.sleeps == [0.25, 0.5, 1.0]
    assert sim.truth().calls["hashtag"] == 4


def test_retries_stop_where_the_remaining_time_ends(sim: Simulator) -> None:
    # Given 7 s left (the clock moves only by the recorded sleeps), a 2 s timeout, a real-
    # time plan and a persistent 500; full jitter at its ceiling, base 2 s
    sim.set_rate_limit(10, time_scale=1.0)
    sim.set_faults(server_errors=ALWAYS)
    sleeps: list[float] = []
    client = Client(
        sim,
        sleep=sleeps.append,
        rng=FixedRandom(1.0),
        backoff_base=2.0,
        remaining_seconds=lambda: 7.0 - sum(sleeps),
    )
    # When called
    with pytest.raises(DeadlineError):
        client.provider.hashtag_stats("steadytag")
    # Then the first retry (2 s + a 2 s call + 2 s margin) fit, the second (4 s) did not
    assert sleeps == [2.0]
    assert len(client.records) == 2


def test_a_429_storm_with_a_reset_in_the_past_always_waits_one_slot(sim: Simulator) -> None:
    # Given every answer a 429 whose X-RateLimit-Reset is 30 s in the past (clock skew)
    # and no Retry-After
    sim.set_faults(rate_limited=ALWAYS, retry_after_seconds=None, reset_in_seconds=-30)
    client = Client(sim, max_rate_limit_wait=10.0)
    # When called
    with pytest.raises(RateLimitedError) as caught:
        client.provider.hashtag_stats("steadytag")
    # Then every retry waited one slot of the default plan (60 s / 10), never at once
    assert client.sleeps == [6.0, 6.0, 6.0]
    assert caught.value.retry_after_seconds == 6.0
    assert [r.status for r in client.records] == [429] * 4


def test_a_429_without_any_header_waits_one_slot(sim: Simulator) -> None:
    sim.set_faults(rate_limited=1, retry_after_seconds=None, reset_in_seconds=None)
    client = Client(sim, max_rate_limit_wait=10.0)
    stats = client.provider.hashtag_stats("steadytag")
    assert stats.videos > 0
    assert client.sleeps == [6.0]


def test_retry_after_in_seconds_comes_before_the_reset(clock: ManualClock) -> None:
    # Given a 429 asking for 8 s (Retry-After) with a reset 30 s away
    with Simulator(clock, wall_time=lambda: WALL) as sim:
        sim.set_faults(rate_limited=1, retry_after_seconds=8, reset_in_seconds=30)
        client = Client(sim, max_rate_limit_wait=60.0, wall_time=lambda: WALL)
        # When called, Then it waited what Retry-After asked, then got the data
        client.provider.hashtag_stats("steadytag")
        assert client.sleeps == [8.0]


def test_retry_after_as_an_http_date_is_honoured(clock: ManualClock) -> None:
    # Given a 429 whose Retry-After is an HTTP date 9 s ahead, with a reset 40 s away
    with Simulator(clock, wall_time=lambda: WALL) as sim:
        sim.set_faults(
            rate_limited=1, retry_after_seconds=9, retry_after_form="date", reset_in_seconds=40
        )
        client = Client(sim, max_rate_limit_wait=60.0, wall_time=lambda: WALL)
        client.provider.hashtag_stats("steadytag")
        assert client.sleeps == [9.0]


def test_a_retry_after_shorter_than_a_slot_still_waits_the_slot(clock: ManualClock) -> None:
    with Simulator(clock, wall_time=lambda: WALL) as sim:
        sim.set_faults(rate_limited=1, retry_after_seconds=1, reset_in_seconds=None)
        client = Client(sim, max_rate_limit_wait=10.0, wall_time=lambda: WALL)
        client.provider.hashtag_stats("steadytag")
        assert client.sleeps == [6.0]


def test_a_429_wait_that_does_not_fit_the_time_left_is_handed_back(sim: Simulator) -> None:
    # Given 9 s left (a 6 s slot + a 2 s call + 2 s margin do not fit) and a 429 whose
    # reset is already past
    sim.set_faults(rate_limited=1, retry_after_seconds=None, reset_in_seconds=-5)
    client = Client(sim, max_rate_limit_wait=10.0, remaining_seconds=lambda: 9.0)
    # When called, Then the work is handed back for one slot, without a sleep or a retry
    with pytest.raises(RateLimitedError) as caught:
        client.provider.hashtag_stats("steadytag")
    assert caught.value.retry_after_seconds == 6.0
    assert client.sleeps == []
    assert sim.truth().calls["hashtag"] == 1


# -- 2. error messages ---------------------------------------------------------------------


def test_a_non_json_answer_names_the_endpoint_once(sim: Simulator, client: Client) -> None:
    sim.set_faults(malformed_json=1)
    with pytest.raises(MalformedResponseError) as caught:
        client.provider.hashtag_stats("steadytag")
    message = str(caught.value)
    assert message.startswith(f"{HASHTAG}: answer is not JSON")
    assert message.count(HASHTAG) == 1


def test_a_missing_counter_is_reported_as_missing(sim: Simulator, client: Client) -> None:
    sim.set_faults(missing_fields=1)
    with pytest.raises(MalformedResponseError) as caught:
        client.provider.hashtag_stats("steadytag")
    assert str(caught.value) == (
        f"{HASHTAG}: data.challengeInfo.stats.viewCount: expected a whole number, found missing"
    )


# -- 3. credits on every CallRecord --------------------------------------------------------


def test_a_read_timeout_is_an_answer_lost_and_the_simulator_charged_it(sim: Simulator) -> None:
    # Given one answer that hangs until the client gives up, and a timeout far above a
    # normal answer (a few ms), so only that one times out
    sim.set_faults(slow=1)
    client = Client(sim, timeout=1.0)
    # When the client reads the stats (the timeout is retried)
    client.provider.hashtag_stats("steadytag")
    # Then the timed-out attempt is recorded as sent with its answer lost,
    lost, ok = client.records
    assert (lost.status, lost.answer_lost, lost.credits_remaining) == (None, True, None)
    assert (ok.status, ok.answer_lost) == (200, False)
    # and the simulator charged both (the lost one too, its default)
    assert eventually(lambda: sim.truth().lost_answers == 1)
    truth = sim.truth()
    assert truth.credits_charged == 2 == sum(spent(r) for r in client.records)
    assert ok.credits_remaining == truth.credits_remaining


def test_a_lost_answer_not_charged_when_the_switch_is_off(sim: Simulator) -> None:
    sim.set_charging(lost_answers=False)
    sim.set_faults(slow=1)
    client = Client(sim, timeout=1.0)
    client.provider.hashtag_stats("steadytag")
    assert client.records[0].answer_lost
    assert eventually(lambda: sim.truth().lost_answers == 1)
    assert (sim.truth().credits_charged, sim.truth().credits_by_hashtag) == (1, {"steadytag": 1})


def test_a_dropped_connection_after_sending_is_an_answer_lost(sim: Simulator) -> None:
    # Given the simulator hanging up once after reading the request
    sim.set_faults(drop=1)
    client = Client(sim)
    # When the client reads the stats
    client.provider.hashtag_stats("steadytag")
    # Then the first attempt is a lost answer, charged upstream, and the retry succeeded
    assert [(r.status, r.answer_lost) for r in client.records] == [(None, True), (200, False)]
    truth = sim.truth()
    assert (truth.lost_answers, truth.credits_charged) == (1, 2)
    assert truth.credits_charged == sum(spent(r) for r in client.records)


def test_a_refused_connection_never_went_out(sim: Simulator) -> None:
    # Given a simulator that has stopped listening
    client = Client(sim, max_retries=1)
    sim.stop()
    # When called, Then it gives up, and no attempt counts as possibly charged
    with pytest.raises(TransientError):
        client.provider.hashtag_stats("steadytag")
    assert len(client.records) == 2
    assert all(r.status is None and not r.answer_lost for r in client.records)
    assert sum(spent(r) for r in client.records) == 0


def test_credits_remaining_counts_down_from_the_plan_allowance(clock: ManualClock) -> None:
    # Given a plan of 1,000 credits
    with Simulator(clock, credits=1_000) as sim:
        client = Client(sim)
        # When two calls are answered, one malformed and a 429
        stats = client.provider.hashtag_stats("steadytag")
        client.provider.hashtag_videos(stats.hashtag_id, "0", 5)
        sim.set_faults(malformed_json=1)
        with pytest.raises(MalformedResponseError):
            client.provider.hashtag_stats("steadytag")
        sim.set_faults(rate_limited=1)
        with pytest.raises(RateLimitedError):
            client.provider.hashtag_stats("steadytag")
    # Then each envelope's balance is recorded; answers that did not say are None, not
    # guessed
    assert [r.credits_remaining for r in client.records] == [999, 998, None, None]
    assert sim.truth().credits_remaining == 997


def test_every_credit_the_simulator_charged_is_on_a_call_record(sim: Simulator) -> None:
    # Given a mix of faults: a drop, a slow answer, a broken body, a 500 and a 429
    sim.set_faults(drop=1)
    sim.set_faults("rivalfizz", slow=1)
    sim.set_faults("colacrew", malformed_json=1, server_errors=1)
    sim.set_faults("deadtag", rate_limited=1, reset_in_seconds=-1)
    client = Client(sim, timeout=1.0, max_rate_limit_wait=10.0)
    # When each tag is read
    for tag in ("steadytag", "rivalfizz", "colacrew", "deadtag"):
        with contextlib.suppress(MalformedResponseError):
            client.provider.hashtag_stats(tag)
    # Then the records account for every credit charged, per hashtag too
    assert eventually(lambda: sim.truth().lost_answers == 2)
    truth = sim.truth()
    assert sum(spent(r) for r in client.records) == truth.credits_charged == 6
    assert truth.credits_by_hashtag == {"colacrew": 1, "deadtag": 1, "rivalfizz": 2, "steadytag": 2}


def test_usage_is_free_and_agrees_with_the_envelope(clock: ManualClock) -> None:
    with Simulator(clock, credits=500, plan="pay_as_you_go") as sim:
        client = Client(sim)
        client.provider.hashtag_stats("steadytag")
        headers = {"Authorization": f"Bearer {sim.api_key}"}
        usage = [
            requests.get(sim.base_url + "/api/v1/usage", headers=headers, timeout=5).json()
            for _ in range(2)
        ]
        truth = sim.truth()
    expected = {"plan": "pay_as_you_go", "credit_balance": 499}
    assert usage == [expected | {"period_start": "2026-01-01T00:00:00Z"}] * 2
    assert client.records[0].credits_remaining == 499
    assert (truth.credits_charged, truth.usage_calls) == (1, 2)
    assert datetime(2026, 1, 1, tzinfo=UTC) <= truth.now
