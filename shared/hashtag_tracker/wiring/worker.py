"""The Worker function's dependencies: clients and the rate limiter made once per container,
and each invocation's WorkerDeps built from them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.clock import Clock, SystemClock
from hashtag_tracker.collection.batch import BatchClaims, BatchProgress
from hashtag_tracker.collection.meter import CallMeter
from hashtag_tracker.collection.notices import OpsNotices
from hashtag_tracker.collection.pacing import CreditBudget, PacingPolicy, RateLimiter
from hashtag_tracker.collection.worker import AlertHook, WorkerDeps
from hashtag_tracker.config import WorkerSettings
from hashtag_tracker.observability import logger
from hashtag_tracker.source.http import Urllib3Transport
from hashtag_tracker.source.scavio import ScavioProvider, plan_slot_seconds
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.plan import DynamoPlanStore
from hashtag_tracker.storage.queue import SqsFetchQueue
from hashtag_tracker.storage.secrets import load_api_key
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker.storage.state import DynamoStateStore
from hashtag_tracker.storage.topic import SnsNoticeTopic
from hashtag_tracker.storage.videos import DynamoVideoLedger

# Leave this much of the Lambda's time for writing results and answering SQS.
SAFETY_SECONDS = 20.0


@dataclass
class WorkerContainer:
    """What one worker container makes once and every invocation reuses: clients, the one
    connection pool to the data API, and the rate limiter (it remembers the last slot it
    saw, so the next invocation's first compare-and-swap usually succeeds)."""

    settings: WorkerSettings
    clock: Clock
    state: DynamoStateStore
    snapshots: DynamoSnapshotStore
    ledger: DynamoVideoLedger
    hashtags: DynamoHashtagStore
    queue: SqsFetchQueue
    topic: SnsNoticeTopic
    plans: DynamoPlanStore
    limiter: RateLimiter
    transport: Urllib3Transport
    alerts: AlertHook | None
    # Extra ScavioProvider arguments (timeouts, backoff); the fault harness scales them.
    provider_options: dict[str, Any] = field(default_factory=dict)

    def invocation(self, context: LambdaContext, progress: BatchProgress) -> WorkerDeps:
        """One invocation's dependencies; `progress` tells the rate limiter how many records
        are left, so it books their slots in one request."""
        config = self.settings
        limiter = self.limiter
        progress.on_end.append(limiter.give_back)

        def remaining() -> float:
            return float(context.get_remaining_time_in_millis()) / 1000

        # The limiter paces to a lower X-RateLimit-Limit from the answer that reports it.
        meter = CallMeter(follow_rate_limit=limiter.follow_header)
        provider = ScavioProvider(
            config.api_base_url,
            api_key=lambda: load_api_key(config.api_key_secret),
            remaining_seconds=lambda: max(0.0, remaining() - SAFETY_SECONDS),
            before_call=lambda: limiter.acquire(
                max(0.0, remaining() - SAFETY_SECONDS), block=progress.calls_ahead()
            ),
            on_call=meter.record,
            transport=self.transport,
            # A 429 waits at least one slot of the plan, never retries at once.
            min_429_wait=plan_slot_seconds(limiter.limit, config.pacing_window[1]),
            **self.provider_options,
        )
        return WorkerDeps(
            provider=provider,
            snapshots=self.snapshots,
            ledger=self.ledger,
            hashtags=self.hashtags,
            budget=CreditBudget(
                self.state,
                config.monthly_credit_budget,
                pool_headroom=config.worker_max_concurrency,
            ),
            requeue=self.queue,
            notices=OpsNotices(self.state, self.topic.publish, self.clock),
            clock=self.clock,
            meter=meter,
            retention=timedelta(days=config.retention_days),
            max_attempts=config.worker_max_attempts,
            alerts=self.alerts,
            # Each invocation owns its claims: a fresh id, never shared with a redelivery's.
            claims=BatchClaims(self.state, owner=uuid.uuid4().hex),
            carry=self.state,
            plans=self.plans,
            fixed_interval_hours=config.fixed_hours,
        )


def make_alert_hook(settings: WorkerSettings, clock: Clock) -> AlertHook | None:
    """The alert rules, run after each new snapshot; None when no alert topic is set."""
    if not settings.alert_topic_arn:
        logger.warning("ALERT_TOPIC_ARN is empty: alert rules are off")
        return None
    # Imported here, as before the wiring moved: the rules load with the first invocation,
    # not with the handler module (bench/RESULTS.md measures the module import).
    from hashtag_tracker.notify.dispatcher import AlertDispatcher
    from hashtag_tracker.storage.alerts import DynamoAlertStore, SnsAlertPublisher

    return AlertDispatcher(
        DynamoAlertStore(settings.state_table), SnsAlertPublisher(settings.alert_topic_arn), clock
    )


def make_worker_container(
    settings: WorkerSettings,
    clock: Clock | None = None,
    *,
    provider_options: dict[str, Any] | None = None,
    alerts: Callable[[WorkerSettings, Clock], AlertHook | None] = make_alert_hook,
) -> WorkerContainer:
    clock = clock or SystemClock()
    state = DynamoStateStore(settings.state_table)
    return WorkerContainer(
        settings=settings,
        clock=clock,
        state=state,
        snapshots=DynamoSnapshotStore(settings.snapshots_table),
        ledger=DynamoVideoLedger(settings.videos_table),
        hashtags=DynamoHashtagStore(settings.hashtags_table),
        queue=SqsFetchQueue(settings.fetch_queue_url),
        topic=SnsNoticeTopic(settings.alert_topic_arn),
        plans=DynamoPlanStore(settings.state_table),
        limiter=RateLimiter(state, PacingPolicy(*settings.pacing_window)),
        transport=Urllib3Transport(),
        alerts=alerts(settings, clock),
        provider_options=dict(provider_options or {}),
    )
