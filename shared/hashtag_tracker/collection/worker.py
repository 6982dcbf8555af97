"""The worker's logic for one fetch message: budget, paced calls, snapshot, ledger, alerts.

Every outcome is explicit: a snapshot written, a duplicate skipped, a 'missing' mark with
its reason, the message deferred (handed back with a delay), or an exception that makes
SQS retry it (and, when it keeps failing, the redrive policy moves it to the DLQ).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hashtag_tracker.clock import Clock, to_iso
from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.meter import CallMeter
from hashtag_tracker.collection.pacing import BudgetExhaustedError, CreditBudget, NoCapacityError
from hashtag_tracker.collection.planner import Reading, bounds_for, next_plan
from hashtag_tracker.collection.policy import (
    COMMENT_PAGE_SIZE,
    VIDEO_PAGE_SIZE,
    FetchPolicy,
    comments_due,
    history_window,
    video_pages_due,
)
from hashtag_tracker.collection.ports import (
    CarriedCredits,
    FetchClaims,
    HashtagStatus,
    Ledger,
    MessageQueue,
    Notices,
    PlanRecords,
    Snapshots,
)
from hashtag_tracker.collection.sample import sample_stats, sentiment_shares
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.models.snapshot import SentimentShares, Snapshot, SnapshotStatus
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo, bound_creator, bound_video
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.source.base import HashtagStats, Provider, Video
from hashtag_tracker.source.errors import (
    AuthError,
    DeadlineError,
    HashtagNotFoundError,
    MalformedResponseError,
    OutOfCreditsError,
    RateLimitedError,
    SourceError,
    TransientError,
)
from hashtag_tracker.source.quality import StatsQuality, assess_stats

MAX_DEFERRALS = 40
# Longer than any invocation (Lambda's 15-minute ceiling): a claim left by a worker that died
# mid-fetch frees itself, and no living worker ever loses its claim to a duplicate.
FETCH_LEASE = timedelta(minutes=16)


class Outcome(StrEnum):
    WRITTEN = "written"
    SUSPECT = "suspect"
    DUPLICATE = "duplicate"
    MISSING = "missing"
    DEFERRED = "deferred"


class RetryLaterError(RuntimeError):
    """A transient failure on an early attempt: fail the record so SQS delivers it again."""


class FatalRunError(RuntimeError):
    """The API key was refused: stop calling for this invocation; the batch goes back."""


AlertHook = Callable[[TrackedHashtag, Snapshot, Sequence[Snapshot]], object]


@dataclass
class WorkerDeps:
    provider: Provider
    snapshots: Snapshots
    ledger: Ledger
    hashtags: HashtagStatus
    budget: CreditBudget
    requeue: MessageQueue
    notices: Notices
    clock: Clock
    meter: CallMeter
    retention: timedelta
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    max_attempts: int = 3
    alerts: AlertHook | None = None
    # Serialises two deliveries of one message (at-least-once SQS); None = no claims.
    claims: FetchClaims | None = None
    # Carries credits of deliveries that wrote no snapshot to the one that does; None = off.
    carry: CarriedCredits | None = None
    # The adaptive planner's next plan per reading is kept (README, "Polling"); None = off.
    plans: PlanRecords | None = None
    # Every tag polled at exactly this interval (hours); None: the adaptive bounds.
    fixed_interval_hours: float | None = None


@dataclass
class CollectResult:
    outcome: Outcome
    credits: int = 0
    calls: int = 0
    reason: str | None = None
    new_videos: int = 0
    counts_decreased: bool = False
    # The reading stored (or found) for the cycle, and the tag's plan after it.
    snapshot: Snapshot | None = None
    plan: PlanEntry | None = None


def _missing(message: FetchMessage, now: datetime, reason: str, credits: int) -> Snapshot:
    return Snapshot(
        hashtag=message.hashtag.hashtag,
        cycle=message.cycle,
        taken_at=now,
        status=SnapshotStatus.MISSING,
        reason=reason,
        credits=credits,
    )


def _ledger_entries(
    hashtag: str, videos: Sequence[Video], now: datetime
) -> tuple[list[LedgerVideo], list[LedgerCreator], int]:
    """The ledger's rows for a page, bounded per field (models.video): free text cut to its
    byte limit; a video whose video or author id is too long to key is dropped, and
    counted, so one odd video never fails the page's write."""
    ledger_videos: list[LedgerVideo] = []
    creators: list[LedgerCreator] = []
    dropped = 0
    for v in videos:
        video = bound_video(
            LedgerVideo(
                hashtag=hashtag,
                video_id=v.video_id,
                author_id=v.author_id,
                created_at=v.created_at,
                first_seen=now,
                last_seen=now,
                plays=v.plays,
                likes=v.likes,
                comments=v.comments,
                shares=v.shares,
                saves=v.saves,
                description=v.description,
            )
        )
        creator = bound_creator(
            LedgerCreator(
                hashtag=hashtag,
                author_id=v.author_id,
                nickname=v.author_nickname,
                followers=v.author_followers,
                first_seen=now,
                last_seen=now,
            )
        )
        if video is None or creator is None:
            dropped += 1
            continue
        ledger_videos.append(video)
        creators.append(creator)
    return ledger_videos, creators, dropped


