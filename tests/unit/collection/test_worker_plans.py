"""The worker's side of the polling plan: each reading's next plan, written once at batch
end; the planner's page budget; the provider's reported rate limit (issue 15)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from hashtag_tracker.collection.handler import WorkerRun
from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.meter import CallMeter
from hashtag_tracker.collection.pacing import PacingPolicy, RateLimiter
from hashtag_tracker.collection.worker import CollectResult, WorkerDeps, collect
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.source.base import CallRecord
from hashtag_tracker.source.errors import (
    HashtagNotFoundError,
    RateLimitedError,
    TransientError,
)
from hashtag_tracker.storage.errors import StorageError
from tests.unit.collection.fakes import FakePlanBook, FakeSnapshots, FakeState
from tests.unit.collection.test_worker import DAY_START, FakeProvider, _deps
from tests.unit.collection.test_worker_run import _event

HOUR = timedelta(hours=1)


class PlanBook(FakePlanBook):
    """The plan book, with each write kept (and failing when told to)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[list[PlanEntry]] = []
        self.saved_limits: list[int] = []
        self.fail: StorageError | None = None

    def put_entries(self, entries: Sequence[PlanEntry]) -> None:
        if self.fail is not None:
            raise self.fail
        self.writes.append(list(entries))
        super().put_entries(entries)

    def save_header_limit(self, limit: int, now: datetime) -> None:
        self.saved_limits.append(limit)
        super().save_header_limit(limit, now)


class HeaderProvider(FakeProvider):
    """Answers whose X-RateLimit-Limit header says `limit` calls a minute."""

    def __init__(self, limit: int | None) -> None:
        super().__init__()
        self.limit = limit

    def _charge(self, endpoint: str, status: int, credits: int | None) -> None:
        self.calls.append(endpoint)
        self.meter.record(CallRecord(endpoint, status, credits, 0.01, rate_limit=self.limit))


def _plan_deps(provider: FakeProvider) -> tuple[WorkerDeps, PlanBook]:
    deps, _ = _deps(provider)
    book = PlanBook()
    deps.plans = book
    return deps, book


def _body(
    name: str,
    cycle: datetime = DAY_START,
    page_calls: int | None = None,
    plan: PlanEntry | None = None,
) -> str:
    hashtag = TrackedHashtag.parse({"hashtag": name})
    return FetchMessage(cycle=cycle, hashtag=hashtag, page_calls=page_calls, plan=plan).body()


def _process(run: WorkerRun, *bodies: str) -> dict[str, Any]:
    return dict(run.process(_event(*bodies)["Records"]))


def test_a_batch_writes_each_readings_plan_once_at_its_end() -> None:
    # Given a batch of three new tags, with the plan book watched while records run
    provider = FakeProvider()
    deps, book = _plan_deps(provider)
    writes_while_handling: list[int] = []

    def watched(message: FetchMessage, receive_count: int, deps: WorkerDeps) -> CollectResult:
        writes_while_handling.append(len(book.writes))
        return collect(message, receive_count, deps)

    # When the worker handles it
    answer = _process(WorkerRun(deps, collect_one=watched), _body("a"), _body("b"), _body("c"))
    # Then nothing is written per record, and one write at the end holds the three plans
    assert answer == {"batchItemFailures": []}
    assert writes_while_handling == [0, 0, 0]
    [written] = book.writes
    assert [e.hashtag for e in written] == ["a", "b", "c"]
    # each a first reading: the minimum interval, due an hour after its cycle, sampled today
    for entry in written:
        assert entry.interval_hours == 1.0 and entry.reason == "new: learning its pace"
        assert entry.next_due == DAY_START + HOUR and entry.last_poll == DAY_START
        assert entry.sampled_on == DAY_START.date()


def test_the_plan_moves_from_the_one_the_message_carried() -> None:
    # Given a tag read 6 hours ago (490 videos; the provider now says 500) whose message
    # carries its plan of 4 hours
    provider = FakeProvider()
    deps, book = _plan_deps(provider)
    cycle = DAY_START + 6 * HOUR
    deps.snapshots.put(
        Snapshot(hashtag="a", cycle=DAY_START, taken_at=DAY_START, views=1_000_000, videos=490),
        timedelta(days=400),
    )
    carried = PlanEntry(
        hashtag="a",
        interval_hours=4.0,
        next_due=cycle,
        reason="calm: 3 new videos/6 h of 200",
        last_poll=DAY_START,
        sampled_on=DAY_START.date(),
    )
    # When its reading is handled
    _process(WorkerRun(deps), _body("a", cycle, page_calls=1, plan=carried))
    # Then the calm reading doubles the interval to the campaign's 6-hour maximum
    [[entry]] = book.writes
    assert entry.interval_hours == 6.0 and entry.next_due == cycle + 6 * HOUR
    assert entry.reason == "calm: 10 new videos/6 h of 200" and entry.heat == 0.05
    assert entry.sampled_on == DAY_START.date()


