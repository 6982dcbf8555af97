"""Keep every worker together under the plan's rate limit, and the month under its budget.

The limiter spaces calls evenly (one slot every window/limit seconds, plus a margin), so no
60-second window, fixed or sliding, ever holds more than the plan allows. Workers share the
next free slot through one compare-and-swap record in DynamoDB. A worker that starts too late
for its slot (a slow compare-and-swap, a descheduled container) gives the slot up and queues
again: a late call followed by punctual ones would squeeze more calls into one window than
the plan allows.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from hashtag_tracker.collection.ports import CreditStore, SlotStore

SAFETY_MARGIN = 0.05
# Below this, lateness cannot be told from the host's own scheduling noise (only a heavily
# time-scaled plan, in tests, has windows that short).
MIN_LATE_TOLERANCE_MS = 10
MAX_CAS_ATTEMPTS = 50
# Slots are booked ahead only while this container's work between two calls takes under this
# share of a slot: slower, and the slots it booked would pass before it could use them.
BLOCK_WORK_SHARE = 0.5
# Slots at least this long are booked ahead by a container that has not timed its work yet.
COLD_BOOKING_MS = 1_000


class NoCapacityError(RuntimeError):
    """No call slot is free soon enough; hand the work back for `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"no rate-limit slot free for {retry_after:.1f}s")
        self.retry_after = retry_after


class BudgetExhaustedError(RuntimeError):
    """The monthly credit budget would be overspent; stop calling until next month."""


@dataclass(frozen=True)
class PacingPolicy:
    limit_per_window: int
    window_seconds: float = 60.0

    @property
    def interval_ms(self) -> int:
        return int(self.window_seconds * 1000 * (1 + SAFETY_MARGIN) / self.limit_per_window) + 1

    @property
    def late_tolerance_ms(self) -> int | None:
        """How late a call may start after its slot: half the margin a window leaves."""
        tolerance = int(self.window_seconds * 1000 * SAFETY_MARGIN / 2)
        return tolerance if tolerance >= MIN_LATE_TOLERANCE_MS else None


class RateLimiter:
    """Grants call slots shared by all workers; sleeps until the slot, never past a deadline."""

    def __init__(
        self,
        store: SlotStore,
        policy: PacingPolicy,
        *,
        wall_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._policy = policy
        self._configured = policy.limit_per_window
        self._wall_ms = wall_ms
        self._sleep = sleep
        self._observed: int | None = None
        self._pool: deque[int] = deque()  # slots booked ahead by this container, in order
        self.waited_seconds = 0.0
        self.slots = 0
        self.late_slots = 0
        self._returned_ms: int | None = None
        self._work_ms: float | None = None  # moving average of the time between calls

    @property
    def limit(self) -> int:
        """Calls per window this limiter allows now."""
        return self._policy.limit_per_window

    def follow_header(self, reported: int) -> bool:
        """Pace at the lower of the setting and the limit the provider reported
        (X-RateLimit-Limit); True when that changed the pace."""
        limit = max(1, min(self._configured, reported))
        if limit == self._policy.limit_per_window:
            return False
        self._policy = replace(self._policy, limit_per_window=limit)
        return True

    def acquire(self, max_wait_seconds: float, block: int = 1) -> None:
        """Block until this caller owns a call slot, or raise NoCapacityError.

        `block` is how many calls the caller expects to make soon (one per record left in
        its SQS batch): one compare-and-swap then books that many consecutive slots, which
        this container uses one per call, in order, before it books again.
        """
        interval = self._policy.interval_ms
        started = self._wall_ms()
        self._note_work(started, interval)
        if not self.books_ahead():
            block = 1
        # One deadline for every attempt: a late slot given up must not restart the budget.
        deadline = started + max_wait_seconds * 1000
        attempts = 0
        while attempts < MAX_CAS_ATTEMPTS:
            now = self._wall_ms()
            slot = self._pooled(now, deadline)
            if slot is None:
                attempts += 1
                slot = now if self._observed is None else max(now, self._observed)
                if slot > deadline:
                    raise NoCapacityError((slot - now) / 1000)
                count = max(1, min(block, 1 + int((deadline - slot) // interval)))
                answer = self._store.reserve_slot(self._observed, slot, slot + count * interval)
                self._observed = answer.observed_ms
                if not answer.granted:
                    continue
                self._pool.extend(slot + i * interval for i in range(1, count))
            wait = (slot - now) / 1000
            if wait > 0:
                self.waited_seconds += wait
                self._sleep(wait)
            if self._is_late(slot):
                self.late_slots += 1
                continue
            self.slots += 1
            self._returned_ms = self._wall_ms()
            return
        raise NoCapacityError(self._policy.interval_ms / 1000)

    def books_ahead(self) -> bool:
        """Whether this container's calls come fast enough to use slots booked ahead. Before
        it has timed its work, only when slots are long (COLD_BOOKING_MS): a cold container's
        first call outlasts a 20 ms slot (50 a second), and the slots it booked would pass."""
        interval = self._policy.interval_ms
        if self._work_ms is None:
            return interval >= COLD_BOOKING_MS
        return self._work_ms < BLOCK_WORK_SHARE * interval

    def _note_work(self, now_ms: int, interval_ms: int) -> None:
        """Time since the last call started: the container's work between calls. A gap of
        several slots is idle time between batches, not work, and is left out."""
        if self._returned_ms is None:
            return
        gap = now_ms - self._returned_ms
        if gap > 4 * interval_ms:
            return
        self._work_ms = gap if self._work_ms is None else 0.7 * self._work_ms + 0.3 * gap

    def _pooled(self, now_ms: int, deadline_ms: float) -> int | None:
        """The next slot this container booked earlier and can still use; None if none.

        Slots already too late are dropped; a slot past the deadline stays booked for a
        later call (of this invocation or the container's next one) and ends this wait.
        """
        tolerance = self._policy.late_tolerance_ms or 0
        while self._pool and now_ms - self._pool[0] > tolerance:
            self._pool.popleft()
            self.late_slots += 1
        if not self._pool:
            return None
        if self._pool[0] > deadline_ms:
            raise NoCapacityError((self._pool[0] - now_ms) / 1000)
        return self._pool.popleft()

    def give_back(self) -> None:
        """Hand the slots booked ahead but not used (records that needed no call) back to
        the line, when nobody has booked after them; else they pass unused."""
        now = self._wall_ms()
        unused = [slot for slot in self._pool if slot > now]
        self._pool.clear()
        if not unused or self._observed is None:
            return
        answer = self._store.reserve_slot(self._observed, unused[0], unused[0])
        self._observed = answer.observed_ms

    def _is_late(self, slot_ms: int) -> bool:
        """A call starting this late may land right before the next booked slot."""
        tolerance = self._policy.late_tolerance_ms
        return tolerance is not None and self._wall_ms() - slot_ms > tolerance


@dataclass(frozen=True)
class Reservation:
    """Credits set aside for one message; `pooled` ones came from the batch's pool."""

    month: str
    amount: int
    pooled: bool = False


@dataclass
class _Pool:
    month: str
    reserved: int
    available: int
    used: int = 0


class CreditBudget:
    """Reserves credits before calls and settles to what was really charged.

    A worker opens one pool for its whole SQS batch (one conditional update for every
    record's worst case) and settles it once; records then reserve from the pool without a
    request. A pool opens only while the month has `pool_headroom` more such pools' worth
    left (the number of workers that may run at once), so pools held by every running worker
    never leave another worker's record without credits. Closer to the budget, records
    reserve one by one, so the month's last credits are still used precisely.
    """

    def __init__(self, store: CreditStore, monthly_budget: int, pool_headroom: int = 1) -> None:
        self._store = store
        self._budget = monthly_budget
        self._headroom = max(1, pool_headroom)
        self._pool: _Pool | None = None

    def open_pool(self, month: str, amount: int) -> bool:
        """Reserve `amount` for the coming records; False (no pool) if the month can't."""
        if amount <= 0 or self._pool is not None:
            return False
        limit = self._budget - amount * self._headroom
        if limit < amount or not self._store.reserve_credits(month, amount, limit):
            return False
        self._pool = _Pool(month, amount, amount)
        return True

    def close_pool(self, balance: int | None = None, now: datetime | None = None) -> int | None:
        """Give the pool's unused credits back and count what its records used; with it the
        account balance the provider last reported. Returns the month's credits used so far
        when known (no pool: nothing is written, None)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return None
        return self._store.settle_credits(pool.month, pool.reserved, pool.used, balance, now)

    def reserve(self, month: str, amount: int) -> Reservation:
        pool = self._pool
        if pool is not None and pool.month == month and 0 < amount <= pool.available:
            pool.available -= amount
            return Reservation(month, amount, pooled=True)
        if amount > 0 and not self._store.reserve_credits(month, amount, self._budget):
            raise BudgetExhaustedError(
                f"monthly credit budget of {self._budget} reached for {month}"
            )
        return Reservation(month, max(0, amount))

    def settle(self, reservation: Reservation, used: int) -> None:
        pool = self._pool
        if reservation.pooled and pool is not None and pool.month == reservation.month:
            pool.available += reservation.amount - used
            pool.used += used
        elif reservation.pooled:
            # Its pool was closed first and gave the whole amount back: count the use only.
            if used:
                self._store.settle_credits(reservation.month, 0, used)
        elif reservation.amount or used:
            self._store.settle_credits(reservation.month, reservation.amount, used)
