"""The scheduler: at each tick, one fetch message per tag the planner picks, once per tick."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hashtag_tracker.clock import event_time, tick_start, to_iso
from hashtag_tracker.collection.balance import month_bounds
from hashtag_tracker.collection.messages import MAX_BODY_BYTES, FetchMessage
from hashtag_tracker.collection.planner import (
    CAPACITY_MARGIN,
    Candidate,
    Poll,
    TickBudget,
    bounds_for,
    plan_tick,
    resolution,
    sample_calls,
    tick_allowance,
    tick_calls,
)
from hashtag_tracker.collection.policy import FetchPolicy
from hashtag_tracker.collection.ports import (
    CycleClaims,
    MessageQueue,
    Notices,
    PlanBook,
    QueueDepth,
)
from hashtag_tracker.models.hashtag import InvalidItem, ScanResult
from hashtag_tracker.models.plan import InFlight, PlanEntry, TickFigures
from hashtag_tracker.observability import logger

# A claim older than this, never finished, is taken over (the first scheduler died).
# The scheduler's timeout (300 s): a claim older than that belongs to a run that is gone.
STALE_CLAIM = timedelta(minutes=5)
SEND_CHUNK = 500
# A sent poll holds its tag this long at least (README, "Polling"): longer than a queued
# message takes, deferrals included; a message that ends in the DLQ frees its tag then.
IN_FLIGHT_LEASE = timedelta(hours=3)

# How far an event's `time` may be from the clock (README, "Collection schedule"). The
# schedule's event carries the time its tick was due and reaches the function seconds later;
# a time ahead of the clock would claim a future cycle and store today's counts under it
# (the real cycle then refused as already claimed), so a quarter of an hour of clock skew
# is the most allowed. A late event is a retry: EventBridge retries for up to 1 h and
# Lambda's asynchronous queue keeps an event for up to 6 h, so an older time is a replayed
# or hand-written event, whose cycle would get counts read many hours after it.
MAX_EVENT_AHEAD = timedelta(minutes=15)
MAX_EVENT_AGE = timedelta(hours=6)


class SchedulerEventError(ValueError):
    """The Scheduler function's event names no usable time; the message says what to send."""


def tick_time_from_event(event: Any, now: datetime) -> datetime:
    """The tick's time from an EventBridge scheduled event (`time`, ISO 8601 with a zone),
    in UTC; SchedulerEventError, one line, for a missing, unparsable or far-off time."""
    if not isinstance(event, dict):
        raise SchedulerEventError('the event must be a JSON object, e.g. {"time": "...Z"}')
    raw = event.get("time")
    if raw is None:
        raise SchedulerEventError(
            'the event has no "time"; send the schedule\'s event, e.g. {"time": "...Z"}'
        )
    when = event_time(raw, "time", SchedulerEventError)
    if when > now + MAX_EVENT_AHEAD:
        raise SchedulerEventError(
            f"time {raw!r} is more than {_minutes(MAX_EVENT_AHEAD)} minutes ahead of the "
            f"clock ({to_iso(now)}); a future cycle is never claimed"
        )
    if when < now - MAX_EVENT_AGE:
        raise SchedulerEventError(
            f"time {raw!r} is more than {_minutes(MAX_EVENT_AGE) // 60} hours before the "
            f"clock ({to_iso(now)}); a past cycle is not fanned out again"
        )
    return when


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


@dataclass(frozen=True)
class TickSettings:
    """How the schedule ticks and what the account allows (template parameters)."""

    tick_minutes: int = 60
    # Every tag polled at exactly this interval (hours); None: the adaptive planner.
    fixed_interval_hours: float | None = None
    # The plan's calls per pacing window (a minute, or a second for a per-second plan): the
    # unit the provider's X-RateLimit-Limit is read in.
    rate_per_window: float = 10.0
    window_seconds: float = 60.0
    monthly_budget: int = 20_000
    policy: FetchPolicy = field(default_factory=FetchPolicy)

    @property
    def tick_length(self) -> timedelta:
        return timedelta(minutes=self.tick_minutes)

    def in_flight_lease(self) -> timedelta:
        """How long a sent poll holds its tag before the tag may be sent again (a message
        lost to the DLQ frees it then)."""
        return max(IN_FLIGHT_LEASE, 3 * self.tick_length)


