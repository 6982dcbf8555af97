"""Issue 16 on the scripted transport: retry waits, error messages, the credit fields."""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

import pytest

from hashtag_tracker.source.errors import (
    AuthError,
    BadRequestError,
    MalformedResponseError,
    OutOfCreditsError,
    RateLimitedError,
    TransientError,
)
from hashtag_tracker.source.http import TransportError, TransportTimeout
from hashtag_tracker.source.scavio import (
    DEFAULT_MIN_429_WAIT,
    HASHTAG,
    HASHTAG_VIDEOS,
    ScavioProvider,
    plan_slot_seconds,
)
from tests.unit.source.fakes import answer, error, ok, stats_data
from tests.unit.source.test_scavio_client import NOW, Harness

RATE_LIMITED = "rate_limit_exceeded"


def jittered(script: list[Any], value: float = 1.0, **kwargs: Any) -> Harness:
    return Harness(script, jitter=lambda: value, **kwargs)


# -- retry timing --------------------------------------------------------------------------


def test_jitter_is_injectable_and_backoff_doubles_up_to_its_cap() -> None:
    # Given four 500s, full jitter drawn at its ceiling, base 2 s and cap 5 s
    h = jittered([error(500, "internal_error")] * 4, backoff_base=2.0, backoff_cap=5.0)
    # When called, Then the waits are exactly 2, 4, 5 s, and 4 attempts were made
    with pytest.raises(TransientError):
        h.provider.hashtag_stats("t")
    assert h.sleeps == [2.0, 4.0, 5.0]
    assert len(h.session.sent) == 4


def test_a_5xx_ignores_the_rate_limit_reset() -> None:
    h = jittered(
        [
            error(500, "internal_error", **{"X-RateLimit-Reset": str(int(NOW) + 55)}),
            ok(stats_data()),
        ],
        value=0.5,
    )
    h.provider.hashtag_stats("t")
    assert h.sleeps == [0.25]


def test_a_5xx_retry_after_is_honoured_up_to_the_cap() -> None:
    h = jittered(
        [
            error(503, "internal_error", **{"Retry-After": "3"}),
            error(503, "internal_error", **{"Retry-After": "600"}),
            ok(stats_data()),
        ],
        value=0.0,
    )
    h.provider.hashtag_stats("t")
    assert h.sleeps == [3.0, 8.0]


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        # Retry-After first, then X-RateLimit-Reset, then one slot; never under a slot
        ({"Retry-After": "20", "X-RateLimit-Reset": str(int(NOW) + 40)}, 20.0),
        ({"Retry-After": formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"Retry-After": formatdate(NOW - 30, usegmt=True)}, 6.0),
        ({"Retry-After": "soon", "X-RateLimit-Reset": str(int(NOW) + 40)}, 40.0),
        ({"Retry-After": "inf", "X-RateLimit-Reset": "nan"}, 6.0),
        ({"X-RateLimit-Reset": str(int(NOW) - 3)}, 6.0),
        ({"Retry-After": "0"}, 6.0),
        ({}, 6.0),
    ],
)
def test_the_wait_a_429_hands_back(headers: dict[str, str], wait: float) -> None:
    h = Harness([error(429, RATE_LIMITED, **headers)], max_rate_limit_wait=0.0)
    with pytest.raises(RateLimitedError) as caught:
        h.provider.hashtag_stats("t")
    assert caught.value.retry_after_seconds == pytest.approx(wait)
    assert h.sleeps == []


def test_a_429_waits_the_plans_slot_when_it_is_told_the_plan() -> None:
    # Given a 5-a-minute plan (12 s slots) and a 429 whose reset is already past
    h = Harness(
        [error(429, RATE_LIMITED, **{"X-RateLimit-Reset": str(int(NOW) - 1)}), ok(stats_data())],
        min_429_wait=plan_slot_seconds(5, 60.0),
        max_rate_limit_wait=15.0,
    )
    h.provider.hashtag_stats("t")
    assert h.sleeps == [12.0]


def test_plan_slot_and_the_default() -> None:
    assert plan_slot_seconds(10, 60.0) == DEFAULT_MIN_429_WAIT == 6.0
    with pytest.raises(ValueError):
        plan_slot_seconds(0, 60.0)
    with pytest.raises(ValueError):
        ScavioProvider("http://x", lambda: "k", min_429_wait=0)


