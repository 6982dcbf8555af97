"""Cooldown per hashtag and rule, with one escalation: the pure decision the alert store applies.

Times are the alerts' event times (snapshot cycles), not the wall clock, so a re-run of the
same snapshots decides the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from hashtag_tracker.rules.alert import Alert

# An escalation must come from a reading at least this far from the alerted one: its 6-hour
# window then no longer overlaps the alerted window, so it is a bigger moment, not the same
# moment read again an hour later (hourly polls of a hot tag, README "Polling").
ESCALATION_GAP = timedelta(hours=6)


class ClaimOutcome(StrEnum):
    NEW = "new"  # first alert of its window, outside any cooldown: publish
    ESCALATION = "escalation"  # clearly bigger than the alerted one inside the cooldown
    TAKEOVER = "takeover"  # a claim whose publisher died before confirming: publish again
    DUPLICATE = "duplicate"  # this (hashtag, rule, window) was already published or is in flight
    COOLDOWN = "cooldown"  # another window of this rule alerted recently

    @property
    def publish(self) -> bool:
        return self in (ClaimOutcome.NEW, ClaimOutcome.ESCALATION, ClaimOutcome.TAKEOVER)


@dataclass(frozen=True, slots=True)
class CooldownState:
    """What the store remembers per (hashtag, rule)."""

    last_key: str
    last_at: datetime
    magnitude: float
    escalated: bool
    version: int

    def until(self, cooldown_hours: int) -> datetime:
        return self.last_at + timedelta(hours=cooldown_hours)


def decide(state: CooldownState | None, alert: Alert) -> tuple[ClaimOutcome, CooldownState | None]:
    """The outcome for `alert` given its rule's cooldown state, and the state to write.

    Returns (NEW, None) for rules without a cooldown (milestones): their window key alone
    makes them once-only. COOLDOWN writes the state only to raise its peak magnitude.
    """
    if alert.cooldown_hours == 0:
        return ClaimOutcome.NEW, None
    version = state.version + 1 if state else 1
    if state is not None and state.last_key == alert.key:
        # This very alert wrote the cooldown, and its record is gone: its publish failed
        # and was released, or its publisher died. Claim it again; never lose it.
        again = ClaimOutcome.ESCALATION if state.escalated else ClaimOutcome.NEW
        return again, replace(state, version=version)
    cooldown = timedelta(hours=alert.cooldown_hours)
    # abs(): a late or out-of-order snapshot just before the alerted one is inside it too.
    if state is None or abs(alert.at - state.last_at) >= cooldown:
        return ClaimOutcome.NEW, CooldownState(
            alert.key, alert.at, alert.magnitude, escalated=False, version=version
        )
    apart = abs(alert.at - state.last_at) >= ESCALATION_GAP
    if (
        apart
        and not state.escalated
        and alert.magnitude >= state.magnitude * alert.escalation_factor
    ):
        # The cooldown keeps running from the first alert: one escalation, then quiet.
        return ClaimOutcome.ESCALATION, replace(
            state, last_key=alert.key, magnitude=alert.magnitude, escalated=True, version=version
        )
    if not state.escalated and alert.magnitude > state.magnitude:
        # The same moment read again, stronger: remember its peak, so only a spike this many
        # times bigger than anything seen of it escalates (hourly polls of a hot tag).
        return ClaimOutcome.COOLDOWN, replace(state, magnitude=alert.magnitude, version=version)
    return ClaimOutcome.COOLDOWN, None


@dataclass(frozen=True, slots=True)
class Claim:
    """The store's answer for one alert: publish it or not, and what to undo if publishing fails."""

    alert: Alert
    outcome: ClaimOutcome
    token: str | None = None
    previous: CooldownState | None = None
    written: CooldownState | None = None

    @property
    def publish(self) -> bool:
        return self.outcome.publish
