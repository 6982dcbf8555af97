"""Clocks passed into logic, so tests and the simulator control time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; thread-safe so workers can share it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


def to_iso(when: datetime) -> str:
    """Canonical UTC text form used in keys: 2026-11-22T12:00:00Z (sortable)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    """Parse a timestamp written by to_iso (or any ISO 8601 with an offset) into UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without timezone: {text!r}")
    return parsed.astimezone(UTC)


TICK_MINUTES = (15, 30, 60)


def tick_start(when: datetime, tick_minutes: int) -> datetime:
    """The start of the schedule's tick containing `when` (ticks align to UTC midnight)."""
    if tick_minutes <= 0 or 1440 % tick_minutes:
        raise ValueError(f"tick_minutes must divide a day, got {tick_minutes}")
    when = when.astimezone(UTC)
    minute = (when.hour * 60 + when.minute) // tick_minutes * tick_minutes
    return when.replace(hour=minute // 60, minute=minute % 60, second=0, microsecond=0)


def event_time(raw: object, name: str, error: type[Exception]) -> datetime:
    """An event's ISO 8601 time with a timezone, in UTC; anything else raises `error` with a
    one-line reason naming the field (`name`)."""
    if not isinstance(raw, str):
        raise error(f"{name} must be an ISO 8601 text with a timezone, got {raw!r}")
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise error(f"{name} {raw!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise error(f"{name} {raw!r} has no timezone; add Z or +00:00")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise error(f"{name} {raw!r} is out of range") from None