@dataclass
class FanOutResult:
    cycle: datetime
    claimed: bool
    sent: int = 0
    skipped_inactive: int = 0
    invalid: list[InvalidItem] = field(default_factory=list)
    due: int = 0
    carried: int = 0
    in_flight: int = 0
    samples: int = 0
    call_capacity: int = 0
    credit_allowance: int = 0
    credits_planned: int = 0
    rate_per_minute: float = 0.0
    # Every tag's interval when the account cannot poll them all at their longest; None: can.
    stretched_hours: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "cycle": to_iso(self.cycle),
            "claimed": self.claimed,
            "sent": self.sent,
            "skipped_inactive": self.skipped_inactive,
            "invalid": len(self.invalid),
            "due": self.due,
            "carried": self.carried,
            "in_flight": self.in_flight,
            "samples": self.samples,
            "call_capacity": self.call_capacity,
            "credit_allowance": self.credit_allowance,
            "credits_planned": self.credits_planned,
            "rate_per_minute": self.rate_per_minute,
            "stretched_hours": self.stretched_hours,
        }


def candidates(
    items: Iterable[ScanResult],
    tick: datetime,
    entries: dict[str, PlanEntry],
    flights: dict[str, InFlight],
    result: FanOutResult,
) -> list[Candidate]:
    """Active tags in their dates, with their plans; invalid items reported and skipped."""
    today = tick.date()
    found: list[Candidate] = []
    for item in items:
        if isinstance(item, InvalidItem):
            logger.warning(
                "skipped invalid hashtag item", extra={"item": item.key, "reason": item.reason}
            )
            result.invalid.append(item)
            continue
        if not item.is_due(today):
            result.skipped_inactive += 1
            continue
        entry = entries.get(item.hashtag)
        flight = flights.get(item.hashtag)
        held = flight is not None and flight.holds(tick, entry)
        found.append(Candidate(item, entry, in_flight=held))
    return found


def _too_long(message: FetchMessage, size: int, result: FanOutResult) -> None:
    reason = f"its fetch message is {size} bytes, more than the {MAX_BODY_BYTES} SQS allows"
    logger.warning(
        "skipped hashtag item", extra={"item": message.hashtag.hashtag, "reason": reason}
    )
    result.invalid.append(InvalidItem(message.hashtag.hashtag, reason))


@dataclass
class TickPorts:
    """What one tick reads and writes."""

    items: Iterable[ScanResult]
    claims: CycleClaims
    sink: MessageQueue
    plans: PlanBook
    queue: QueueDepth
    notices: Notices | None = None


def tick_budget(
    settings: TickSettings, tick: datetime, figures: TickFigures, queued: int
) -> tuple[TickBudget, float]:
    """The tick's calls and credits, and the rate per minute it used: the lower of the setting
    and what the provider's X-RateLimit-Limit reported (in the setting's window)."""
    per_window = settings.rate_per_window
    if figures.header_limit is not None:
        per_window = min(per_window, float(figures.header_limit))
    rate = per_window * 60 / settings.window_seconds
    _, month_end = month_bounds(tick)
    remaining = settings.monthly_budget - figures.credits_spent
    return (
        TickBudget(
            calls=tick_calls(rate, settings.tick_length, queued),
            credits=tick_allowance(remaining, tick, month_end, settings.tick_length),
        ),
        rate,
    )


