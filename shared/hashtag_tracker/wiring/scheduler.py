"""The Scheduler function's dependencies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hashtag_tracker.clock import Clock, SystemClock
from hashtag_tracker.collection.ports import CycleClaims, MessageQueue
from hashtag_tracker.config import SchedulerSettings
from hashtag_tracker.models.hashtag import ScanResult
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.queue import SqsFetchQueue
from hashtag_tracker.storage.state import DynamoStateStore


@dataclass
class SchedulerDeps:
    cycle_hours: int
    hashtags: DynamoHashtagStore
    claims: CycleClaims
    queue: MessageQueue
    clock: Clock

    def tracked(self) -> Iterable[ScanResult]:
        return self.hashtags.scan()


def make_scheduler_deps(settings: SchedulerSettings, clock: Clock | None = None) -> SchedulerDeps:
    return SchedulerDeps(
        cycle_hours=settings.cycle_hours,
        hashtags=DynamoHashtagStore(settings.hashtags_table),
        claims=DynamoStateStore(settings.state_table),
        queue=SqsFetchQueue(settings.fetch_queue_url),
        clock=clock or SystemClock(),
    )
