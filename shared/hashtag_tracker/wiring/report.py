"""The Report function's dependencies."""

from __future__ import annotations

from dataclasses import dataclass

from hashtag_tracker.clock import Clock, SystemClock
from hashtag_tracker.config import ReportSettings
from hashtag_tracker.report.ports import ReportSink, ReportSources, SummaryPublisher
from hashtag_tracker.report.run import MarkedSink
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.report_sources import DynamoReportSources
from hashtag_tracker.storage.reports import S3ReportStore, SnsReportTopic
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker.storage.state import DynamoStateStore
from hashtag_tracker.storage.videos import DynamoVideoLedger


@dataclass
class ReportDeps:
    sources: ReportSources
    sink: ReportSink
    # None: no alert topic is set, so the report is stored but not announced.
    publisher: SummaryPublisher | None
    clock: Clock


def make_report_deps(settings: ReportSettings, clock: Clock | None = None) -> ReportDeps:
    # The State table keeps the balance shown in the report and the marks that keep one
    # report and one summary per window (report/run.py); without it neither is kept.
    state = DynamoStateStore(settings.state_table) if settings.state_table else None
    store = S3ReportStore(settings.reports_bucket)
    return ReportDeps(
        sources=DynamoReportSources(
            DynamoHashtagStore(settings.hashtags_table),
            DynamoSnapshotStore(settings.snapshots_table),
            DynamoVideoLedger(settings.videos_table),
            state,
        ),
        sink=MarkedSink(store, state) if state is not None else store,
        publisher=SnsReportTopic(settings.alert_topic_arn) if settings.alert_topic_arn else None,
        clock=clock or SystemClock(),
    )
