"""The Report function's dependencies."""

from __future__ import annotations

from dataclasses import dataclass

from hashtag_tracker.clock import Clock, SystemClock
from hashtag_tracker.config import ReportSettings
from hashtag_tracker.report.digest_run import DigestDeps
from hashtag_tracker.report.model import RankBy
from hashtag_tracker.report.ports import ReportSink, ReportSources, SummaryPublisher
from hashtag_tracker.report.run import MarkedSink
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.report_sources import DynamoReportSources
from hashtag_tracker.storage.reports import S3ReportStore, SnsReportTopic
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker.storage.state import DynamoStateStore
from hashtag_tracker.storage.topic import SnsTopic
from hashtag_tracker.storage.videos import DynamoVideoLedger


@dataclass
class ReportDeps:
    sources: ReportSources
    sink: ReportSink
    # None: no alert topic is set, so the report is stored but not announced.
    publisher: SummaryPublisher | None
    clock: Clock
    # What the scheduled report ranks by (REPORT_RANK_BY); an on-demand event's rank_by wins.
    rank_by: RankBy = RankBy.GROWTH
    # The daily digest's topic, budget and once-a-day marks; None: no alert topic is set.
    digest: DigestDeps | None = None


def make_report_deps(settings: ReportSettings, clock: Clock | None = None) -> ReportDeps:
    # The State table keeps the balance shown in the report and the marks that keep one
    # report and one summary per window (report/run.py); without it neither is kept.
    state = DynamoStateStore(settings.state_table) if settings.state_table else None
    store = S3ReportStore(settings.reports_bucket)
    sources = DynamoReportSources(
        DynamoHashtagStore(settings.hashtags_table),
        DynamoSnapshotStore(settings.snapshots_table),
        DynamoVideoLedger(settings.videos_table),
        state,
    )
    digest = (
        DigestDeps(
            sources, SnsTopic(settings.alert_topic_arn), state, settings.monthly_credit_budget
        )
        if settings.alert_topic_arn
        else None
    )
    return ReportDeps(
        sources=sources,
        sink=MarkedSink(store, state) if state is not None else store,
        publisher=SnsReportTopic(settings.alert_topic_arn) if settings.alert_topic_arn else None,
        clock=clock or SystemClock(),
        rank_by=RankBy(settings.rank_by),
        digest=digest,
    )