def test_a_missing_reading_gets_its_plan_too() -> None:
    # Given a tag the provider no longer knows
    provider = FakeProvider()
    provider.fail_stats = HashtagNotFoundError("404")
    deps, book = _plan_deps(provider)
    # When its reading is handled
    _process(WorkerRun(deps), _body("gone"))
    # Then its plan backs off to the maximum
    [[entry]] = book.writes
    assert entry.interval_hours == 6.0
    assert entry.reason == "missing reading (not_found): backing off"


@pytest.mark.parametrize(
    "error", [RateLimitedError(30.0), TransientError("503")], ids=["deferred", "retried"]
)
def test_a_delivery_with_no_reading_writes_no_plan(error: Exception) -> None:
    # Given a delivery handed back (no slot) or failed for an SQS retry
    provider = FakeProvider()
    provider.fail_stats = error
    deps, book = _plan_deps(provider)
    # When it is handled
    _process(WorkerRun(deps), _body("a"))
    # Then no plan is written for it: its flight holds it until its reading or lease end
    assert book.entries == {} and all(write == [] for write in book.writes)


def test_a_failed_plan_write_never_fails_the_batch() -> None:
    provider = FakeProvider()
    deps, book = _plan_deps(provider)
    book.fail = StorageError("BatchWriteItem throttled")
    answer = _process(WorkerRun(deps), _body("a"), _body("b"))
    assert answer == {"batchItemFailures": []} and provider.calls.count("stats") == 2


@pytest.mark.parametrize(
    ("page_calls", "calls", "sampled"),
    [
        (None, ["stats", "videos", "comments:v29", "comments:v28"], True),  # policy alone
        (3, ["stats", "videos", "comments:v29", "comments:v28"], True),
        (1, ["stats"], False),  # room for a page but not its comments: no half sample
        (0, ["stats"], False),  # no room this tick: stats only
    ],
)
def test_the_worker_calls_no_more_pages_than_the_planner_budgeted(
    page_calls: int | None, calls: list[str], sampled: bool
) -> None:
    # Given the day's first cycle of a campaign (its sample is due by the fetch policy)
    provider = FakeProvider()
    deps, book = _plan_deps(provider)
    # When its message allows `page_calls` calls beyond the stats call
    _process(WorkerRun(deps), _body("a", page_calls=page_calls))
    # Then only those are made, and the plan says whether the day's sample was taken
    assert provider.calls == calls
    [[entry]] = book.writes
    assert entry.sampled_on == (DAY_START.date() if sampled else None)
    assert isinstance(deps.snapshots, FakeSnapshots)
    snapshot = deps.snapshots.get("a", DAY_START)
    assert snapshot is not None and (snapshot.sample is not None) == sampled


def _limited(reported: int | None) -> tuple[WorkerDeps, PlanBook, RateLimiter]:
    limiter = RateLimiter(FakeState(), PacingPolicy(limit_per_window=10))
    provider = HeaderProvider(reported)
    # The container's meter tells the limiter each reported limit (wiring/worker.py)
    provider.meter = CallMeter(follow_rate_limit=limiter.follow_header)
    deps, book = _plan_deps(provider)
    return deps, book, limiter


def test_a_lower_reported_rate_limit_lowers_the_limiter_once_and_is_kept() -> None:
    # Given a limiter set to 10 calls a minute and a provider whose headers say 5
    deps, book, limiter = _limited(5)
    # When two batches run in the container
    _process(WorkerRun(deps), _body("a"), _body("b"))
    _process(WorkerRun(deps), _body("c", DAY_START + HOUR))
    # Then the limiter paces at 5 from the first, and the limit is saved once for the
    # scheduler's ticks
    assert limiter.limit == 5
    assert book.saved_limits == [5] and book.header_limit == 5


def test_a_reported_limit_above_the_setting_changes_nothing() -> None:
    deps, book, limiter = _limited(50)
    _process(WorkerRun(deps), _body("a"))
    assert limiter.limit == 10 and book.saved_limits == []


def test_no_reported_limit_changes_nothing() -> None:
    deps, book, limiter = _limited(None)
    _process(WorkerRun(deps), _body("a"))
    assert limiter.limit == 10 and book.saved_limits == []


def test_the_reported_limit_is_kept_even_when_the_plans_are_not() -> None:
    deps, book, limiter = _limited(5)
    book.fail = StorageError("BatchWriteItem throttled")
    _process(WorkerRun(deps), _body("a"))
    assert limiter.limit == 5 and book.saved_limits == [5]


def test_a_video_page_without_the_days_comments_is_not_the_days_sample() -> None:
    # Given the day's first cycle of a campaign whose tick had room for one page only (the
    # planner's jump allowance: its 3-call sample did not fit)
    provider = FakeProvider()
    deps, book = _plan_deps(provider)
    # When the worker handles it
    _process(WorkerRun(deps), _body("a", page_calls=1))
    # Then neither the page nor the comments are fetched, so the day is not marked sampled:
    # a later tick with room budgets the whole sample
    assert provider.calls == ["stats"]
    [[entry]] = book.writes
    assert entry.sampled_on is None
