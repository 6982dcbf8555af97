"""The Scavio client: what it sends, and one documented behaviour per kind of answer."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from hashtag_tracker.source.base import CallRecord
from hashtag_tracker.source.errors import (
    AuthError,
    BadRequestError,
    DeadlineError,
    HashtagNotFoundError,
    MalformedResponseError,
    OutOfCreditsError,
    RateLimitedError,
    SourceError,
    TransientError,
    VideoNotFoundError,
)
from hashtag_tracker.source.http import TransportError, TransportTimeout
from hashtag_tracker.source.scavio import HASHTAG, ScavioProvider
from tests.unit.source.fakes import FakeTransport, answer, aweme, error, ok, stats_data

KEY = "sk-live-SECRET-123"
NOW = 1_800_000_000.0


class Harness:
    def __init__(self, script: list[Any], **kwargs: Any) -> None:
        self.session = FakeTransport(list(script))
        self.sleeps: list[float] = []
        self.records: list[CallRecord] = []
        self.paced = 0
        options: dict[str, Any] = {
            "transport": self.session,
            "sleep": self.sleeps.append,
            "on_call": self.records.append,
            "before_call": self._pace,
            "rng": random.Random(7),
            "wall_time": lambda: NOW,
        }
        options.update(kwargs)
        self.provider = ScavioProvider("http://127.0.0.1:9", lambda: KEY, **options)

    def _pace(self) -> None:
        self.paced += 1


def test_stats_call_posts_json_with_bearer_key_and_a_timeout() -> None:
    # Given an API answering the documented shape
    h = Harness([ok(stats_data(views=5_000, videos=42), credits_used=1)])
    # When the stats of a hashtag are asked for
    stats = h.provider.hashtag_stats("trybrandx")
    # Then the request is the documented one and the typed result carries the counters
    sent = h.session.sent[0]
    assert sent.url == "http://127.0.0.1:9" + HASHTAG
    assert sent.json == {"hashtag_name": "trybrandx"}
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.timeout == 10.0
    assert (stats.hashtag_id, stats.views, stats.videos, stats.credits_used) == (
        "7001",
        5000,
        42,
        1,
    )
    assert h.paced == 1
    assert [(r.endpoint, r.status, r.credits_used) for r in h.records] == [(HASHTAG, 200, 1)]


@pytest.mark.parametrize(
    "data",
    [
        # TikTok web shape with statsV2 (numbers as strings)
        {
            "challengeInfo": {
                "challenge": {"id": 7001, "title": "t"},
                "statsV2": {"videoCount": "42", "viewCount": "5000"},
            }
        },
        # a flat shape from tutorials
        {"id": "7001", "title": "t", "stats": {"video_count": 42, "view_count": 5000}},
        # challenge without the challengeInfo wrapper
        {"challenge": {"id": "7001", "title": "t"}, "stats": {"videoCount": 42, "viewCount": 5000}},
    ],
)
def test_alternate_stats_shapes_are_read(data: dict[str, Any]) -> None:
    # Given an answer in one of the shapes public tutorials show
    h = Harness([ok(data)])
    # When it is read
    stats = h.provider.hashtag_stats("t")
    # Then the same counters come out
    assert (stats.hashtag_id, stats.views, stats.videos) == ("7001", 5000, 42)


@pytest.mark.parametrize(
    "data",
    [
        {"challengeInfo": {"challenge": {"id": "7001"}, "stats": {"videoCount": 42}}},
        {
            "challengeInfo": {
                "challenge": {"id": "7001"},
                "stats": {"videoCount": 42, "viewCount": None},
            }
        },
        {
            "challengeInfo": {
                "challenge": {"id": "7001"},
                "stats": {"videoCount": "many", "viewCount": 1},
            }
        },
        {
            "challengeInfo": {
                "challenge": {"id": "7001"},
                "stats": {"videoCount": -1, "viewCount": 1},
            }
        },
        {
            "challengeInfo": {
                "challenge": {"id": "7001"},
                "stats": {"videoCount": True, "viewCount": 1},
            }
        },
        {"challengeInfo": {"stats": {"videoCount": 1, "viewCount": 1}}},
        {"something": "else"},
        [],
    ],
)
def test_missing_or_mistyped_counters_raise_never_zero(data: Any) -> None:
    # Given an answer whose counters are missing, null or mistyped
    h = Harness([ok(data)])
    # When it is read, Then it is a typed error, not a zero-valued result
    with pytest.raises(MalformedResponseError):
        h.provider.hashtag_stats("t")
    # and the failed read is reported to the call counter
    assert h.records[0].error == "MalformedResponseError"


def test_invalid_json_is_malformed_and_not_retried() -> None:
    # Given a 200 whose body is not JSON
    h = Harness([answer(200, text="<html>oops")])
    # When read, Then MalformedResponseError, after a single (charged) call
    with pytest.raises(MalformedResponseError):
        h.provider.hashtag_stats("t")
    assert len(h.session.sent) == 1


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "unauthorized", AuthError),
        (403, "forbidden", AuthError),
        (402, "insufficient_credits", OutOfCreditsError),
        (404, "not_found", HashtagNotFoundError),
        (400, "bad_request", BadRequestError),
    ],
)
def test_client_errors_are_typed_not_retried_and_never_leak_the_key(
    status: int, code: str, expected: type[SourceError]
) -> None:
    # Given an error answer whose message echoes the key back
    h = Harness([error(status, code, f"bad key {KEY}")])
    # When called
    with pytest.raises(expected) as caught:
        h.provider.hashtag_stats("t")
    # Then it is raised after one attempt, with the status, and without the key
    assert len(h.session.sent) == 1
    assert caught.value.status == status
    assert KEY not in str(caught.value)
    assert h.sleeps == []


def test_comments_of_a_deleted_video_are_video_not_found() -> None:
    h = Harness([error(404, "not_found")])
    with pytest.raises(VideoNotFoundError):
        h.provider.video_comments("v1")


def test_error_envelope_with_status_200_is_trusted() -> None:
    # Given a 200 that carries an insufficient_credits error envelope
    h = Harness([answer(200, {"error": {"code": "insufficient_credits", "message": "0 left"}})])
    # Then it is the out-of-credits error, not data
    with pytest.raises(OutOfCreditsError):
        h.provider.hashtag_stats("t")


def test_429_with_a_far_reset_hands_the_work_back() -> None:
    # Given a 429 whose X-RateLimit-Reset is 40 s away
    h = Harness([error(429, "rate_limit_exceeded", **{"X-RateLimit-Reset": str(int(NOW) + 40)})])
    # When called, Then RateLimitedError says when to come back, and nothing slept
    with pytest.raises(RateLimitedError) as caught:
        h.provider.hashtag_stats("t")
    assert caught.value.retry_after_seconds == pytest.approx(40)
    assert caught.value.retry_after == pytest.approx(40)
    assert h.sleeps == []


def test_429_with_a_short_retry_after_is_waited_out_and_paced_again() -> None:
    # Given a plan whose slot is 1 s, a 429 asking for 2 s, then success
    h = Harness(
        [error(429, "rate_limit_exceeded", **{"Retry-After": "2"}), ok(stats_data())],
        min_429_wait=1.0,
    )
    # When called
    stats = h.provider.hashtag_stats("t")
    # Then it slept exactly the asked time, asked the pacer again, and got the data
    assert h.sleeps == [2.0]
    assert h.paced == 2
    assert stats.views == 1000
    assert [r.status for r in h.records] == [429, 200]


def test_429_short_wait_but_no_time_left_hands_the_work_back() -> None:
    # Given 13 s left in the invocation and a 429 asking for 4 s (4 + 10 s timeout + margin > 13)
    h = Harness(
        [error(429, "rate_limit_exceeded", **{"Retry-After": "4"})], remaining_seconds=lambda: 13.0
    )
    with pytest.raises(RateLimitedError):
        h.provider.hashtag_stats("t")
    assert h.sleeps == []


def test_429_without_headers_waits_one_slot_of_the_plan() -> None:
    # Issue 16 changed this from a full window (60 s) to one slot of the plan (6 s at 10/min)
    h = Harness([error(429, "rate_limit_exceeded")])
    with pytest.raises(RateLimitedError) as caught:
        h.provider.hashtag_stats("t")
    assert caught.value.retry_after_seconds == 6.0


def test_5xx_and_timeouts_are_retried_with_bounded_full_jitter_backoff() -> None:
    # Given a 500, a timeout, a 503 and then success
    h = Harness(
        [
            error(500, "internal_error"),
            TransportTimeout("timed out"),
            error(503, "internal_error"),
            ok(stats_data()),
        ],
        backoff_base=0.5,
        backoff_cap=8.0,
    )
    # When called
    stats = h.provider.hashtag_stats("t")
    # Then each retry slept within its full-jitter ceiling (0.5, 1, 2 s) and the data came back
    assert stats.videos == 10
    assert len(h.sleeps) == 3
    for sleep, ceiling in zip(h.sleeps, (0.5, 1.0, 2.0), strict=True):
        assert 0 <= sleep <= ceiling
    assert h.paced == 4
    assert [r.status for r in h.records] == [500, None, 503, 200]


def test_5xx_that_outlast_the_retries_become_transient_error() -> None:
    # Given only failures
    h = Harness(
        [error(500, "internal_error")] * 2 + [TransportError("NewConnectionError")] * 2,
        max_retries=3,
    )
    # When called, Then TransientError after max_retries + 1 attempts, never a result
    with pytest.raises(TransientError):
        h.provider.hashtag_stats("t")
    assert len(h.session.sent) == 4


def test_no_call_is_started_without_time_for_its_timeout() -> None:
    # Given 5 s left and a 10 s timeout
    h = Harness([ok(stats_data())], remaining_seconds=lambda: 5.0)
    # When called, Then DeadlineError and no request was sent
    with pytest.raises(DeadlineError):
        h.provider.hashtag_stats("t")
    assert h.session.sent == []


def test_a_retry_never_sleeps_past_the_remaining_time() -> None:
    # Given a 500 and 12.5 s left: a backoff plus another 10 s call does not fit
    left = iter([12.5, 12.5, 12.0, 12.0])
    h = Harness(
        [error(500, "internal_error"), ok(stats_data())], remaining_seconds=lambda: next(left)
    )
    # When called, Then DeadlineError instead of a sleep
    with pytest.raises(DeadlineError):
        h.provider.hashtag_stats("t")
    assert h.sleeps == []
    assert len(h.session.sent) == 1


def test_pacing_hook_can_abort_before_any_request() -> None:
    # Given a pacer that refuses
    class NoSlotError(RuntimeError):
        pass

    def refuse() -> None:
        raise NoSlotError("no slot")

    h = Harness([ok(stats_data())], before_call=refuse)
    # When called, Then its exception passes through and nothing was sent
    with pytest.raises(NoSlotError):
        h.provider.hashtag_stats("t")
    assert h.session.sent == []


def test_video_page_maps_documented_fields_and_paging() -> None:
    # Given a documented page of videos with more to come
    data = {"aweme_list": [aweme("v1"), aweme("v2")], "cursor": "30", "has_more": 1}
    h = Harness([ok(data, credits_used=1)])
    # When fetched
    page = h.provider.hashtag_videos("7001", "0", 30)
    # Then the request carries id, cursor and count, and every field is typed
    assert h.session.sent[0].json == {"hashtag_id": "7001", "cursor": "0", "count": 30}
    assert (page.cursor, page.has_more, page.credits_used) == ("30", True, 1)
    first = page.videos[0]
    assert first.video_id == "v1"
    assert first.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert (first.plays, first.likes, first.comments, first.shares, first.saves) == (
        1000,
        100,
        10,
        5,
        2,
    )
    assert (first.author_id, first.author_nickname, first.author_followers) == (
        "maya",
        "Maya",
        12000,
    )


def test_video_page_in_the_camel_case_shape_keeps_unknowns_as_none() -> None:
    # Given the web shape: `videos`, camelCase stats, no collectCount, followers in authorStats
    item = {
        "id": 7_300_000_000_000_000_001,
        "desc": "x",
        "createTime": "1767225600",
        "stats": {"playCount": 10, "diggCount": 1, "commentCount": 0, "shareCount": 0},
        "author": {"uniqueId": "lee"},
        "authorStats": {"followerCount": 55},
    }
    h = Harness([ok({"videos": [item], "cursor": 0, "hasMore": False})])
    page = h.provider.hashtag_videos("7001")
    video = page.videos[0]
    # Then ids become text, absent saves and nickname stay unknown, followers are found
    assert video.video_id == "7300000000000000001"
    assert video.saves is None
    assert video.author_nickname is None
    assert video.author_followers == 55
    assert page.has_more is False


def test_a_video_missing_its_play_count_makes_the_page_malformed() -> None:
    broken = aweme("v2")
    del broken["statistics"]["play_count"]
    h = Harness([ok({"aweme_list": [aweme("v1"), broken], "cursor": "2", "has_more": 0})])
    with pytest.raises(MalformedResponseError) as caught:
        h.provider.hashtag_videos("7001")
    assert "play_count" in str(caught.value)


def test_an_empty_last_page_is_empty_not_an_error() -> None:
    h = Harness([ok({"aweme_list": None, "cursor": "90", "has_more": 0})])
    page = h.provider.hashtag_videos("7001", "90")
    assert page.videos == []
    assert page.has_more is False


def test_has_more_without_cursor_is_malformed() -> None:
    h = Harness([ok({"aweme_list": [], "has_more": 1})])
    with pytest.raises(MalformedResponseError):
        h.provider.hashtag_videos("7001")


def test_comment_page_maps_documented_fields() -> None:
    data = {
        "comments": [
            {
                "cid": "c1",
                "text": "love it",
                "create_time": 1_767_225_600,
                "digg_count": 3,
                "user": {"unique_id": "ann"},
            }
        ],
        "cursor": "1",
        "has_more": 0,
    }
    h = Harness([ok(data)])
    page = h.provider.video_comments("v1", "0", 50)
    assert h.session.sent[0].json == {"video_id": "v1", "cursor": "0", "count": 50}
    comment = page.comments[0]
    assert (comment.comment_id, comment.text, comment.likes, comment.author_id) == (
        "c1",
        "love it",
        3,
        "ann",
    )


def test_missing_credits_field_counts_the_documented_price() -> None:
    # Given an unwrapped tutorial-style body without credits_used
    h = Harness([answer(200, {"challengeInfo": stats_data()["challengeInfo"]})])
    stats = h.provider.hashtag_stats("t")
    # Then the call is counted at the documented 1 credit, never 0
    assert stats.credits_used == 1


@pytest.mark.parametrize("count", [0, 31])
def test_page_size_outside_the_api_range_is_refused_before_calling(count: int) -> None:
    h = Harness([])
    with pytest.raises(ValueError):
        h.provider.hashtag_videos("7001", "0", count)
    assert h.session.sent == []


@pytest.mark.parametrize(
    ("call", "count", "limit"),
    [("hashtag_videos", 31, 30), ("video_comments", 0, 50), ("video_comments", 51, 50)],
)
def test_each_paged_call_refuses_its_own_page_size_range(call: str, count: int, limit: int) -> None:
    h = Harness([])
    with pytest.raises(ValueError, match=f"count must be 1..{limit}, got {count}"):
        getattr(h.provider, call)("id", "0", count)
    assert h.session.sent == []
