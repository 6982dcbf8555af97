"""Scheduler Lambda: at each tick, fan out one fetch message per hashtag the planner picks."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.collection.scheduler import (
    SchedulerEventError,
    fan_out,
    tick_time_from_event,
)
from hashtag_tracker.config import SchedulerSettings, load_settings
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.wiring.scheduler import SchedulerDeps, make_scheduler_deps


@lru_cache(maxsize=1)
def container() -> SchedulerDeps:
    return make_scheduler_deps(load_settings(SchedulerSettings))


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, deps: SchedulerDeps | None = None
) -> dict[str, Any]:
    deps = deps or container()
    now = deps.clock.now()
    try:
        when = tick_time_from_event(event, now)
    except SchedulerEventError as exc:
        # Nothing claimed or sent; the failed invocation reaches ScheduledDLQ and its alarm.
        logger.error("scheduler event refused", extra={"reason": str(exc)})
        raise
    result = fan_out(when, settings=deps.settings, ports=deps.ports(), now=now)
    metrics.add_metric(name="HashtagsScheduled", unit="Count", value=result.sent)
    metrics.add_metric(name="InvalidHashtagItems", unit="Count", value=len(result.invalid))
    if result.claimed:
        metrics.add_metric(name="PollsDue", unit="Count", value=result.due)
        metrics.add_metric(name="PollsCarriedOver", unit="Count", value=result.carried)
        metrics.add_metric(name="TickCallCapacity", unit="Count", value=result.call_capacity)
        metrics.add_metric(name="TickCreditAllowance", unit="Count", value=result.credit_allowance)
        metrics.add_metric(name="TickCreditsPlanned", unit="Count", value=result.credits_planned)
        if result.stretched_hours is not None:
            metrics.add_metric(
                name="EffectiveIntervalHours", unit="Count", value=result.stretched_hours
            )
    logger.info("fan-out done", extra=result.as_dict())
    return result.as_dict()
