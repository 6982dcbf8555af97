"""Judge a fresh stats answer against the previous usable counters (pure, no I/O).

Upstream sometimes answers videoCount or viewCount 0 for a live hashtag: a 0 after a
non-zero value is SUSPECT and kept apart from real data. So is a 0 with no usable value
before it (a first reading, or one after the usable history expired): it could be that same
glitch, so it is never a baseline; the first non-zero reading becomes the baseline instead.
Counts that went down (deleted videos) are real but noteworthy: DECREASED, a data-quality
event, still usable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class StatsQuality(StrEnum):
    OK = "ok"
    SUSPECT = "suspect"
    DECREASED = "decreased"


class Counters(Protocol):
    @property
    def views(self) -> int | None: ...
    @property
    def videos(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class QualityReport:
    quality: StatsQuality
    # Which counters were 0 after non-zero values ("views", "videos").
    zeroed: tuple[str, ...] = ()
    # Which counters are lower than their previous usable value.
    decreased: tuple[str, ...] = ()
    # Which counters are 0 with no usable value before them: no baseline yet.
    unbased: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return self.quality is not StatsQuality.SUSPECT

    @property
    def reason(self) -> str | None:
        """Why a SUSPECT reading is kept apart (stored as the snapshot's reason)."""
        if self.zeroed:
            return "zero_glitch"
        if self.unbased:
            return "zero_without_baseline"
        return None


def _last_known(previous: Sequence[Counters], field: str) -> int | None:
    """The newest non-null value of one counter; `previous` is oldest first."""
    for snapshot in reversed(previous):
        value: int | None = getattr(snapshot, field)
        if value is not None:
            return value
    return None


def assess_stats(fresh: Counters, previous: Sequence[Counters]) -> QualityReport:
    """Compare each counter with its newest previous usable value (oldest-first history)."""
    zeroed: list[str] = []
    decreased: list[str] = []
    unbased: list[str] = []
    for field in ("views", "videos"):
        now: int | None = getattr(fresh, field)
        before = _last_known(previous, field)
        if now == 0 and before is None:
            unbased.append(field)
        if now is None or before is None:
            continue
        if now == 0 and before > 0:
            zeroed.append(field)
        elif now < before:
            decreased.append(field)
    if zeroed or unbased:
        return QualityReport(StatsQuality.SUSPECT, tuple(zeroed), tuple(decreased), tuple(unbased))
    if decreased:
        return QualityReport(StatsQuality.DECREASED, (), tuple(decreased))
    return QualityReport(StatsQuality.OK)


def classify_stats(fresh: Counters, previous: Sequence[Counters]) -> StatsQuality:
    """OK, SUSPECT (a 0 after non-zero or with nothing before: keep apart) or DECREASED
    (usable, but report it)."""
    return assess_stats(fresh, previous).quality
