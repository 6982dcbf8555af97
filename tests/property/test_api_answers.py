"""Data-API answers: fuzzed JSON and types, through the parser and the real client."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.source import shapes
from hashtag_tracker.source.errors import MalformedResponseError, SourceError
from hashtag_tracker.source.http import HttpAnswer
from hashtag_tracker.source.scavio import ScavioProvider
from hashtag_tracker.storage.dynamo import serialize_item
from hashtag_tracker.storage.snapshots import snapshot_to_item
from tests.property.conftest import STABLE
from tests.property.strategies import ANY_TEXT, SCALARS, json_values

pytestmark = pytest.mark.property

STATS = {
    "data": {
        "challengeInfo": {
            "challenge": {"id": "7001", "title": "tag", "desc": ""},
            "stats": {"videoCount": 2000, "viewCount": 6_000_000},
        }
    },
    "credits_used": 1,
    "credits_remaining": 99,
    "response_time": 120,
}
VIDEO = {
    "aweme_id": "7300000000000000001",
    "desc": "my take",
    "create_time": 1_760_000_000,
    "statistics": {
        "play_count": 1000,
        "digg_count": 100,
        "comment_count": 10,
        "share_count": 5,
        "collect_count": 2,
    },
    "author": {"unique_id": "maya", "nickname": "Maya"},
}
VIDEOS = {"data": {"aweme_list": [VIDEO], "cursor": "1", "has_more": 0}, "credits_used": 1}
COMMENTS = {
    "data": {
        "comments": [
            {
                "cid": "1",
                "text": "love it",
                "create_time": 1_760_000_000,
                "digg_count": 3,
                "user": {"unique_id": "leo"},
            }
        ],
        "cursor": "1",
        "has_more": 0,
    },
    "credits_used": 1,
}
PARSERS: dict[str, Callable[[Any], Any]] = {
    "hashtag": shapes.hashtag_stats,
    "videos": shapes.video_page,
    "comments": shapes.comment_page,
}
COUNT_PATHS = (
    ("data", "challengeInfo", "stats", "videoCount"),
    ("data", "challengeInfo", "stats", "viewCount"),
)


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def _count_of(value: Any) -> int | None:
    """The documented reading of a count: a whole non-negative number, or a digit string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


@STABLE
@given(st.sampled_from(sorted(PARSERS)), json_values())
def test_any_json_answer_is_read_or_rejected_as_malformed(endpoint: str, body: Any) -> None:
    """Data-API answers: any JSON document, for each of the three endpoints.
    Asserted: the parser returns a typed result or raises MalformedResponseError, nothing
    else (no KeyError/TypeError that would crash the record)."""
    try:
        PARSERS[endpoint](body)
    except MalformedResponseError as exc:
        assert str(exc)


@STABLE
@given(st.sampled_from(COUNT_PATHS), json_values(max_leaves=4))
def test_a_count_of_any_type_is_read_exactly_or_rejected_never_zeroed(
    path: tuple[str, ...], value: Any
) -> None:
    """Data-API answers with a mistyped count: viewCount / videoCount replaced by any JSON
    value (null, bool, negative, float, text, list, object).
    Asserted: a documented number is read exactly; anything else is MalformedResponseError;
    a missing or mistyped count never becomes 0."""
    expected = _count_of(value)
    try:
        stats = shapes.hashtag_stats(_set(STATS, path, value))
    except MalformedResponseError:
        assert expected is None, value
        return
    read = stats.videos if path[-1] == "videoCount" else stats.views
    assert read == expected, (value, read)


@STABLE
@given(
    st.sampled_from(
        [
            ("statistics", "play_count"),
            ("statistics", "digg_count"),
            ("aweme_id",),
            ("author",),
            ("author", "unique_id"),
            ("statistics",),
            ("desc",),
        ]
    ),
    json_values(max_leaves=4),
)
def test_a_video_with_a_field_of_any_type_is_read_or_rejected(
    path: tuple[str, ...], value: Any
) -> None:
    """Data-API video fields.
    Input: a video page whose video has one field (counts, id, author, statistics, desc)
    replaced by any JSON value.
    Asserted: a typed page or MalformedResponseError, never another exception."""
    body = copy.deepcopy(VIDEOS)
    body["data"]["aweme_list"][0] = _set(VIDEO, path, value)
    try:
        page = shapes.video_page(body)
    except MalformedResponseError:
        return
    assert len(page.videos) == 1


