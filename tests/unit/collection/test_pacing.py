"""The shared rate limiter and the credit budget."""

from __future__ import annotations

from datetime import datetime

import pytest

from hashtag_tracker.collection.pacing import (
    BudgetExhaustedError,
    CreditBudget,
    NoCapacityError,
    PacingPolicy,
    RateLimiter,
)
from hashtag_tracker.models.bookkeeping import SlotAnswer
from tests.unit.collection.fakes import FakeState

PLAN = PacingPolicy(limit_per_window=10, window_seconds=60)  # a slot every 6.3 s


class FakeWall:
    def __init__(self) -> None:
        self.ms = 1_000_000

    def now(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)

    def limiter(self, state: FakeState, policy: PacingPolicy) -> RateLimiter:
        """A limiter on this wall clock, whose sleeps move the clock."""
        return RateLimiter(state, policy, wall_ms=self.now, sleep=self.sleep)


def test_workers_sharing_the_slot_never_exceed_the_plan_in_any_window() -> None:
    # Given four workers that share one slot record and one (fake) wall clock
    state, wall = FakeState(), FakeWall()
    limiters = [wall.limiter(state, PLAN) for _ in range(4)]
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
    punctual = RateLimiter(state, PLAN, wall_ms=wall.now, sleep=lambda s: None)
    punctual.acquire(max_wait_seconds=600)  # books the line ahead
    overruns = [2_000]

    def late_sleep(seconds: float) -> None:
        wall.ms += int(seconds * 1000) + (overruns.pop() if overruns else 0)

    late = RateLimiter(state, PLAN, wall_ms=wall.now, sleep=late_sleep)
    # When it acquires a slot
    late.acquire(max_wait_seconds=600)
    # Then the late slot was dropped and the call starts on time for the next one it booked
    assert late.late_slots == 1 and late.slots == 1
    assert wall.now() - 1_000_000 == 2 * PLAN.interval_ms


def test_giving_a_late_slot_up_never_waits_past_the_deadline() -> None:
    # Given a line booked 50 s ahead and a worker whose every sleep overruns by 2 s
    state, wall = FakeState(), FakeWall()
    other = RateLimiter(state, PLAN, wall_ms=wall.now, sleep=lambda s: None)
    for _ in range(8):
        other.acquire(max_wait_seconds=1_000)

    def late_sleep(seconds: float) -> None:
        wall.ms += int(seconds * 1000) + 2_000

    late = RateLimiter(state, PLAN, wall_ms=wall.now, sleep=late_sleep)
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
    mine = wall.limiter(state, policy)
    with pytest.raises(NoCapacityError) as caught:
        mine.acquire(max_wait_seconds=10)
    assert 55 <= caught.value.retry_after <= 65


def test_budget_refuses_reservations_past_the_month_and_settles_to_actual() -> None:
    state = FakeState()
    budget = CreditBudget(state, monthly_budget=10)
    first = budget.reserve("2026-11", 4)
    budget.settle(first, used=1)
    budget.reserve("2026-11", 4)
    budget.reserve("2026-11", 4)
    assert state.spent["2026-11"] == 9
    with pytest.raises(BudgetExhaustedError):
        budget.reserve("2026-11", 4)
    budget.reserve("2026-12", 4)  # a new month starts afresh
    assert state.used["2026-11"] == 1


class CountingState(FakeState):
    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    def reserve_slot(self, observed_ms: int | None, slot_ms: int, next_ms: int) -> SlotAnswer:
        self.requests += 1
        return super().reserve_slot(observed_ms, slot_ms, next_ms)

    def reserve_credits(self, month: str, amount: int, budget: int) -> bool:
        self.requests += 1
        return super().reserve_credits(month, amount, budget)

    def settle_credits(
        self,
        month: str,
        reserved: int,
        used: int,
        balance: int | None = None,
        now: datetime | None = None,
    ) -> int | None:
        self.requests += 1
        return super().settle_credits(month, reserved, used, balance, now)


