"""The scheduler: on each tick, one fetch message per due hashtag, once per cycle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hashtag_tracker.clock import cycle_start, event_time, to_iso
from hashtag_tracker.collection.messages import MAX_BODY_BYTES, FetchMessage
from hashtag_tracker.collection.ports import CycleClaims, MessageQueue
from hashtag_tracker.models.hashtag import InvalidItem, ScanResult
from hashtag_tracker.observability import logger

# A claim older than this, never finished, is taken over (the first scheduler died).
# The scheduler's timeout (300 s): a claim older than that belongs to a run that is gone.
STALE_CLAIM = timedelta(minutes=5)
SEND_CHUNK = 500

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


@dataclass
class FanOutResult:
    cycle: datetime
    claimed: bool
    sent: int = 0
    skipped_inactive: int = 0
    invalid: list[InvalidItem] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "cycle": to_iso(self.cycle),
            "claimed": self.claimed,
            "sent": self.sent,
            "skipped_inactive": self.skipped_inactive,
            "invalid": len(self.invalid),
        }


def plan_messages(
    items: Iterable[ScanResult], cycle: datetime, result: FanOutResult
) -> Iterable[FetchMessage]:
    """Due hashtags become messages; invalid items are reported and skipped."""
    today = cycle.date()
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
        yield FetchMessage(cycle=cycle, hashtag=item)


def _too_long(message: FetchMessage, size: int, result: FanOutResult) -> None:
    reason = f"its fetch message is {size} bytes, more than the {MAX_BODY_BYTES} SQS allows"
    logger.warning(
        "skipped hashtag item", extra={"item": message.hashtag.hashtag, "reason": reason}
    )
    result.invalid.append(InvalidItem(message.hashtag.hashtag, reason))


def fan_out(
    event_time: datetime,
    *,
    cycle_hours: int,
    items: Iterable[ScanResult],
    claims: CycleClaims,
    sink: MessageQueue,
    now: datetime,
) -> FanOutResult:
    """Send one message per due hashtag for the cycle containing `event_time`.

    The cycle comes from the schedule's own time, so a retried or double-fired event names
    the same cycle; the claim makes the second one a no-op.
    """
    cycle = cycle_start(event_time, cycle_hours)
    result = FanOutResult(cycle=cycle, claimed=claims.claim_cycle(cycle, now, STALE_CLAIM))
    if not result.claimed:
        logger.info("cycle already fanned out; nothing to do", extra={"cycle": to_iso(cycle)})
        return result
    try:
        batch: list[str] = []
        for message in plan_messages(items, cycle, result):
            body = message.body()
            if len(body.encode("utf-8")) > MAX_BODY_BYTES:
                # Never reached by a valid item (messages.py bounds it); one body SQS would
                # refuse must not fail the batch it rides in, and every batch after it.
                _too_long(message, len(body.encode("utf-8")), result)
                continue
            batch.append(body)
            if len(batch) >= SEND_CHUNK:
                result.sent += sink.send_bodies(batch)
                batch = []
        if batch:
            result.sent += sink.send_bodies(batch)
    except Exception:
        # Lambda retries the event in a minute or two: the retry must find the cycle free
        # (what was already sent is sent again; snapshots are idempotent per cycle).
        claims.release_cycle(cycle, now)
        raise
    claims.finish_cycle(cycle, result.sent, len(result.invalid))
    return result
