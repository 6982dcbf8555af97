"""Wiring for the Worker Lambda: typed SQS records, dependencies, one record's handling."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.clock import process_clock
from hashtag_tracker.collection.batch import BatchClaims, BatchProgress
from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.meter import CallMeter
from hashtag_tracker.collection.notices import OpsNotices
from hashtag_tracker.collection.pacing import CreditBudget, PacingPolicy, RateLimiter
from hashtag_tracker.collection.sqs import PartialBatchResponse, SqsRecord, partial_batch_response
from hashtag_tracker.collection.worker import (
    FETCH_LEASE,
    AlertHook,
    CollectResult,
    FatalRunError,
    RetryLaterError,
    WorkerDeps,
    collect,
)
from hashtag_tracker.config import Settings, settings
from hashtag_tracker.models.codec import DecodeError, ValidationError, decode_json
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.source.http import Urllib3Transport
from hashtag_tracker.source.scavio import ScavioProvider
from hashtag_tracker.source.secrets import load_api_key
from hashtag_tracker.storage.errors import StorageError
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.queue import FetchQueue
from hashtag_tracker.storage.snapshots import SnapshotStore
from hashtag_tracker.storage.state import StateStore
from hashtag_tracker.storage.topic import NoticeTopic
from hashtag_tracker.storage.videos import VideoLedger

# Leave this much of the Lambda's time for writing results and answering SQS.
SAFETY_SECONDS = 20.0


@dataclass(frozen=True)
class FetchRecord:
    """The parts of an SQS record the worker uses; a bad body fails this record alone."""

    message_id: str
    body: FetchMessage
    receive_count: int

    @classmethod
    def from_record(cls, record: SqsRecord) -> FetchRecord:
        """Raises DecodeError (bad JSON, or a body that is not a fetch message)."""
        count = record.receive_count
        receive_count = int(count) if count.isascii() and count.isdigit() else 0
        if receive_count < 1:
            raise ValidationError(f"receive count {count!r} is not a count of at least 1")
        return cls(record.message_id, decode_json(record.body, FetchMessage), receive_count)


class _Stores:
    """Clients made once per container and reused by every invocation."""

    def __init__(self, config: Settings) -> None:
        self.state = StateStore(config.state_table)
        self.snapshots = SnapshotStore(config.snapshots_table)
        self.ledger = VideoLedger(config.videos_table)
        self.hashtags = DynamoHashtagStore(config.hashtags_table)
        self.queue = FetchQueue(config.fetch_queue_url)
        self.topic = NoticeTopic(config.alert_topic_arn)


@lru_cache(maxsize=1)
def _stores() -> _Stores:
    return _Stores(settings())


@lru_cache(maxsize=1)
def _rate_limiter() -> RateLimiter:
    """One per container: it remembers the last slot it saw, so the next invocation's first
    compare-and-swap usually succeeds instead of missing once."""
    config = settings()
    return RateLimiter(
        _stores().state, PacingPolicy(config.rate_limit_per_minute, config.rate_window_seconds)
    )


@lru_cache(maxsize=1)
def _transport() -> Urllib3Transport:
    """One connection pool per container, so calls reuse their TLS connection."""
    return Urllib3Transport()


@lru_cache(maxsize=1)
def alert_hook() -> AlertHook | None:
    """The alert rules, run after each new snapshot; None when no alert topic is set."""
    config = settings()
    if not config.alert_topic_arn:
        logger.warning("ALERT_TOPIC_ARN is empty: alert rules are off")
        return None
    from hashtag_tracker.notify.dispatcher import build_dispatcher

    return build_dispatcher(config.state_table, config.alert_topic_arn, process_clock())


def build_worker_deps(context: LambdaContext, progress: BatchProgress | None = None) -> WorkerDeps:
    """The worker's dependencies for one invocation; `progress` tells the rate limiter how
    many records are left, so it books their slots in one request."""
    config = settings()
    stores = _stores()
    clock = process_clock()
    limiter = _rate_limiter()
    ahead = progress or BatchProgress()
    ahead.on_end.append(limiter.give_back)

    def remaining() -> float:
        return float(context.get_remaining_time_in_millis()) / 1000

    meter = CallMeter()
    provider = ScavioProvider(
        config.api_base_url,
        api_key=lambda: load_api_key(config.api_key_secret),
        remaining_seconds=lambda: max(0.0, remaining() - SAFETY_SECONDS),
        before_call=lambda: limiter.acquire(
            max(0.0, remaining() - SAFETY_SECONDS), block=ahead.calls_ahead()
        ),
        on_call=meter.record,
        transport=_transport(),
    )
    return WorkerDeps(
        provider=provider,
        snapshots=stores.snapshots,
        ledger=stores.ledger,
        hashtags=stores.hashtags,
        budget=CreditBudget(
            stores.state,
            config.monthly_credit_budget,
            pool_headroom=config.worker_max_concurrency,
        ),
        requeue=stores.queue,
        notices=OpsNotices(stores.state, stores.topic.publish, clock),
        clock=clock,
        meter=meter,
        retention=timedelta(days=config.retention_days),
        max_attempts=config.worker_max_attempts,
        alerts=alert_hook(),
        # Each invocation owns its claims: a fresh id, never shared with a redelivery's.
        claims=BatchClaims(stores.state, owner=uuid.uuid4().hex),
    )


class WorkerRun:
    """One invocation: handles its records; after a refused key, calls nothing more."""

    def __init__(
        self,
        deps: WorkerDeps,
        collect_one: Callable[..., CollectResult] = collect,
        progress: BatchProgress | None = None,
    ) -> None:
        self.deps = deps
        self._collect = collect_one
        self.progress = progress or BatchProgress()
        self.fatal: str | None = None
        self._parsed: dict[str, FetchRecord | DecodeError] = {}

    @contextmanager
    def batch(self, records: Sequence[dict[str, Any]]) -> Iterator[None]:
        """Around the batch: its claims and credits taken together, the unused given back.

        Either step failing only costs requests: the records then claim and reserve alone.
        """
        messages: list[FetchMessage] = []
        for raw in records:
            try:
                fetch = self._parse(SqsRecord.from_event(raw))
            except (KeyError, TypeError, AttributeError):
                continue  # not even an SQS record: it fails alone below
            if isinstance(fetch, FetchRecord):
                messages.append(fetch.body)
        self.progress.left = len(records)
        self._open(messages)
        try:
            yield
        finally:
            self._close()

    def _parse(self, record: SqsRecord) -> FetchRecord | DecodeError:
        if record.message_id not in self._parsed:
            try:
                self._parsed[record.message_id] = FetchRecord.from_record(record)
            except DecodeError as exc:
                self._parsed[record.message_id] = exc
        return self._parsed[record.message_id]

    def _open(self, messages: list[FetchMessage]) -> None:
        if not messages:
            return
        now = self.deps.clock.now()
        claims = self.deps.claims
        if isinstance(claims, BatchClaims):
            try:
                claims.take([m.key for m in messages], now, FETCH_LEASE)
            except StorageError as exc:  # each record claims alone (its owner matches)
                logger.warning("batch claims not taken together", extra={"error": str(exc)})
        worst = sum(self.deps.policy.max_credits(m.hashtag.kind) for m in messages)
        try:
            self.deps.budget.open_pool(now.strftime("%Y-%m"), worst)
        except StorageError as exc:  # each record reserves alone
            logger.warning("batch credits not reserved together", extra={"error": str(exc)})

    def _close(self) -> None:
        try:
            self.progress.end()
        except StorageError as exc:  # the slots pass unused
            logger.warning("unused rate-limit slots not given back", extra={"error": str(exc)})
        try:
            self.deps.budget.close_pool()
        except StorageError as exc:
            metrics.add_metric(name="CreditSettleFailed", unit="Count", value=1)
            logger.error("credits of the batch not settled", extra={"error": str(exc)[:300]})
        if isinstance(self.deps.claims, BatchClaims):
            try:
                self.deps.claims.release_unused()
            except StorageError as exc:  # the leases end by themselves
                logger.warning("unused fetch claims not released", extra={"error": str(exc)})

    def process(self, records: Sequence[dict[str, Any]]) -> PartialBatchResponse:
        """The invocation: every record handled alone, the failed ones named for SQS."""
        with self.batch(records):
            return partial_batch_response(records, self.handle, self._log_unexpected)

    def _log_unexpected(self, message_id: str, exc: Exception) -> None:
        """Failures `handle` has not already logged and counted: a bug, an outage, or a
        stored item that no longer reads."""
        if isinstance(exc, (RetryLaterError, FatalRunError)) or exc is self._parsed.get(message_id):
            return
        metrics.add_metric(name="RecordFailed", unit="Count", value=1)
        logger.error(
            "record failed; SQS will retry it",
            extra={"message_id": message_id, "error": f"{type(exc).__name__}: {str(exc)[:300]}"},
        )

    def handle(self, record: SqsRecord) -> dict[str, object]:
        try:
            return self._handle(record)
        finally:
            self.progress.left -= 1

    def _handle(self, record: SqsRecord) -> dict[str, object]:
        fetch = self._parse(record)
        if isinstance(fetch, DecodeError):
            metrics.add_metric(name="MalformedMessages", unit="Count", value=1)
            logger.error(
                "malformed fetch message; it goes to the DLQ after its retries",
                extra={"message_id": record.message_id, "error": str(fetch)[:500]},
            )
            raise fetch
        message: FetchMessage = fetch.body
        logger.append_keys(correlation_id=message.key, hashtag=message.hashtag.hashtag)
        if self.fatal:
            raise FatalRunError(f"not called: {self.fatal}")
        receive_count = fetch.receive_count
        try:
            result = self._collect(message, receive_count, self.deps)
        except RetryLaterError as exc:
            metrics.add_metric(name="FetchRetried", unit="Count", value=1)
            logger.warning("fetch failed; SQS will retry", extra={"error": str(exc)})
            raise
        except FatalRunError as exc:
            self.fatal = str(exc)
            metrics.add_metric(name="FetchFatal", unit="Count", value=1)
            logger.error("data API refused the key; stopping this run")
            raise
        metrics.add_metric(name="ApiCalls", unit="Count", value=result.calls)
        metrics.add_metric(name="CreditsUsed", unit="Count", value=result.credits)
        metrics.add_metric(name=f"Outcome_{result.outcome.value}", unit="Count", value=1)
        if result.counts_decreased:
            metrics.add_metric(name="CountsDecreased", unit="Count", value=1)
        logger.info(
            "hashtag collected",
            extra={
                "outcome": result.outcome.value,
                "credits": result.credits,
                "calls": result.calls,
                "reason": result.reason,
            },
        )
        return {"outcome": result.outcome.value, "credits": result.credits}
