"""Day over day: the last 24 hours' new views against the 24 hours before (pure).

One definition serves the CLI's `status`, the daily digest and the report, so a tag is never
"rising" in one place and "stable" in another. The label speaks of the counts themselves
(new views per day), never of growth rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.rules.growth import DAY_TOLERANCE, DAY_WINDOW

# A day's new views within ±10 % of the day before is "stable".
STABLE_BAND = 0.10


class DayLabel(StrEnum):
    RISING = "rising"
    FALLING = "falling"
    STABLE = "stable"


@dataclass(frozen=True, slots=True)
class DayOverDay:
    """New views in the last day (`today`) and the day before (`yesterday`), and the label."""

    today: int
    yesterday: int
    label: DayLabel

    @property
    def ratio(self) -> float | None:
        return None if self.yesterday <= 0 else self.today / self.yesterday


def label_for(today: int, yesterday: int, band: float = STABLE_BAND) -> DayLabel:
    """rising when today ≥ yesterday × (1 + band) (and above 0), falling when today ≤
    yesterday × (1 − band), stable otherwise (both 0 is stable)."""
    if today >= yesterday * (1 + band) and today > yesterday:
        return DayLabel.RISING
    if today <= yesterday * (1 - band) and today < yesterday:
        return DayLabel.FALLING
    return DayLabel.STABLE


def _nearest(snapshots: Sequence[Snapshot], target: datetime) -> Snapshot | None:
    """The usable snapshot with views nearest `target`, within DAY_TOLERANCE of it."""
    near = [
        s
        for s in snapshots
        if s.usable and s.views is not None and abs(s.cycle - target) <= DAY_TOLERANCE
    ]
    return min(near, key=lambda s: (abs(s.cycle - target), s.cycle)) if near else None


def day_over_day(snapshots: Sequence[Snapshot], now: datetime) -> DayOverDay | None:
    """The label from the newest usable snapshot at or before `now` and the ones nearest
    24 h and 48 h before it; None when any of the three is missing (never a guess)."""
    usable = [s for s in snapshots if s.usable and s.views is not None and s.cycle <= now]
    if not usable:
        return None
    last = max(usable, key=lambda s: s.cycle)
    day_ago = _nearest(usable, last.cycle - DAY_WINDOW)
    two_days_ago = _nearest(usable, last.cycle - 2 * DAY_WINDOW)
    if day_ago is None or two_days_ago is None or not two_days_ago.cycle < day_ago.cycle:
        return None
    assert last.views is not None and day_ago.views is not None and two_days_ago.views is not None
    today = max(0, last.views - day_ago.views)
    yesterday = max(0, day_ago.views - two_days_ago.views)
    return DayOverDay(today, yesterday, label_for(today, yesterday))
