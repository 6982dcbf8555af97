"""The worker's per-message logic against in-memory fakes: every outcome is explicit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.meter import CallMeter
from hashtag_tracker.collection.notices import OpsNotices
from hashtag_tracker.collection.pacing import CreditBudget
from hashtag_tracker.collection.worker import (
    FatalRunError,
    Outcome,
    RetryLaterError,
    WorkerDeps,
    collect,
)
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus
from hashtag_tracker.source.base import (
    CallRecord,
    Comment,
    CommentPage,
    HashtagStats,
    Provider,
    Video,
    VideoPage,
)
from hashtag_tracker.source.errors import (
    AuthError,
    HashtagNotFoundError,
    MalformedResponseError,
    RateLimitedError,
    TransientError,
)
from hashtag_tracker.storage.hashtags import hashtag_to_item
from tests.unit.collection.fakes import FakeLedger, FakeSink, FakeSnapshots, FakeState
from tests.unit.hashtag_fakes import InMemoryHashtagStore

DAY_START = datetime(2026, 11, 22, 0, tzinfo=UTC)


class FakeProvider(Provider):
    """Answers like the client would, and reports each call to the meter as its hook does."""

    def __init__(self, views: int = 1_000_000, videos: int = 500) -> None:
        self.views, self.videos = views, videos
        self.calls: list[str] = []
        self.fail_stats: Exception | None = None
        self.meter = CallMeter()

    def _charge(self, endpoint: str, status: int, credits: int | None) -> None:
        self.calls.append(endpoint)
        self.meter.record(CallRecord(endpoint, status, credits, 0.01))

    def hashtag_stats(self, name: str) -> HashtagStats:
        if self.fail_stats is not None:
            status = getattr(self.fail_stats, "status", None) or 500
            # a malformed 200 is charged by the API although it is unusable
            self._charge(
                "stats",
                200 if isinstance(self.fail_stats, MalformedResponseError) else status,
                None,
            )
            raise self.fail_stats
        self._charge("stats", 200, 1)
        return HashtagStats("id-" + name, name, self.views, self.videos, 1)

    def hashtag_videos(self, hashtag_id: str, cursor: str = "0", count: int = 30) -> VideoPage:
        self._charge("videos", 200, 1)
        videos = [
            Video(
                f"v{i}",
                "desc",
                DAY_START,
                1_000 * (i + 1),
                100,
                10,
                5,
                None,
                f"a{i % 4}",
                None,
                1_000,
            )
            for i in range(count)
        ]
        return VideoPage(videos, "30", True, 1)

    def video_comments(self, video_id: str, cursor: str = "0", count: int = 50) -> CommentPage:
        self._charge(f"comments:{video_id}", 200, 1)
        texts = ["I love this!", "great idea", "this is awful and terrible", "ok"]
        return CommentPage(
            [Comment(f"c{i}", t, DAY_START, 0, "u") for i, t in enumerate(texts)], "0", False, 1
        )


class Published(list[tuple[str, str]]):
    def __call__(self, subject: str, text: str) -> None:
        self.append((subject, text))


def _deps(provider: FakeProvider, budget: int = 10_000) -> tuple[WorkerDeps, dict[str, object]]:
    state, clock, published = (
        FakeState(),
        ManualClock(DAY_START + timedelta(minutes=1)),
        Published(),
    )
    hashtags = InMemoryHashtagStore()
    hashtags.items["brand"] = hashtag_to_item(TrackedHashtag.parse({"hashtag": "brand"}))
    deps = WorkerDeps(
        provider=provider,
        snapshots=FakeSnapshots(),
        ledger=FakeLedger(),
        hashtags=hashtags,
        budget=CreditBudget(state, budget),
        requeue=FakeSink(),
        notices=OpsNotices(state, published, clock),
        meter=provider.meter,
        clock=clock,
        retention=timedelta(days=400),
        claims=state,
        carry=state,
    )
    return deps, {"state": state, "published": published, "hashtags": hashtags, "clock": clock}


def _message(cycle: datetime = DAY_START, kind: str = "campaign") -> FetchMessage:
    return FetchMessage(
        cycle=cycle, hashtag=TrackedHashtag.parse({"hashtag": "brand", "kind": kind})
    )


def test_daily_cycle_writes_snapshot_sample_sentiment_ledger_and_settles_credits() -> None:
    # Given the first cycle of a UTC day for a campaign
    provider = FakeProvider()
    deps, parts = _deps(provider)
    # When
    result = collect(_message(), 1, deps)
    # Then: stats, one page of videos, comments of the two top videos
    assert result.outcome is Outcome.WRITTEN
    assert provider.calls == ["stats", "videos", "comments:v29", "comments:v28"]
    snap = deps.snapshots.get("brand", DAY_START)
    assert snap is not None and snap.views == 1_000_000 and snap.videos == 500
    assert snap.sample is not None and snap.sample.size == 30 and snap.sample.unique_creators == 4
    assert snap.sentiment is not None and snap.sentiment.scored == 8
    assert snap.sentiment.negative == pytest.approx(0.25)
    assert snap.credits == 4 == result.credits
    assert len(deps.ledger.videos) == 30 and len(deps.ledger.creators) == 4  # type: ignore[attr-defined]
    state = parts["state"]
    assert state.spent["2026-11"] == 4 and state.used["2026-11"] == 4  # type: ignore[attr-defined]


def test_a_delivery_fetched_elsewhere_right_now_is_acknowledged_without_calls() -> None:
    # Given another worker holds the fetch of this very message (a concurrent duplicate)
    provider = FakeProvider()
    deps, parts = _deps(provider)
    state = parts["state"]
    message = _message()
    holder = "another-invocation"
    assert state.claim_fetch(message.key, DAY_START, timedelta(minutes=16), holder)  # type: ignore[attr-defined]
    # When the duplicate is handled
    result = collect(message, 1, deps)
    # Then it calls nothing, writes nothing (never a 'missing' over the holder's work) and
    # sends no copy: the holder's own message is still in flight
    assert result.outcome is Outcome.DUPLICATE and result.reason == "in_progress"
    assert provider.calls == [] and deps.snapshots.get("brand", DAY_START) is None
    assert deps.requeue.bodies == []  # type: ignore[attr-defined]
    # And if the holder died, its redelivery (after the visibility timeout) finds the lease
    # ended and collects; a later copy stops at the snapshot and calls nothing
    parts["clock"].set(DAY_START + timedelta(minutes=90))  # type: ignore[attr-defined]
    assert collect(message, 2, deps).outcome is Outcome.WRITTEN
    provider.calls.clear()
    assert collect(message, 3, deps).outcome is Outcome.DUPLICATE and provider.calls == []
    # (a written snapshot leaves its claim to the lease: the snapshot stops later copies)
    assert message.key in state.fetch_leases  # type: ignore[attr-defined]


def test_an_ops_notice_that_fails_to_publish_never_hides_a_refused_key() -> None:
    # Given the API refuses the key and the topic is down
    provider = FakeProvider()
    provider.fail_stats = AuthError("401 unauthorized", status=401)
    deps, _ = _deps(provider)

    class DownNotices:
        def once(self, key: str, subject: str, text: str) -> None:
            raise RuntimeError("SNS InternalError")

    deps.notices = DownNotices()
    # When the message is handled, Then the run still stops calling (FatalRunError)
    with pytest.raises(FatalRunError):
        collect(_message(), 1, deps)


def test_the_fetch_claim_is_released_even_when_the_fetch_fails() -> None:
    # Given the data API fails transiently on the first delivery
    provider = FakeProvider()
    provider.fail_stats = TransientError("503")
    deps, parts = _deps(provider)
    message = _message()
    # When the delivery fails for an SQS retry
    with pytest.raises(RetryLaterError):
        collect(message, 1, deps)
    # Then the claim is free, so the retry collects at once
    assert parts["state"].fetch_leases == {}  # type: ignore[attr-defined]
    provider.fail_stats = None
    assert collect(message, 2, deps).outcome is Outcome.WRITTEN


def test_later_cycles_of_the_day_call_stats_only_unless_videos_jumped() -> None:
    provider = FakeProvider()
    deps, _ = _deps(provider)
    collect(_message(), 1, deps)
    provider.calls.clear()
    assert collect(_message(DAY_START + timedelta(hours=6)), 1, deps).credits == 1
    assert provider.calls == ["stats"]
    provider.videos += 30  # a jump in submissions brings a new page
    provider.calls.clear()
    collect(_message(DAY_START + timedelta(hours=12)), 1, deps)
    assert provider.calls == ["stats", "videos"]  # comments stay daily
    provider.videos += 30  # another jump the same day: the day's extra page is spent
    provider.calls.clear()
    collect(_message(DAY_START + timedelta(hours=18)), 1, deps)
    assert provider.calls == ["stats"]


@pytest.mark.parametrize("kind", ["competitor", "trend"])
def test_a_jump_brings_a_page_for_campaigns_only(kind: str) -> None:
    # Given a competitor or trend tag whose video count jumps after its daily page
    provider = FakeProvider()
    deps, _ = _deps(provider)
    collect(_message(kind=kind), 1, deps)
    provider.videos += 300
    provider.calls.clear()
    # When a later cycle of the day runs
    collect(_message(DAY_START + timedelta(hours=6), kind=kind), 1, deps)
    # Then only the counters are read: their ledger is refreshed daily, detection needs none
    assert provider.calls == ["stats"]


def test_redelivery_calls_nothing_and_writes_nothing_new() -> None:
    provider = FakeProvider()
    deps, _ = _deps(provider)
    collect(_message(), 1, deps)
    provider.calls.clear()
    result = collect(_message(), 2, deps)
    assert result.outcome is Outcome.DUPLICATE and provider.calls == []


def test_a_redelivery_naming_its_cycle_to_the_sub_second_finds_the_stored_snapshot() -> None:
    # Given the cycle's snapshot is stored (keys are whole seconds)
    provider = FakeProvider()
    deps, _ = _deps(provider)
    collect(_message(), 1, deps)
    provider.calls.clear()
    # When a copy names the same cycle with a fraction of a second
    result = collect(_message(DAY_START + timedelta(milliseconds=400)), 2, deps)
    # Then it is that cycle's redelivery: no call, no second snapshot
    assert result.outcome is Outcome.DUPLICATE and provider.calls == []


@pytest.mark.parametrize("error", [TransientError("503"), MalformedResponseError("no stats")])
def test_transient_failure_retries_then_records_missing_never_zero(error: Exception) -> None:
    provider = FakeProvider()
    provider.fail_stats = error
    deps, parts = _deps(provider)
    with pytest.raises(RetryLaterError):
        collect(_message(), 1, deps)
    assert deps.snapshots.get("brand", DAY_START) is None
    result = collect(_message(), 3, deps)
    snap = deps.snapshots.get("brand", DAY_START)
    assert result.outcome is Outcome.MISSING
    assert snap is not None and snap.status is SnapshotStatus.MISSING
    assert snap.views is None and snap.videos is None
    # only the malformed-but-charged answer costs credits; a 503 does not
    charged = 1 if isinstance(error, MalformedResponseError) else 0
    # every delivery's credits are the cycle's (issue 16), and the month counted each once
    assert snap.credits == 2 * charged
    assert parts["state"].spent["2026-11"] == 2 * charged  # type: ignore[attr-defined]


def test_not_found_marks_the_item_and_records_missing() -> None:
    provider = FakeProvider()
    provider.fail_stats = HashtagNotFoundError("404")
    deps, parts = _deps(provider)
    assert collect(_message(), 1, deps).reason == "not_found"
    assert parts["hashtags"].items["brand"]["status"] == "not_found"  # type: ignore[attr-defined]


def test_zero_glitch_after_real_counts_is_suspect() -> None:
    provider = FakeProvider()
    deps, _ = _deps(provider)
    collect(_message(), 1, deps)
    provider.videos = 0
    result = collect(_message(DAY_START + timedelta(hours=6)), 1, deps)
    snap = deps.snapshots.get("brand", DAY_START + timedelta(hours=6))
    assert result.outcome is Outcome.SUSPECT
    assert snap is not None and not snap.usable and snap.reason == "zero_glitch"


def test_rate_limited_message_is_handed_back_with_a_delay() -> None:
    provider = FakeProvider()
    provider.fail_stats = RateLimitedError(42.0)
    deps, _ = _deps(provider)
    result = collect(_message(), 1, deps)
    assert result.outcome is Outcome.DEFERRED
    sink = deps.requeue
    assert sink.delays == [42]  # type: ignore[attr-defined]
    assert json.loads(sink.bodies[0])["deferrals"] == 1  # type: ignore[attr-defined]
    assert deps.snapshots.get("brand", DAY_START) is None


def test_budget_reached_stops_calling_and_notifies_once() -> None:
    provider = FakeProvider()
    deps, parts = _deps(provider, budget=5)
    assert collect(_message(), 1, deps).outcome is Outcome.WRITTEN  # reserves 4, uses 4
    provider.calls.clear()
    second = collect(_message(DAY_START + timedelta(hours=6)), 1, deps)
    third = collect(_message(DAY_START + timedelta(hours=12)), 1, deps)
    assert second.reason == third.reason == "budget_exhausted"
    assert provider.calls == []
    assert len(parts["published"]) == 1  # type: ignore[arg-type]


def test_refused_key_is_fatal_and_notified_once() -> None:
    provider = FakeProvider()
    provider.fail_stats = AuthError("401 unauthorized")
    deps, parts = _deps(provider)
    for _ in range(2):
        with pytest.raises(FatalRunError):
            collect(_message(), 1, deps)
    assert deps.snapshots.get("brand", DAY_START) is None
    assert [s for s, _ in parts["published"]] == ["Data API key refused"]  # type: ignore[attr-defined]


def test_alert_hook_sees_new_snapshot_and_history_and_reruns_on_redelivery() -> None:
    provider = FakeProvider()
    deps, _ = _deps(provider)
    seen: list[tuple[Snapshot, int]] = []
    deps.alerts = lambda item, snap, history: seen.append((snap, len(history)))
    collect(_message(), 1, deps)
    collect(_message(DAY_START + timedelta(hours=6)), 1, deps)
    collect(_message(DAY_START + timedelta(hours=6)), 2, deps)
    assert [len_history for _, len_history in seen] == [0, 1, 1]


def test_an_ops_notice_whose_publish_failed_is_sent_on_the_retry() -> None:
    # Given the topic fails the first publish of a notice
    state, sent = FakeState(), Published()
    failures = [RuntimeError("SNS InternalError")]

    def publish(subject: str, text: str) -> None:
        if failures:
            raise failures.pop()
        sent(subject, text)

    notices = OpsNotices(state, publish, ManualClock(DAY_START))
    with pytest.raises(RuntimeError):
        notices.once("auth#2026-11-22", "Data API key refused", "update the secret")
    # When the message is retried, and again
    notices.once("auth#2026-11-22", "Data API key refused", "update the secret")
    notices.once("auth#2026-11-22", "Data API key refused", "update the secret")
    # Then the notice reached the topic exactly once
    assert sent == [("Data API key refused", "update the secret")]


def test_a_first_reading_of_zero_is_no_baseline_for_growth_or_milestones() -> None:
    """Issue 16: the first stats answer says 0/0 (the upstream glitch); the next is the real
    count. No viral or milestone alert may come from growth off the zero."""
    # Given a tag with no history whose first answer is zeros, then real counts
    provider = FakeProvider(views=0, videos=0)
    deps, _ = _deps(provider)
    seen: list[tuple[Snapshot, list[Snapshot]]] = []
    deps.alerts = lambda tag, snap, history: seen.append((snap, list(history)))
    first = collect(_message(DAY_START), 1, deps)
    provider.views, provider.videos = 5_000_000, 3_662
    deps.clock.set(DAY_START + timedelta(hours=6, minutes=1))  # type: ignore[attr-defined]
    second = collect(_message(DAY_START + timedelta(hours=6)), 1, deps)

    # Then the zeros are stored apart with the reason, and never handed to the rules
    stored = deps.snapshots.get("brand", DAY_START)  # type: ignore[attr-defined]
    assert first.outcome is Outcome.SUSPECT and first.reason == "zero_without_baseline"
    assert stored is not None and not stored.usable and stored.views == 0
    # and the first real reading is written as ok, with no usable reading before it
    assert second.outcome is Outcome.WRITTEN
    [(snap, history)] = seen
    assert snap.views == 5_000_000 and [h for h in history if h.usable] == []


def test_credits_of_failed_deliveries_are_in_the_cycle_snapshot() -> None:
    """Issue 16: a hashtag whose first delivery got a malformed (charged) answer and whose
    retry succeeded shows every credit its cycle cost, not only the last attempt's."""
    # Given a first delivery whose stats answer is malformed (the API charges it)
    provider = FakeProvider()
    deps, parts = _deps(provider)
    provider.fail_stats = MalformedResponseError("stats: viewCount is missing")
    with pytest.raises(RetryLaterError):
        collect(_message(), 1, deps)
    first_delivery = provider.meter.credits

    # When SQS delivers it again and the answer is good
    provider.fail_stats = None
    result = collect(_message(), 2, deps)

    # Then the snapshot counts both deliveries' credits, and the month counted each once
    snap = deps.snapshots.get("brand", DAY_START)  # type: ignore[attr-defined]
    assert first_delivery == 1 and result.outcome is Outcome.WRITTEN
    assert snap is not None and snap.credits == provider.meter.credits
    assert snap.credits == first_delivery + result.credits
    state = parts["state"]
    assert state.used[DAY_START.strftime("%Y-%m")] == provider.meter.credits  # type: ignore[attr-defined]


