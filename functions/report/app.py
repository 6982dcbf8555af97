"""Report Lambda: the weekly schedule, or {"as_of": ISO} on demand -> S3 files + topic summary."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.clock import process_clock
from hashtag_tracker.config import settings
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.report.run import as_of_from_event, make_report
from hashtag_tracker.report.sources import StoreReportSources
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.reports import ReportTopic, S3ReportStore
from hashtag_tracker.storage.snapshots import SnapshotStore
from hashtag_tracker.storage.videos import VideoLedger


@logger.inject_lambda_context(log_event=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = settings()
    now = process_clock().now()
    as_of = as_of_from_event(event, now)
    sources = StoreReportSources(
        DynamoHashtagStore(config.hashtags_table),
        SnapshotStore(config.snapshots_table),
        VideoLedger(config.videos_table),
    )
    publisher = ReportTopic(config.alert_topic_arn) if config.alert_topic_arn else None
    result = make_report(
        as_of, sources, S3ReportStore(config.reports_bucket), publisher, generated_at=now
    )
    return result.as_dict()