# -- error messages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stats", "found"),
    [(None, "null"), ([], "a list"), ("12", "a string"), (7, "an integer")],
)
def test_a_stats_object_of_the_wrong_kind_says_what_was_found(stats: Any, found: str) -> None:
    h = Harness([ok({"challengeInfo": {"challenge": {"id": "1"}, "stats": stats}})])
    with pytest.raises(MalformedResponseError) as caught:
        h.provider.hashtag_stats("t")
    assert str(caught.value) == (
        f"{HASHTAG}: data.challengeInfo.stats: expected an object, found {found}"
    )


def test_a_missing_stats_object_is_reported_missing() -> None:
    h = Harness([ok({"challengeInfo": {"challenge": {"id": "1"}}})])
    with pytest.raises(MalformedResponseError) as caught:
        h.provider.hashtag_stats("t")
    assert str(caught.value) == (
        f"{HASHTAG}: data.challengeInfo.stats: expected an object, found missing"
    )


def test_a_list_that_is_not_a_list_says_what_it_is() -> None:
    h = Harness([ok({"aweme_list": {"x": 1}, "has_more": 0})])
    with pytest.raises(MalformedResponseError) as caught:
        h.provider.hashtag_videos("1")
    message = str(caught.value)
    assert message.startswith(f"{HASHTAG_VIDEOS}: data.aweme_list: expected a list")
    assert message.endswith("found an object")
    assert message.count(HASHTAG_VIDEOS) == 1


def test_a_400_names_the_endpoint_once() -> None:
    h = Harness([error(400, "bad_request", "count must be 1..30")])
    with pytest.raises(BadRequestError) as caught:
        h.provider.hashtag_stats("t")
    assert str(caught.value) == f"{HASHTAG}: HTTP 400 bad_request: count must be 1..30"


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        ([answer(200, text="<html>")], MalformedResponseError),
        ([answer(200, {"error": {"code": "weird"}})], MalformedResponseError),
        ([answer(200, {"error": {"code": "unauthorized"}})], AuthError),
        ([error(429, RATE_LIMITED)], RateLimitedError),
    ],
)
def test_every_error_names_the_endpoint_once(script: list[Any], kind: type[Exception]) -> None:
    h = Harness(script, max_rate_limit_wait=0.0)
    with pytest.raises(kind) as caught:
        h.provider.hashtag_stats("t")
    assert str(caught.value).count(HASHTAG) == 1


# -- credit fields of CallRecord -------------------------------------------------------------


def test_answer_lost_is_set_only_for_what_went_out_unanswered() -> None:
    h = jittered(
        [
            TransportError("NewConnectionError", sent=False),
            TransportTimeout("connect timed out", sent=False),
            TransportTimeout("timed out"),
            TransportError("ProtocolError", sent=True),
            ok(stats_data()),
        ],
        max_retries=4,
    )
    h.provider.hashtag_stats("t")
    assert [r.answer_lost for r in h.records] == [False, False, True, True, False]
    assert [r.status for r in h.records] == [None, None, None, None, 200]


@pytest.mark.parametrize(
    ("envelope", "balance"),
    [
        ({"credits_remaining": 41}, 41),
        ({"credits_remaining": 0}, 0),
        ({"credits_remaining": -1}, None),
        ({"credits_remaining": True}, None),
        ({"credits_remaining": "41"}, None),
        ({"credits_remaining": 41.0}, None),
        ({}, None),
    ],
)
def test_credits_remaining_is_read_never_invented(envelope: dict[str, Any], balance: Any) -> None:
    h = Harness([answer(200, {"data": stats_data(), "credits_used": 1, **envelope})])
    h.provider.hashtag_stats("t")
    assert h.records[0].credits_remaining == balance


def test_credits_remaining_of_an_error_answer_is_kept_too() -> None:
    body = {"error": {"code": "insufficient_credits", "message": "0 left"}, "credits_remaining": 0}
    h = Harness([answer(402, body)])
    with pytest.raises(OutOfCreditsError):
        h.provider.hashtag_stats("t")
    assert h.records[0].credits_remaining == 0


def test_a_negative_credits_used_is_not_recorded() -> None:
    h = Harness([answer(200, {"data": stats_data(), "credits_used": -3})])
    with pytest.raises(MalformedResponseError):
        h.provider.hashtag_stats("t")
    assert h.records[0].credits_used is None
