"""Growth over a window: base snapshot, deltas, per-hour velocity and growth % (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hashtag_tracker.models.snapshot import Snapshot

VIRAL_WINDOW = timedelta(hours=6)
DAY_WINDOW = timedelta(hours=24)
# How far before the window's start the base may sit: one missed 6-hour cycle is
# tolerated for the day window; irregular cycles (4 h, 8 h) still find a base for 6 h.
VIRAL_TOLERANCE = timedelta(hours=2)
DAY_TOLERANCE = timedelta(hours=6)
# The viral window may be shorter, down to 2 h, when no reading is near its start (a tag
# whose interval just tightened from 6 or 12 h to 1 h): fewer hours only understate growth
# against the 6-hour thresholds, so it never makes a false alert. The day window never is:
# its low-activity rule would read a short window as a quiet day.
VIRAL_SHORTER = timedelta(hours=4)
# With no reading that near, the viral rule reads the span back to a reading at most this far
# before the window's start (rules/engine.py viral_over_longer): 8 h reaches a reading 14 h
# back, the longest default interval (12 h) and a tick or two carried over; older is no
# longer news.
VIRAL_LONGEST = timedelta(hours=8)
COUNTERS = ("views", "videos")


@dataclass(frozen=True, slots=True)
class CounterGrowth:
    """One counter between the window's base and now."""

    start: int
    end: int
    hours: float

    @property
    def delta(self) -> int:
        return self.end - self.start

    @property
    def decreased(self) -> bool:
        return self.end < self.start

    @property
    def rise(self) -> int:
        """The growth: the delta, or 0 when the counter went backwards (never negative)."""
        return max(0, self.delta)

    @property
    def per_hour(self) -> float:
        return self.rise / self.hours

    @property
    def pct(self) -> float | None:
        """Growth % against the start value; None when it started at 0 (no base to divide)."""
        if self.start <= 0:
            return None
        return 100.0 * self.rise / self.start


@dataclass(frozen=True, slots=True)
class WindowGrowth:
    base_cycle: datetime
    end_cycle: datetime
    hours: float
    views: CounterGrowth
    videos: CounterGrowth

    @property
    def decreased(self) -> tuple[str, ...]:
        """Counters lower than at the window's start: a data-quality event, not growth."""
        return tuple(name for name in COUNTERS if getattr(self, name).decreased)


def usable_before(snapshot: Snapshot, history: Sequence[Snapshot]) -> list[Snapshot]:
    """Usable snapshots strictly before `snapshot`, oldest first."""
    return sorted(
        (s for s in history if s.usable and s.cycle < snapshot.cycle),
        key=lambda s: s.cycle,
    )


def find_base(
    snapshot: Snapshot,
    history: Sequence[Snapshot],
    window: timedelta,
    tolerance: timedelta,
    shorter: timedelta = timedelta(0),
) -> Snapshot | None:
    """The usable snapshot nearest cycle − window: at most `tolerance` before it, or at most
    `shorter` after it (a shorter window, which only understates growth); None when none is
    that near. The earlier one wins a tie.

    Cycle times (aligned to the schedule) choose the base, not `taken_at`, so a worker that
    ran a few minutes late does not push the base out of the window.
    """
    target = snapshot.cycle - window
    candidates = [
        s
        for s in usable_before(snapshot, history)
        if target - tolerance <= s.cycle <= target + shorter
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda s: (abs(s.cycle - target), s.cycle > target))


def _high_water(history: Sequence[Snapshot], until: datetime, counter: str) -> int:
    # The highest value seen up to the base: a counter that fell and came back has not
    # grown, so a rebound after deleted videos never reads as growth.
    values: list[int | None] = [getattr(s, counter) for s in history if s.cycle <= until]
    return max(v for v in values if v is not None)


def window_growth(
    snapshot: Snapshot,
    history: Sequence[Snapshot],
    window: timedelta,
    tolerance: timedelta,
    shorter: timedelta = timedelta(0),
) -> WindowGrowth | None:
    """Growth of `snapshot` over `window`; None when it is unusable or there is no base."""
    if not snapshot.usable or snapshot.views is None or snapshot.videos is None:
        return None
    base = find_base(snapshot, history, window, tolerance, shorter)
    if base is None:
        return None
    earlier = usable_before(snapshot, history)
    elapsed = (snapshot.taken_at - base.taken_at).total_seconds() / 3600
    if elapsed <= 0:
        # Clocks disagree (taken_at out of order): fall back on the schedule's spacing.
        elapsed = (snapshot.cycle - base.cycle).total_seconds() / 3600
    scheduled = (snapshot.cycle - base.cycle).total_seconds() / 3600
    if elapsed - scheduled > tolerance.total_seconds() / 3600:
        # Taken long after its cycle (a DLQ redrive, a backlog): its counters hold more time
        # than the window, so comparing them with the window's thresholds would be false.
        # (Lateness, not elapsed time: a 4- or 8-hour schedule's base already sits 8 h back.)
        return None
    return WindowGrowth(
        base_cycle=base.cycle,
        end_cycle=snapshot.cycle,
        hours=elapsed,
        views=CounterGrowth(_high_water(earlier, base.cycle, "views"), snapshot.views, elapsed),
        videos=CounterGrowth(_high_water(earlier, base.cycle, "videos"), snapshot.videos, elapsed),
    )


def previous_high(snapshot: Snapshot, history: Sequence[Snapshot], counter: str) -> int | None:
    """The highest usable value of `counter` before `snapshot`; None without history."""
    values = [getattr(s, counter) for s in usable_before(snapshot, history)]
    known = [v for v in values if v is not None]
    return max(known) if known else None
