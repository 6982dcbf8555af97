"""The Scheduler function's dependencies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hashtag_tracker.clock import Clock, SystemClock
from hashtag_tracker.collection.notices import OpsNotices
from hashtag_tracker.collection.ports import CycleClaims, Notices, PlanBook
from hashtag_tracker.collection.scheduler import TickPorts, TickSettings
from hashtag_tracker.config import SchedulerSettings
from hashtag_tracker.models.hashtag import ScanResult
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.plan import DynamoPlanStore
from hashtag_tracker.storage.queue import SqsFetchQueue
from hashtag_tracker.storage.state import DynamoStateStore
from hashtag_tracker.storage.topic import SnsNoticeTopic


@dataclass
class SchedulerDeps:
    settings: TickSettings
    hashtags: DynamoHashtagStore
    claims: CycleClaims
    queue: SqsFetchQueue
    plans: PlanBook
    clock: Clock
    notices: Notices | None = None

    def tracked(self) -> Iterable[ScanResult]:
        return self.hashtags.scan()

    def ports(self) -> TickPorts:
        return TickPorts(
            items=self.tracked(),
            claims=self.claims,
            sink=self.queue,
            plans=self.plans,
            queue=self.queue,
            notices=self.notices,
        )


def tick_settings(settings: SchedulerSettings) -> TickSettings:
    return TickSettings(
        tick_minutes=settings.tick_minutes,
        fixed_interval_hours=settings.fixed_hours,
        rate_per_window=float(settings.pacing_window[0]),
        window_seconds=60.0 * settings.pacing_window[1] / settings.rate_window_seconds,
        monthly_budget=settings.monthly_credit_budget,
    )


def make_scheduler_deps(settings: SchedulerSettings, clock: Clock | None = None) -> SchedulerDeps:
    clock = clock or SystemClock()
    state = DynamoStateStore(settings.state_table)
    notices = None
    if settings.alert_topic_arn:
        notices = OpsNotices(state, SnsNoticeTopic(settings.alert_topic_arn).publish, clock)
    return SchedulerDeps(
        settings=tick_settings(settings),
        hashtags=DynamoHashtagStore(settings.hashtags_table),
        claims=state,
        queue=SqsFetchQueue(settings.fetch_queue_url),
        plans=DynamoPlanStore(settings.state_table),
        clock=clock,
        notices=notices,
    )
