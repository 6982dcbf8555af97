"""The shared rate limiter and the credit budget."""

from __future__ import annotations

import pytest

from hashtag_tracker.collection.pacing import (
    BudgetExhaustedError,
    CreditBudget,
    NoCapacityError,
    PacingPolicy,
    RateLimiter,
)
from tests.unit.collection.fakes import FakeState


class FakeWall:
    def __init__(self) -> None:
        self.ms = 1_000_000

    def now(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


def test_workers_sharing_the_slot_never_exceed_the_plan_in_any_window() -> None:
    # Given four workers that share one slot record and one (fake) wall clock
    state, wall = FakeState(), FakeWall()
    policy = PacingPolicy(limit_per_window=10, window_seconds=60)
    limiters = [RateLimiter(state, policy, wall_ms=wall.now, sleep=wall.sleep) for _ in range(4)]
    calls: list[int] = []
    # When they take turns asking for 60 calls in all
    for i in range(60):
        limiters[i % 4].acquire(max_wait_seconds=600)
        calls.append(wall.now())
    # Then no 60-second window (sliding) holds more than 10 calls
    for i, start in enumerate(calls):
        in_window = [t for t in calls[i:] if t - start < 60_000]
        assert len(in_window) <= 10
    # And the pace is close to the ideal (60 calls at 10/min = 6 minutes)
    assert calls[-1] - calls[0] <= 59 * 6_000 * 1.06


def test_a_worker_that_wakes_too_late_gives_its_slot_up_and_queues_again() -> None:
    # Given a worker whose sleep overruns its slot by 2 s (a descheduled container)
    state, wall = FakeState(), FakeWall()
    policy = PacingPolicy(limit_per_window=10, window_seconds=60)
    punctual = RateLimiter(state, policy, wall_ms=wall.now, sleep=lambda s: None)
    punctual.acquire(max_wait_seconds=600)  # books the line ahead
    overruns = [2_000]

    def late_sleep(seconds: float) -> None:
        wall.ms += int(seconds * 1000) + (overruns.pop() if overruns else 0)

    late = RateLimiter(state, policy, wall_ms=wall.now, sleep=late_sleep)
    # When it acquires a slot
    late.acquire(max_wait_seconds=600)
    # Then the late slot was dropped and the call starts on time for the next one it booked
    assert late.late_slots == 1 and late.slots == 1
    assert wall.now() - 1_000_000 == 2 * policy.interval_ms


def test_giving_a_late_slot_up_never_waits_past_the_deadline() -> None:
    # Given a line booked 50 s ahead and a worker whose every sleep overruns by 2 s
    state, wall = FakeState(), FakeWall()
    policy = PacingPolicy(limit_per_window=10, window_seconds=60)
    other = RateLimiter(state, policy, wall_ms=wall.now, sleep=lambda s: None)
    for _ in range(8):
        other.acquire(max_wait_seconds=1_000)

    def late_sleep(seconds: float) -> None:
        wall.ms += int(seconds * 1000) + 2_000

    late = RateLimiter(state, policy, wall_ms=wall.now, sleep=late_sleep)
    started = wall.now()
    # When it may wait 60 s at most
    with pytest.raises(NoCapacityError):
        late.acquire(max_wait_seconds=60)
    # Then it gave up before sleeping past its deadline (plus one overrun)
    assert wall.now() - started <= 62_000


def test_no_slot_soon_enough_hands_the_work_back() -> None:
    state, wall = FakeState(), FakeWall()
    policy = PacingPolicy(limit_per_window=5, window_seconds=60)
    other = RateLimiter(state, policy, wall_ms=wall.now, sleep=lambda s: None)
    for _ in range(5):
        other.acquire(max_wait_seconds=1_000)  # books five slots ahead without waiting
    mine = RateLimiter(state, policy, wall_ms=wall.now, sleep=wall.sleep)
    with pytest.raises(NoCapacityError) as caught:
        mine.acquire(max_wait_seconds=10)
    assert 55 <= caught.value.retry_after <= 65


def test_budget_refuses_reservations_past_the_month_and_settles_to_actual() -> None:
    state = FakeState()
    budget = CreditBudget(state, monthly_budget=10)
    budget.reserve("2026-11", 4)
    budget.settle("2026-11", reserved=4, used=1)
    budget.reserve("2026-11", 4)
    budget.reserve("2026-11", 4)
    assert state.spent["2026-11"] == 9
    with pytest.raises(BudgetExhaustedError):
        budget.reserve("2026-11", 4)
    budget.reserve("2026-12", 4)  # a new month starts afresh
    assert state.used["2026-11"] == 1