def test_a_batch_pool_reserves_and_settles_once_with_the_same_totals() -> None:
    # Given a pool opened for five records' worst case (4 credits each)
    state = CountingState()
    budget = CreditBudget(state, monthly_budget=1_000)
    assert budget.open_pool("2026-11", 20)
    # When five records reserve their worst case and use 1, 2, 1, 4 and 5 credits
    for used in (1, 2, 1, 4, 5):
        budget.settle(budget.reserve("2026-11", 4), used=used)
    # Then nothing was written until the pool closes, once, to what was really used
    assert state.requests == 1 and state.spent["2026-11"] == 20
    budget.close_pool()
    assert state.requests == 2
    assert state.spent["2026-11"] == 13 and state.used["2026-11"] == 13


def test_a_batch_the_budget_cannot_cover_reserves_record_by_record() -> None:
    # Given 6 credits left in the month and a batch whose worst case is 8
    state = FakeState()
    budget = CreditBudget(state, monthly_budget=10)
    budget.settle(budget.reserve("2026-11", 4), used=4)
    # When the pool cannot be opened
    assert not budget.open_pool("2026-11", 8)
    # Then records still use the month's last credits one by one, and the next one is refused
    budget.settle(budget.reserve("2026-11", 4), used=4)
    with pytest.raises(BudgetExhaustedError):
        budget.reserve("2026-11", 4)
    assert state.spent["2026-11"] == 8


def test_a_pooled_reservation_settled_after_its_pool_counts_its_use_once() -> None:
    state = FakeState()
    budget = CreditBudget(state, monthly_budget=100)
    budget.open_pool("2026-11", 8)
    late = budget.reserve("2026-11", 4)
    budget.close_pool()  # gives all 8 back: the record had not settled yet
    budget.settle(late, used=3)
    assert state.spent["2026-11"] == 3 and state.used["2026-11"] == 3


def _alternating_batches(block: bool) -> tuple[int, list[int]]:
    """Two workers alternate batches of five calls, 40 calls in all: (requests, call times)."""
    state, wall = CountingState(), FakeWall()
    limiters = [wall.limiter(state, PLAN) for _ in range(2)]
    calls: list[int] = []
    for batch in range(8):
        limiter = limiters[batch % 2]
        for left in range(5, 0, -1):
            limiter.acquire(max_wait_seconds=600, block=left if block else 1)
            calls.append(wall.now())
    return state.requests, calls


def test_a_block_of_slots_costs_one_request_and_keeps_the_plan() -> None:
    # Given two workers booking blocks of slots for their batches, or one slot per call
    requests, calls = _alternating_batches(block=True)
    one_by_one, _ = _alternating_batches(block=False)
    # Then a batch costs one booking (plus one compare-and-swap that misses after the other
    # worker's turn) instead of one per call
    assert one_by_one >= 40 and requests <= 2 * 8
    # And no 60-second window holds more than 10 calls, at the ideal pace
    for i, start in enumerate(calls):
        assert len([t for t in calls[i:] if t - start < 60_000]) <= 10
    assert calls[-1] - calls[0] <= 39 * 6_000 * 1.06


def test_booked_slots_a_worker_wakes_too_late_for_are_dropped_not_used() -> None:
    # Given a worker that booked five slots and then overslept by 21 s
    state, wall = FakeState(), FakeWall()
    limiter = wall.limiter(state, PLAN)
    limiter.acquire(max_wait_seconds=600, block=5)
    first = wall.now()
    wall.ms += 21_000
    # When it asks for its next slot
    limiter.acquire(max_wait_seconds=600)
    # Then the slots that passed are given up and it calls at a slot still ahead
    assert limiter.late_slots == 3
    assert wall.now() == first + 4 * PLAN.interval_ms


