"""A tracked hashtag's polling plan: its current interval, when it is next due, and why.

The system owns these records (State table, partition "plan"), never the user-edited
Hashtags items: the worker writes one after each reading, the scheduler reads them all once
per tick, the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from msgspec import Meta

from hashtag_tracker.models.codec import Record

# Longest interval any setting allows (a week): a bound for stored and user-given values.
MAX_INTERVAL_HOURS = 168.0
MIN_INTERVAL_HOURS = 0.25
MAX_REASON_LENGTH = 200


class PlanEntry(Record, frozen=True, kw_only=True):
    hashtag: str
    # The current polling interval, between the tag's minimum and maximum.
    interval_hours: Annotated[float, Meta(ge=MIN_INTERVAL_HOURS, le=MAX_INTERVAL_HOURS)]
    # The tick at or after which the tag is due again.
    next_due: Annotated[datetime, Meta(tz=True)]
    # Why the interval is what it is, in words (e.g. "hot: 160 new videos/6 h of 200").
    reason: Annotated[str, Meta(max_length=MAX_REASON_LENGTH)]
    # The tick of the reading that set this plan.
    last_poll: Annotated[datetime, Meta(tz=True)] | None = None
    # How close the tag is to its viral threshold (1.0 = at it), as last measured.
    heat: Annotated[float, Meta(ge=0)] = 0.0
    # The UTC day of the tag's last daily sample (video page, comments).
    sampled_on: date | None = None
    # The tick of the tag's last viral alert (its cooldown: readings of the same moment).
    alerted_at: Annotated[datetime, Meta(tz=True)] | None = None

    def due(self, tick: datetime) -> bool:
        return self.next_due <= tick

    def overdue(self, tick: datetime) -> float:
        """How many intervals have passed since the last poll (1.0 = just due)."""
        if self.last_poll is None:
            return 1.0
        return (tick - self.last_poll).total_seconds() / 3600 / self.interval_hours


@dataclass(frozen=True, slots=True)
class InFlight:
    """A poll the scheduler sent at `tick` and no reading has answered yet (until `until`)."""

    tick: datetime
    until: datetime

    def holds(self, tick: datetime, entry: PlanEntry | None) -> bool:
        """Still in flight at `tick`: not expired, and no reading since it was sent."""
        answered = (
            entry is not None and entry.last_poll is not None and entry.last_poll >= self.tick
        )
        return self.until > tick and not answered


@dataclass(frozen=True, slots=True)
class TickFigures:
    """What a tick reads besides the plan: the month's credits so far (reserved or spent)
    and the rate limit the provider's headers reported (None: never said)."""

    credits_spent: int
    header_limit: int | None