def _update_ledger(
    message: FetchMessage, deps: WorkerDeps, videos: Sequence[Video], now: datetime
) -> int:
    """Record the page in the ledger after the snapshot is written; the new videos' count.

    Best effort: a ledger failure is logged and counted (`LedgerWriteFailed`) and never
    fails the record, which would lose nothing but re-spend the cycle's credits (a retry
    finds the snapshot and stops) or, before the snapshot, blank the hashtag's reading.
    The ledger's summary counts only what was written, so a failed write undercounts
    nothing for good: the videos are counted when a later page sees them."""
    hashtag = message.hashtag.hashtag
    ledger_videos, creators, dropped = _ledger_entries(hashtag, videos, now)
    if dropped:
        logger.warning(
            "videos with ids too long for the ledger dropped",
            extra={"hashtag": hashtag, "dropped": dropped},
        )
        metrics.add_metric(name="LedgerVideosDropped", unit="Count", value=dropped)
    if not ledger_videos:
        return 0
    try:
        update = deps.ledger.upsert(hashtag, ledger_videos, creators, now)
    except Exception as exc:
        logger.error(
            "ledger not updated; the snapshot is kept",
            extra={"hashtag": hashtag, "error": str(exc)[:300]},
        )
        metrics.add_metric(name="LedgerWriteFailed", unit="Count", value=1)
        return 0
    return len(getattr(update, "new_videos", ()))


class _Collector:
    """One message's collection; keeps the credits and calls it spent."""

    def __init__(self, message: FetchMessage, deps: WorkerDeps, carried: int = 0) -> None:
        self.message = message
        self.deps = deps
        self.carried = carried
        self._calls_before = deps.meter.calls
        self._credits_before = deps.meter.credits

    @property
    def calls(self) -> int:
        """HTTP attempts made for this message (retries included)."""
        return self.deps.meter.calls - self._calls_before

    @property
    def credits(self) -> int:
        """Credits charged for this delivery, as the meter saw them (failed-but-charged too)."""
        return self.deps.meter.credits - self._credits_before

    @property
    def cycle_credits(self) -> int:
        """Credits the hashtag's cycle cost so far: earlier deliveries' and this one's."""
        return self.carried + self.credits

    def stats(self) -> HashtagStats:
        return self.deps.provider.hashtag_stats(self.message.hashtag.hashtag)

    def videos(self, hashtag_id: str, pages: int) -> list[Video]:
        found: list[Video] = []
        cursor = "0"
        for _ in range(pages):
            page = self.deps.provider.hashtag_videos(hashtag_id, cursor, VIDEO_PAGE_SIZE)
            found.extend(page.videos)
            if not page.has_more:
                break
            cursor = page.cursor
        return found

    def comment_texts(self, videos: Sequence[Video], how_many: int) -> list[str]:
        top = sorted(videos, key=lambda v: v.plays, reverse=True)[:how_many]
        texts: list[str] = []
        for video in top:
            page = self.deps.provider.video_comments(video.video_id, "0", COMMENT_PAGE_SIZE)
            texts.extend(c.text for c in page.comments)
        return texts


