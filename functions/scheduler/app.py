"""Scheduler Lambda: on each collection tick, fan out one fetch message per tracked hashtag."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.clock import from_iso, process_clock
from hashtag_tracker.collection.scheduler import fan_out
from hashtag_tracker.config import settings
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.queue import FetchQueue
from hashtag_tracker.storage.state import StateStore


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    config = settings()
    result = fan_out(
        from_iso(event.time),
        cycle_hours=config.cycle_hours,
        items=DynamoHashtagStore(config.hashtags_table).scan(),
        claims=StateStore(config.state_table),
        sink=FetchQueue(config.fetch_queue_url),
        now=process_clock().now(),
    )
    metrics.add_metric(name="HashtagsScheduled", unit="Count", value=result.sent)
    metrics.add_metric(name="InvalidHashtagItems", unit="Count", value=len(result.invalid))
    logger.info("fan-out done", extra=result.as_dict())
    return result.as_dict()