def fan_out(
    event_time: datetime, *, settings: TickSettings, ports: TickPorts, now: datetime
) -> FanOutResult:
    """Send the tick's polls: the due tags the planner picks within the tick's budget.

    The tick comes from the schedule's own time, so a retried or double-fired event names
    the same tick; the claim makes the second one a no-op.
    """
    tick = tick_start(event_time, settings.tick_minutes)
    result = FanOutResult(cycle=tick, claimed=ports.claims.claim_cycle(tick, now, STALE_CLAIM))
    if not result.claimed:
        logger.info("tick already fanned out; nothing to do", extra={"cycle": to_iso(tick)})
        return result
    try:
        _fan_out(tick, settings, ports, result)
    except Exception:
        # Lambda retries the event in a minute or two: the retry must find the tick free
        # (what was already sent is sent again; snapshots are idempotent per tick).
        ports.claims.release_cycle(tick, now)
        raise
    ports.claims.finish_cycle(tick, result.sent, len(result.invalid))
    return result


def _fan_out(
    tick: datetime, settings: TickSettings, ports: TickPorts, result: FanOutResult
) -> None:
    tags = candidates(ports.items, tick, ports.plans.read_all(), ports.plans.in_flight(), result)
    figures = ports.plans.tick_figures(tick.strftime("%Y-%m"))
    budget, rate = tick_budget(settings, tick, figures, ports.queue.depth())
    plan = plan_tick(tags, tick, settings.tick_length, budget, settings.policy)
    result.due, result.carried, result.in_flight = plan.due, plan.carried, plan.in_flight
    result.samples, result.credits_planned = plan.samples, plan.credits
    result.call_capacity, result.credit_allowance = budget.calls, budget.credits
    result.rate_per_minute = rate
    sent = _send(tick, plan.polls, ports.sink, result)
    ports.plans.mark_in_flight(sent, tick, tick + settings.in_flight_lease())
    _check_resolution(tags, tick, settings, figures, rate, ports.notices, result)


def _send(
    tick: datetime, polls: Sequence[Poll], sink: MessageQueue, result: FanOutResult
) -> list[str]:
    batch: list[str] = []
    names: list[str] = []
    for poll in polls:
        message = FetchMessage(
            cycle=tick, hashtag=poll.hashtag, page_calls=poll.page_calls, plan=poll.entry
        )
        body = message.body()
        if len(body.encode("utf-8")) > MAX_BODY_BYTES:
            # Never reached by a valid item (messages.py bounds it); one body SQS would
            # refuse must not fail the batch it rides in, and every batch after it.
            _too_long(message, len(body.encode("utf-8")), result)
            continue
        batch.append(body)
        names.append(poll.hashtag.hashtag)
        if len(batch) >= SEND_CHUNK:
            result.sent += sink.send_bodies(batch)
            batch = []
    if batch:
        result.sent += sink.send_bodies(batch)
    return names


def _check_resolution(
    tags: Sequence[Candidate],
    tick: datetime,
    settings: TickSettings,
    figures: TickFigures,
    rate: float,
    notices: Notices | None,
    result: FanOutResult,
) -> None:
    """When the account cannot poll every tag at its longest interval: the stretched
    interval in the result (a metric) and one ops notice a month."""
    if not tags:
        return
    _, month_end = month_bounds(tick)
    hours_left = max(1.0, (month_end - tick).total_seconds() / 3600)
    remaining = max(0, settings.monthly_budget - figures.credits_spent)
    fixed = settings.fixed_interval_hours
    need = resolution(
        [bounds_for(c.hashtag, fixed) for c in tags],
        [sample_calls(settings.policy, c.hashtag.kind) for c in tags],
        calls_per_hour=rate * 60 * (1 - CAPACITY_MARGIN),
        credits_per_hour=remaining / hours_left,
    )
    if need.enough:
        return
    # Nothing allowed at all (the month's credits are spent): every interval is as long as
    # the month's remaining hours, the metric's honest figure until it resets.
    result.stretched_hours = need.effective_hours or round(hours_left, 2)
    if notices is None:
        return
    longest = max(bounds_for(c.hashtag, fixed).max_hours for c in tags)
    try:
        notices.once(
            f"capacity#{tick.strftime('%Y-%m')}",
            "More hashtags than the plan can poll at their longest intervals",
            need.text(longest),
        )
    except Exception as exc:  # the next tick tries again
        logger.error("capacity notice not published", extra={"error": str(exc)[:300]})