def collect(message: FetchMessage, receive_count: int, deps: WorkerDeps) -> CollectResult:
    """Collect one hashtag for one cycle, and plan its next poll from the reading. Raises
    RetryLaterError, FatalRunError, StorageError."""
    existing, history = _history(message, deps)
    result = _collect(message, receive_count, deps, existing, history)
    if deps.plans is not None and result.snapshot is not None:
        reading = Reading(
            result.snapshot,
            history,
            sampled=result.snapshot.sample is not None,
            counts_decreased=result.counts_decreased,
        )
        bounds = bounds_for(message.hashtag, deps.fixed_interval_hours)
        result.plan = next_plan(message.hashtag, reading, message.plan, bounds)
    return result


def _collect(
    message: FetchMessage,
    receive_count: int,
    deps: WorkerDeps,
    existing: Snapshot | None,
    history: list[Snapshot],
) -> CollectResult:
    item = message.hashtag
    if existing is not None:
        # A redelivery: no API call; re-run the alerts, whose store makes them exactly-once,
        # so a publish that failed after the snapshot was written is not lost.
        if deps.alerts is not None and existing.usable:
            deps.alerts(item, existing, history)
        return CollectResult(Outcome.DUPLICATE, snapshot=existing)
    now = deps.clock.now()
    if deps.claims is None:
        return _collect_claimed(message, receive_count, deps, now, history)
    if not deps.claims.claim_fetch(message.key, now, FETCH_LEASE):
        # Another worker is fetching this very message right now: this copy is a duplicate.
        # The holder's own SQS message stays in flight until it succeeds, and comes back
        # after the visibility timeout (longer than the lease) if the holder dies, so
        # acknowledging this copy loses nothing and never pays the data API twice.
        return CollectResult(Outcome.DUPLICATE, reason="in_progress")
    try:
        result = _collect_claimed(message, receive_count, deps, now, history)
    except BaseException:
        deps.claims.release_fetch(message.key)  # the SQS retry must find the fetch free
        raise
    if result.outcome is Outcome.DEFERRED:
        deps.claims.release_fetch(message.key)
    # Once a snapshot is written, any later delivery stops at it before claiming, so the
    # claim is left to its lease and TTL: one DynamoDB request fewer per hashtag.
    return result


def _history(message: FetchMessage, deps: WorkerDeps) -> tuple[Snapshot | None, list[Snapshot]]:
    """This cycle's snapshot if one is written already, and the history before it: one
    query up to and including the cycle, instead of a read and a query."""
    since, until = history_window(message.cycle)
    found = deps.snapshots.between(message.hashtag.hashtag, since, message.cycle)
    key = to_iso(message.cycle)  # the stored key: what decides "this cycle's snapshot"
    existing = next((s for s in found if to_iso(s.cycle) == key), None)
    return existing, [s for s in found if to_iso(s.cycle) != key and s.cycle <= until]


def _collect_claimed(
    message: FetchMessage,
    receive_count: int,
    deps: WorkerDeps,
    now: datetime,
    history: list[Snapshot],
) -> CollectResult:
    item = message.hashtag
    month = now.strftime("%Y-%m")
    try:
        reservation = deps.budget.reserve(month, deps.policy.max_credits(item.kind))
    except BudgetExhaustedError as exc:
        deps.notices.once(
            f"budget#{month}",
            "Monthly credit budget reached",
            f"{exc}. Collection pauses until next month; raise MonthlyCreditBudget to resume.",
        )
        return _record_missing(message, deps, now, "budget_exhausted", None)
    collector = _Collector(message, deps, _carried(message, receive_count, deps))
    try:
        result = _collect_with_budget(message, receive_count, deps, collector, history, now)
    except BaseException:
        _carry(message, deps, collector.credits, now)  # no snapshot took them
        raise
    finally:
        deps.budget.settle(reservation, collector.credits)
    if result.outcome is Outcome.DEFERRED:
        _carry(message, deps, collector.credits, now)
    return result


