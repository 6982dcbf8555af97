"""Scheduler Lambda: on each collection tick, fan out one fetch message per tracked hashtag."""

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
    result = fan_out(
        when,
        cycle_hours=deps.cycle_hours,
        items=deps.tracked(),
        claims=deps.claims,
        sink=deps.queue,
        now=now,
    )
    metrics.add_metric(name="HashtagsScheduled", unit="Count", value=result.sent)
    metrics.add_metric(name="InvalidHashtagItems", unit="Count", value=len(result.invalid))
    logger.info("fan-out done", extra=result.as_dict())
    return result.as_dict()
