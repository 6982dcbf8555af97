"""One Worker invocation: typed SQS records, the batch's bookkeeping, each record's handling.
Its dependencies are made by wiring/worker.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hashtag_tracker.collection.balance import outlook
from hashtag_tracker.collection.batch import BatchProgress
from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.ports import CurrentItems
from hashtag_tracker.collection.sqs import PartialBatchResponse, SqsRecord, partial_batch_response
from hashtag_tracker.collection.worker import (
    FETCH_LEASE,
    CollectResult,
    FatalRunError,
    RetryLaterError,
    WorkerDeps,
    collect,
)
from hashtag_tracker.models.codec import DecodeError, ValidationError, decode_json
from hashtag_tracker.models.hashtag import InvalidItem, ScanResult
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.storage.errors import StorageError

# Log keys set per record (and cleared before the next one).
RECORD_LOG_KEYS = ("correlation_id", "hashtag")


def _clear_record_keys() -> None:
    # Powertools leaves a key whose value is None out of every line: the same as
    # remove_keys, through the one method every logger double here has.
    logger.append_keys(**dict.fromkeys(RECORD_LOG_KEYS))


def not_due_reason(item: ScanResult | None, cycle_day: date, today: date) -> str | None:
    """Why the item as it is now must not be collected (its message holds an older copy):
    removed, no longer a valid item, paused, or outside its start/end dates on the cycle's
    day or today; None when it is still due."""
    if item is None:
        return "removed"
    if isinstance(item, InvalidItem):
        return "invalid item"
    if not item.active:
        return "paused"
    if not (item.is_due(cycle_day) and item.is_due(today)):
        return "outside its start/end dates"
    return None


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
        # Records whose hashtag is no longer due (message id -> why): acknowledged uncalled.
        self.skipped: dict[str, str] = {}
        # Each reading's next plan, written together when the batch ends.
        self.plans: list[PlanEntry] = []

    @contextmanager
    def batch(self, records: Sequence[dict[str, Any]]) -> Iterator[None]:
        """Around the batch: its claims and credits taken together, the unused given back.

        Either step failing only costs requests: the records then claim and reserve alone.
        """
        fetches: list[FetchRecord] = []
        for raw in records:
            try:
                fetch = self._parse(SqsRecord.from_event(raw))
            except (KeyError, TypeError, AttributeError):
                continue  # not even an SQS record: it fails alone below
            if isinstance(fetch, FetchRecord):
                fetches.append(fetch)
        self.progress.left = len(records)
        _clear_record_keys()
        self._open(fetches)
        try:
            yield
        finally:
            _clear_record_keys()  # batch-level lines name no record
            self._close()

    def _parse(self, record: SqsRecord) -> FetchRecord | DecodeError:
        if record.message_id not in self._parsed:
            try:
                self._parsed[record.message_id] = FetchRecord.from_record(record)
            except DecodeError as exc:
                self._parsed[record.message_id] = exc
        return self._parsed[record.message_id]

    def _open(self, fetches: list[FetchRecord]) -> None:
        if not fetches:
            return
        now = self.deps.clock.now()
        self._recheck(fetches, now)
        messages = [f.body for f in fetches if f.message_id not in self.skipped]
        # A skipped record makes no call: no rate-limit slot, claim or credits for it.
        self.progress.left -= len(fetches) - len(messages)
        if not messages:
            return
        claims = self.deps.claims
        if claims is not None:
            try:
                claims.take([m.key for m in messages], now, FETCH_LEASE)
            except StorageError as exc:  # each record claims alone (its owner matches)
                logger.warning("batch claims not taken together", extra={"error": str(exc)})
        worst = sum(self.deps.policy.max_credits(m.hashtag.kind) for m in messages)
        try:
            self.deps.budget.open_pool(now.strftime("%Y-%m"), worst)
        except StorageError as exc:  # each record reserves alone
            logger.warning("batch credits not reserved together", extra={"error": str(exc)})

    def _recheck(self, fetches: list[FetchRecord], now: datetime) -> None:
        """Read the batch's hashtag items as they are now, in one request, and mark the
        records whose hashtag was removed, paused or ended since its message was queued
        (deferrals and DLQ redrives carry copies days old). A failed read changes nothing:
        the records are collected from their messages' copies, as before."""
        store = self.deps.hashtags
        if not isinstance(store, CurrentItems):
            return
        try:
            current = store.current_items([f.body.hashtag.hashtag for f in fetches])
        except StorageError as exc:
            metrics.add_metric(name="HashtagRecheckFailed", unit="Count", value=1)
            logger.warning(
                "hashtag items not re-read; collecting from the messages' copies",
                extra={"error": str(exc)[:300]},
            )
            return
        for fetch in fetches:
            name = fetch.body.hashtag.hashtag
            if name not in current:
                continue  # not answered (unprocessed): collected as before
            reason = not_due_reason(current[name], fetch.body.cycle.date(), now.date())
            if reason is not None:
                self.skipped[fetch.message_id] = reason

    def _close(self) -> None:
        try:
            self.progress.end()
        except StorageError as exc:  # the slots pass unused
            logger.warning("unused rate-limit slots not given back", extra={"error": str(exc)})
        now = self.deps.clock.now()
        balance = self.deps.meter.balance
        try:
            used = self.deps.budget.close_pool(balance, now)
        except StorageError as exc:
            metrics.add_metric(name="CreditSettleFailed", unit="Count", value=1)
            logger.error("credits of the batch not settled", extra={"error": str(exc)[:300]})
            used = None
        if balance is not None:
            metrics.add_metric(name="CreditBalance", unit="Count", value=balance)
            if used is not None:
                self._warn_if_the_balance_runs_short(balance, used, now)
        self._save_plans(now)
        if self.deps.claims is not None:
            try:
                self.deps.claims.release_unused()
            except StorageError as exc:  # the leases end by themselves
                logger.warning("unused fetch claims not released", extra={"error": str(exc)})

    def _save_plans(self, now: datetime) -> None:
        """The batch's plans in one write, and the rate limit the provider's headers said.
        A failed write is logged and counted: the tags' in-flight marks end and the
        scheduler polls them again, from their older plans."""
        plans, self.plans = self.plans, []
        store = self.deps.plans
        if store is None:
            return
        try:
            store.put_entries(plans)
        except StorageError as exc:
            metrics.add_metric(name="PlanWriteFailed", unit="Count", value=1)
            logger.error("polling plans not written", extra={"error": str(exc)[:300]})
        meter = self.deps.meter
        reported = meter.rate_limit
        if reported is None or not meter.limit_changed:
            return
        meter.limit_changed = False
        logger.warning("pacing at the provider's reported rate limit", extra={"limit": reported})
        try:
            store.save_header_limit(reported, now)
        except StorageError as exc:
            logger.error("reported rate limit not kept", extra={"error": str(exc)[:300]})

    def _warn_if_the_balance_runs_short(self, balance: int, used: int, now: datetime) -> None:
        """One ops notice a month when the provider's balance will not last the month at
        this month's spend rate; a failed publish is retried by the next batch."""
        projection = outlook(balance, used, now)
        if projection is None or projection.lasts:
            return
        try:
            self.deps.notices.once(
                f"balance#{now.strftime('%Y-%m')}",
                "Data API credits will run out before the month ends",
                projection.text(),
            )
        except Exception as exc:
            logger.error("balance notice not published", extra={"error": str(exc)[:300]})

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
        reason = self.skipped.get(record.message_id)
        if reason is not None:
            return self._skip(record, reason)
        try:
            return self._handle(record)
        finally:
            self.progress.left -= 1

    def _skip(self, record: SqsRecord, reason: str) -> dict[str, object]:
        """Acknowledge a record whose hashtag is no longer due, without calling the API."""
        _clear_record_keys()
        fetch = self._parsed[record.message_id]
        if isinstance(fetch, FetchRecord):
            logger.append_keys(correlation_id=fetch.body.key, hashtag=fetch.body.hashtag.hashtag)
        metrics.add_metric(name="FetchSkippedNotDue", unit="Count", value=1)
        logger.info("hashtag no longer due; acknowledged without calling", extra={"reason": reason})
        return {"outcome": "skipped", "reason": reason}

    def _handle(self, record: SqsRecord) -> dict[str, object]:
        # The previous record's keys must not label this one's lines (issue 17).
        _clear_record_keys()
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
        if result.plan is not None:
            self.plans.append(result.plan)
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