def _carried(message: FetchMessage, receive_count: int, deps: WorkerDeps) -> int:
    """Credits earlier deliveries of this cycle spent; read only when there were some."""
    if deps.carry is None or (receive_count <= 1 and message.deferrals == 0):
        return 0
    return deps.carry.carried_credits(message.key)


def _carry(message: FetchMessage, deps: WorkerDeps, credits: int, now: datetime) -> None:
    """Keep credits this delivery spent for the snapshot a later delivery writes. A failure
    here is logged, never raised over the delivery's own outcome."""
    if deps.carry is None or credits <= 0:
        return
    try:
        deps.carry.carry_credits(message.key, credits, now)
    except Exception as exc:
        logger.error("spent credits not carried", extra={"credits": credits, "error": str(exc)})


def _record_missing(
    message: FetchMessage, deps: WorkerDeps, now: datetime, reason: str, c: _Collector | None
) -> CollectResult:
    """A `missing` reading; its credits are all the cycle spent (earlier deliveries too)."""
    stored = c.cycle_credits if c else 0
    snapshot = _missing(message, now, reason, stored)
    deps.snapshots.put(snapshot, deps.retention)
    return CollectResult(
        Outcome.MISSING,
        credits=c.credits if c else 0,
        calls=c.calls if c else 0,
        reason=reason,
        snapshot=snapshot,
    )


def _defer(message: FetchMessage, deps: WorkerDeps, after: float, c: _Collector) -> CollectResult:
    if message.deferrals >= MAX_DEFERRALS:
        return _record_missing(message, deps, deps.clock.now(), "rate_limited", c)
    deps.requeue.send_bodies([message.deferred().body()], delay_seconds=max(1, round(after)))
    return CollectResult(Outcome.DEFERRED, credits=c.credits, calls=c.calls, reason="no slot")


def _collect_with_budget(
    message: FetchMessage,
    receive_count: int,
    deps: WorkerDeps,
    c: _Collector,
    history: list[Snapshot],
    now: datetime,
) -> CollectResult:
    fetched = _fetch_stats(message, receive_count, deps, c, now)
    if isinstance(fetched, CollectResult):
        return fetched
    quality = assess_stats(fetched, [s for s in history if s.usable])
    if quality.quality is StatsQuality.SUSPECT:
        return _record_suspect(message, deps, c, fetched, now, quality.reason or "zero_glitch")
    result = _record_snapshot(message, deps, c, fetched, history, now)
    result.counts_decreased = quality.quality is StatsQuality.DECREASED
    return result


def _fetch_stats(
    message: FetchMessage, receive_count: int, deps: WorkerDeps, c: _Collector, now: datetime
) -> HashtagStats | CollectResult:
    """The stats call, with each failure mapped to its documented outcome."""
    try:
        return c.stats()
    except (RateLimitedError, NoCapacityError) as exc:
        return _defer(message, deps, exc.retry_after, c)
    except DeadlineError:
        return _defer(message, deps, 1, c)
    except AuthError as exc:
        _notify(
            deps,
            f"auth#{now.date().isoformat()}",
            "Data API key refused",
            f"The data API refused the key ({exc}). Update the secret; the DLQ keeps the work.",
        )
        raise FatalRunError(str(exc)) from exc
    except OutOfCreditsError as exc:
        # A failed publish raises here, so SQS retries the message and the notice with it.
        deps.notices.once(
            f"credits#{now.strftime('%Y-%m')}",
            "Data API account out of credits",
            f"The data API says the account has no credits left ({exc}).",
        )
        return _record_missing(message, deps, now, "out_of_credits", c)
    except HashtagNotFoundError:
        deps.hashtags.mark_status(message.hashtag.hashtag, "not_found")
        return _record_missing(message, deps, now, "not_found", c)
    except (TransientError, MalformedResponseError) as exc:
        if receive_count < deps.max_attempts:
            raise RetryLaterError(f"{type(exc).__name__}: {exc}") from exc
        reason = "malformed" if isinstance(exc, MalformedResponseError) else "unavailable"
        return _record_missing(message, deps, now, reason, c)