# -- issue 17: what the data API sends is bounded; the ledger never costs the snapshot ------


def _odd_video(index: int, **changes: object) -> Video:
    fields: dict[str, object] = {
        "video_id": f"odd{index}",
        "description": "desc",
        "created_at": DAY_START,
        "plays": 10,
        "likes": 1,
        "comments": 1,
        "shares": 1,
        "saves": None,
        "author_id": f"odd-author{index}",
        "author_nickname": "nick",
        "author_followers": 5,
    }
    fields.update(changes)
    return Video(**fields)  # type: ignore[arg-type]


def test_ledger_entries_drop_unkeyable_ids_and_bound_text_by_bytes() -> None:
    from hashtag_tracker.collection.worker import _ledger_entries
    from hashtag_tracker.models.video import (
        MAX_DESCRIPTION_BYTES,
        MAX_ID_BYTES,
        MAX_NICKNAME_BYTES,
        bounded_text,
    )

    videos = [
        _odd_video(0, author_id="u" * (MAX_ID_BYTES + 1)),
        _odd_video(1, video_id="v" * 1_100),
        _odd_video(2, author_id="a\ud800"),  # a lone surrogate: UTF-8 cannot key it
        _odd_video(3, author_nickname="名" * 200_000, description="😀" * 1_000),
        _odd_video(4, author_id="é" * (MAX_ID_BYTES // 2)),  # exactly at the limit: kept
    ]
    ledger_videos, creators, dropped = _ledger_entries("brand", videos, DAY_START)
    assert dropped == 3
    assert [v.video_id for v in ledger_videos] == ["odd3", "odd4"]
    nickname, description = creators[0].nickname, ledger_videos[0].description
    assert nickname is not None and description is not None
    assert 0 < len(nickname.encode()) <= MAX_NICKNAME_BYTES and set(nickname) == {"名"}
    assert 0 < len(description.encode()) <= MAX_DESCRIPTION_BYTES and set(description) == {"😀"}
    assert ledger_videos[1].description == "desc" and creators[1].nickname == "nick"
    # bytes, at a character boundary; a lone surrogate becomes '?'
    assert bounded_text("héllo", 2) == "h" and bounded_text("😀😀", 7) == "😀"
    assert bounded_text("a\ud800b", 10) == "a?b" and bounded_text(None, 3) is None


class _FailingLedger(FakeLedger):
    def upsert(self, *args: object, **kwargs: object) -> object:
        from hashtag_tracker.storage.errors import StorageError

        raise StorageError("ledger upsert failed: ValidationException")


def test_a_ledger_failure_keeps_the_snapshot_and_never_fails_the_record() -> None:
    # Given a ledger whose writes fail
    provider = FakeProvider()
    deps, _ = _deps(provider)
    deps.ledger = _FailingLedger()
    alerted: list[Snapshot] = []
    deps.alerts = lambda item, snapshot, history: alerted.append(snapshot)
    # When the day's first cycle fetches stats and a page of videos
    result = collect(_message(), 1, deps)
    # Then the snapshot (with its sample) is written and alerted on; no retry is asked for
    assert result.outcome is Outcome.WRITTEN and result.new_videos == 0
    snap = deps.snapshots.get("brand", DAY_START)
    assert snap is not None and snap.sample is not None and snap.sample.size == 30
    assert alerted == [snap]
    # and a redelivery calls nothing
    assert collect(_message(), 2, deps).outcome is Outcome.DUPLICATE
    assert provider.calls.count("stats") == 1


def test_sentiment_scores_a_huge_comment_on_its_bounded_start() -> None:
    from hashtag_tracker.collection.sample import sentiment_shares

    shares = sentiment_shares(["I love this! " + "x " * 2_000_000, "awful and terrible"])
    assert shares is not None and shares.scored == 2 and shares.positive == 0.5