class _Transport:
    """An HTTP transport stand-in: every POST gets the same answer."""

    def __init__(self, text: str, status: int) -> None:
        self.answer = HttpAnswer(status, {}, text)

    def post_json(self, *args: Any, **kwargs: Any) -> HttpAnswer:
        return self.answer


@STABLE
@given(
    st.one_of(ANY_TEXT, json_values().map(json.dumps)),
    st.sampled_from([200, 201, 204, 400, 401, 402, 403, 404, 418, 429, 500, 503]),
    st.sampled_from(sorted(PARSERS)),
)
def test_the_client_turns_any_answer_into_a_result_or_a_source_error(
    text: str, status: int, endpoint: str
) -> None:
    """Data-API answers through the real client.
    Input: any text or JSON body with any HTTP status (200, 4xx, 429, 5xx), to the Scavio
    client (no retries, no sleeps).
    Asserted: a typed result or a SourceError subclass the worker maps to an outcome; never
    another exception; the API key never appears in the error."""
    key = "sk-property-secret"
    provider = ScavioProvider(
        "http://api.invalid",
        lambda: key,
        transport=_Transport(text.replace("KEY", key), status),
        max_retries=0,
        sleep=lambda _s: None,
        max_rate_limit_wait=0,
    )
    call = {
        "hashtag": lambda: provider.hashtag_stats("tag"),
        "videos": lambda: provider.hashtag_videos("7001"),
        "comments": lambda: provider.video_comments("7300000000000000001"),
    }[endpoint]
    try:
        call()
    except SourceError as exc:
        assert key not in str(exc)


@STABLE
@example(1e20)
@given(st.floats(min_value=1e12, allow_nan=False))
def test_a_video_with_an_out_of_range_time_is_rejected_as_malformed(create_time: float) -> None:
    """Data-API video times out of range.
    Input: a video whose `create_time` is a float beyond any date (1e20, 1e300, Infinity).
    Asserted: rejected as MalformedResponseError, like an out-of-range integer time."""
    body = copy.deepcopy(VIDEOS)
    body["data"]["aweme_list"][0] = _set(VIDEO, ("create_time",), create_time)
    with pytest.raises(MalformedResponseError):
        shapes.video_page(body)


@STABLE
@example(10**40 + 1)
@given(st.integers(min_value=0, max_value=10**45))
def test_every_count_the_parser_accepts_can_be_stored(views: int) -> None:
    """Data-API absurd counts.
    Input: `viewCount` of up to 46 digits.
    Asserted: a count is either rejected as malformed or can be stored as a snapshot."""
    try:
        stats = shapes.hashtag_stats(_set(STATS, COUNT_PATHS[1], views))
    except MalformedResponseError:
        return
    cycle = datetime(2026, 11, 2, tzinfo=UTC)
    snapshot = Snapshot(
        hashtag="tag", cycle=cycle, taken_at=cycle, views=stats.views, videos=stats.videos
    )
    serialize_item(snapshot_to_item(snapshot, timedelta(days=400)))


@STABLE
@given(SCALARS)
def test_has_more_of_any_type_is_read_or_rejected(value: Any) -> None:
    """Data-API paging: `has_more` of any type.
    Asserted: 0/1/true/false/absent are read; anything else is MalformedResponseError."""
    body = copy.deepcopy(COMMENTS)
    body["data"]["has_more"] = value
    try:
        page = shapes.comment_page(body)
    except MalformedResponseError:
        assert value not in (0, 1, None) or isinstance(value, float)
        return
    assert page.has_more in (True, False)