def _notify(deps: WorkerDeps, key: str, subject: str, text: str) -> None:
    """An ops notice on a path that must still stop calling: a failed publish is logged and
    never hides the stop (the notice stays unsent; the message fails, and its retry or the
    next message tries again)."""
    try:
        deps.notices.once(key, subject, text)
    except Exception as exc:
        logger.error("ops notice not published", extra={"notice": key, "error": str(exc)[:300]})


def _record_suspect(
    message: FetchMessage,
    deps: WorkerDeps,
    c: _Collector,
    stats: HashtagStats,
    now: datetime,
    reason: str,
) -> CollectResult:
    """A zero after non-zero values, or with no usable reading before it: kept, marked, and
    never used as growth or as a baseline."""
    snapshot = Snapshot(
        hashtag=message.hashtag.hashtag,
        cycle=message.cycle,
        taken_at=now,
        status=SnapshotStatus.SUSPECT,
        views=stats.views,
        videos=stats.videos,
        reason=reason,
        credits=c.cycle_credits,
    )
    deps.snapshots.put(snapshot, deps.retention)
    return CollectResult(Outcome.SUSPECT, c.credits, c.calls, reason, snapshot=snapshot)


def _sample(
    message: FetchMessage,
    deps: WorkerDeps,
    c: _Collector,
    stats: HashtagStats,
    history: list[Snapshot],
) -> tuple[list[Video], SentimentShares | None]:
    """Videos and comment sentiment when the policy says they are due; best effort."""
    videos: list[Video] = []
    sentiment = None
    allowed = message.page_calls  # what the planner budgeted; None: the policy alone
    kind = message.hashtag.kind
    pages = video_pages_due(deps.policy, kind, message.cycle, stats.videos, history)
    if allowed is not None and pages:
        # The day's sample is its page and its comments together, or nothing: a page alone
        # would mark the day sampled and its comments would never be budgeted.
        with_comments = comments_due(deps.policy, kind, message.cycle, history, True)
        if pages + with_comments > allowed:
            pages = 0
    try:
        if pages:
            videos = c.videos(stats.hashtag_id, pages)
        how_many = comments_due(
            deps.policy, message.hashtag.kind, message.cycle, history, fetched_videos=bool(videos)
        )
        if allowed is not None:
            how_many = min(how_many, max(0, allowed - pages))
        if how_many:
            sentiment = sentiment_shares(c.comment_texts(videos, how_many))
    except AuthError as exc:
        raise FatalRunError(str(exc)) from exc
    except (SourceError, NoCapacityError):
        # The counters are what matter; the policy fetches the sample again next cycle.
        pass
    return videos, sentiment


def _record_snapshot(
    message: FetchMessage,
    deps: WorkerDeps,
    c: _Collector,
    stats: HashtagStats,
    history: list[Snapshot],
    now: datetime,
) -> CollectResult:
    item = message.hashtag
    videos, sentiment = _sample(message, deps, c, stats, history)
    snapshot = Snapshot(
        hashtag=item.hashtag,
        cycle=message.cycle,
        taken_at=now,
        views=stats.views,
        videos=stats.videos,
        sample=sample_stats(videos) if videos else None,
        sentiment=sentiment,
        credits=c.cycle_credits,
    )
    written = deps.snapshots.put(snapshot, deps.retention)
    # The snapshot first: what the credits bought is kept whatever the ledger does.
    new_videos = _update_ledger(message, deps, videos, now) if videos else 0
    if written and deps.alerts is not None:
        deps.alerts(item, snapshot, history)
    outcome = Outcome.WRITTEN if written else Outcome.DUPLICATE
    return CollectResult(outcome, c.credits, c.calls, new_videos=new_videos, snapshot=snapshot)