def test_a_block_never_books_past_the_deadline() -> None:
    state, wall = FakeState(), FakeWall()
    limiter = wall.limiter(state, PLAN)
    limiter.acquire(max_wait_seconds=15, block=10)  # room for 3 slots within 15 s
    assert state.next_ms == 1_000_000 + 3 * PLAN.interval_ms


def test_pools_open_only_while_every_running_worker_could_hold_one() -> None:
    # Given a month with 100 credits left and up to 4 workers running at once
    state = FakeState()
    state.spent["2026-11"] = 900
    budget = CreditBudget(state, monthly_budget=1_000, pool_headroom=4)
    # Then a batch whose worst case is 20 pools (100 - 20 leaves 4 more pools' worth)
    assert budget.open_pool("2026-11", 20)
    budget.close_pool()
    # And with 90 left it does not: its records reserve one by one
    state.spent["2026-11"] = 910
    assert not budget.open_pool("2026-11", 20)
    budget.settle(budget.reserve("2026-11", 4), used=1)
    assert state.spent["2026-11"] == 911


def test_slots_booked_for_records_that_needed_no_call_go_back_to_the_line() -> None:
    # Given a worker that booked five slots and used one (four redeliveries needed no call)
    state, wall = FakeState(), FakeWall()
    mine = wall.limiter(state, PLAN)
    mine.acquire(max_wait_seconds=600, block=5)
    used = wall.now()
    # When its batch ends
    mine.give_back()
    # Then the next worker's call comes one interval after the used slot, not five
    other = wall.limiter(state, PLAN)
    other.acquire(max_wait_seconds=600)
    assert wall.now() == used + PLAN.interval_ms


def test_slots_are_not_given_back_once_another_worker_booked_after_them() -> None:
    state, wall = FakeState(), FakeWall()
    mine = RateLimiter(state, PLAN, wall_ms=wall.now, sleep=lambda s: None)
    other = RateLimiter(state, PLAN, wall_ms=wall.now, sleep=lambda s: None)
    mine.acquire(max_wait_seconds=600, block=3)
    other.acquire(max_wait_seconds=600)  # books after my block
    booked_end = state.next_ms
    mine.give_back()
    assert state.next_ms == booked_end  # rewinding would hand out the other worker's slot


def test_a_container_too_slow_for_booked_slots_books_one_at_a_time() -> None:
    # Given a container whose work between two calls takes 4 s against 6.3 s slots
    state, wall = CountingState(), FakeWall()
    limiter = wall.limiter(state, PLAN)
    for left in range(5, 0, -1):
        limiter.acquire(max_wait_seconds=600, block=left)
        wall.ms += 4_000
    # Then after its first block it stops booking ahead (booked slots would pass unused)
    assert not limiter.books_ahead()
    booked = state.requests
    limiter.acquire(max_wait_seconds=600, block=5)
    assert state.requests == booked + 1 and state.next_ms == wall.now() + PLAN.interval_ms
    # And a fast container books ahead
    fast = wall.limiter(state, PLAN)
    for _ in range(3):
        fast.acquire(max_wait_seconds=600, block=3)
        wall.ms += 100
    assert fast.books_ahead()


def test_a_cold_container_books_no_short_slots_ahead() -> None:
    # Given a 50-a-second plan (slots 22 ms apart, shorter than a cold container's first call)
    state, wall = FakeState(), FakeWall()
    fast = wall.limiter(state, PacingPolicy(50, 1.0))
    # When a container that has not timed its work asks for its batch's first call
    fast.acquire(max_wait_seconds=60, block=5)
    # Then it books its own slot only: the record points one slot on, not five
    assert state.next_ms == wall.now() + PacingPolicy(50, 1.0).interval_ms
    # While a 10-a-minute plan's 6.3 s slots are booked for the whole batch at once
    slow_state = FakeState()
    slow = wall.limiter(slow_state, PLAN)
    slow.acquire(max_wait_seconds=600, block=5)
    assert slow_state.next_ms == wall.now() + 5 * PLAN.interval_ms
