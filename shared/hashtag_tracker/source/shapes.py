"""Map Scavio JSON answers to typed results; tolerate the known alternate shapes, invent nothing.

The documented shape comes first. Public tutorials show others (camelCase stats, a flat
`data.stats`, `data.videos` instead of `data.aweme_list` ...): those are read too, but only
from fields that are really there. A missing or mistyped number raises
MalformedResponseError; it never becomes 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from hashtag_tracker.source.base import Comment, CommentPage, HashtagStats, Video, VideoPage
from hashtag_tracker.source.errors import MalformedResponseError

# Counters at or past this are malformed (10^18: far above any real count, within int64).
MAX_COUNT = 10**18

# The documented price of one call, used only when an answer omits `credits_used`.
DEFAULT_CREDITS_PER_CALL = 1

_MISSING = object()


def _first(obj: Mapping[str, Any], *keys: str) -> Any:
    """The value of the first key present (a present null counts as present)."""
    for key in keys:
        if key in obj:
            return obj[key]
    return _MISSING


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),  # before int: a bool is an int
    (Mapping, "an object"),
    (list, "a list"),
    (str, "a string"),
    (int, "an integer"),
    (float, "a number"),
)


def found(value: Any) -> str:
    """What a field holds, for error messages: its kind, never its content (server text may
    echo the key back, and the client keeps it out of its errors)."""
    if value is _MISSING:
        return "missing"
    if value is None:
        return "null"
    if value == "":
        return "an empty string"
    for kind, name in _KINDS:
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedResponseError(f"{where}: expected an object, found {found(value)}")
    return value


def count(value: Any, where: str) -> int:
    """A non-negative integer from an int, an integral float or a digit string (statsV2)."""
    if isinstance(value, bool) or value is _MISSING or value is None:
        raise MalformedResponseError(f"{where}: expected a whole number, found {found(value)}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _is_plain_digits(value.strip()):
        number = int(value.strip())
    else:
        raise MalformedResponseError(f"{where}: expected a whole number, found {_kind(value)}")
    if number < 0:
        raise MalformedResponseError(f"{where}: negative count")
    if number >= MAX_COUNT:
        # No TikTok counter comes near this, and DynamoDB numbers stop at 38 digits.
        raise MalformedResponseError(f"{where}: implausibly large count")
    return number


def _kind(value: Any) -> str:
    if isinstance(value, float):
        return "a fractional or non-finite number"
    if isinstance(value, str):
        return "a string that is not a whole number"
    return found(value)


def _is_plain_digits(text: str) -> bool:
    # str.isdigit() also accepts "²" and other digits int() refuses; and a string of
    # thousands of digits would hit Python's int-conversion limit before MAX_COUNT's check.
    return text.isascii() and text.isdigit() and len(text) <= len(str(MAX_COUNT))


def optional_count(value: Any, where: str) -> int | None:
    """Like count(), but an absent or null field is None (unknown), never 0."""
    if value is _MISSING or value is None:
        return None
    return count(value, where)


def identifier(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise MalformedResponseError(f"{where}: expected an id, found {found(value)}")
    return str(value)


def optional_text(value: Any, where: str) -> str | None:
    if value is _MISSING or value is None:
        return None
    if not isinstance(value, str):
        raise MalformedResponseError(f"{where}: expected text, found {found(value)}")
    return value


def timestamp(value: Any, where: str) -> datetime:
    """Unix seconds (int, float or digit string) to an aware UTC datetime."""
    seconds: float
    if isinstance(value, float) and not isinstance(value, bool) and value >= 0:
        seconds = value  # may be inf or 1e300: fromtimestamp refuses those below
    else:
        seconds = count(value, where)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise MalformedResponseError(f"{where}: out of range") from exc


def envelope_data(body: Any) -> tuple[Mapping[str, Any], int]:
    """The `data` object and the credits charged. Some tutorials show unwrapped bodies."""
    top = _mapping(body, "response")
    credits_raw = _first(top, "credits_used")
    credits = (
        DEFAULT_CREDITS_PER_CALL if credits_raw is _MISSING else count(credits_raw, "credits_used")
    )
    data = _first(top, "data")
    if data is _MISSING:
        return top, credits
    return _mapping(data, "data"), credits


def hashtag_stats(body: Any) -> HashtagStats:
    data, credits = envelope_data(body)
    info = _first(data, "challengeInfo", "challenge_info")
    if info is not _MISSING:
        info = _mapping(info, "data.challengeInfo")
        challenge_at = "data.challengeInfo.challenge"
        challenge = _mapping(_first(info, "challenge"), challenge_at)
        stats = _first(info, "stats", "statsV2")
        where = "data.challengeInfo.stats"
    elif "challenge" in data:
        challenge_at = "data.challenge"
        challenge = _mapping(data["challenge"], challenge_at)
        stats = _first(data, "stats", "statsV2")
        if stats is _MISSING:
            stats = _first(challenge, "stats", "statsV2")
        where = "data.stats"
    elif "stats" in data:
        challenge_at = "data"
        challenge = data
        stats = data["stats"]
        where = "data.stats"
    else:
        raise MalformedResponseError("data: none of challengeInfo, challenge or stats is there")
    stats = _mapping(stats, where)
    return HashtagStats(
        hashtag_id=identifier(_first(challenge, "id", "cid", "challenge_id"), f"{challenge_at}.id"),
        title=optional_text(_first(challenge, "title", "cha_name", "name"), f"{challenge_at}.title")
        or "",
        views=count(_first(stats, "viewCount", "view_count"), f"{where}.viewCount"),
        videos=count(_first(stats, "videoCount", "video_count"), f"{where}.videoCount"),
        credits_used=credits,
    )


def _paging(data: Mapping[str, Any], where: str) -> tuple[str, bool]:
    """Cursor and has_more. An absent has_more means no further page (fetch less, not more)."""
    has_more_raw = _first(data, "has_more", "hasMore")
    if has_more_raw is _MISSING or has_more_raw is None:
        has_more = False
    elif isinstance(has_more_raw, bool):
        has_more = has_more_raw
    elif isinstance(has_more_raw, int) and has_more_raw in (0, 1):
        has_more = bool(has_more_raw)
    else:
        raise MalformedResponseError(
            f"{where}.has_more: expected 0/1 or a boolean, found {found(has_more_raw)}"
        )
    cursor_raw = _first(data, "cursor")
    if cursor_raw is _MISSING or cursor_raw is None:
        if has_more:
            raise MalformedResponseError(f"{where}: has_more without a cursor")
        return "", False
    return identifier(cursor_raw, f"{where}.cursor"), has_more


def _list(data: Mapping[str, Any], keys: Sequence[str], where: str) -> list[Any]:
    items = _first(data, *keys)
    if items is None:
        # An empty page: TikTok answers null rather than [] when a list is empty.
        return []
    if not isinstance(items, list):
        raise MalformedResponseError(
            f"{where}: expected a list (under {' or '.join(keys)}), found {found(items)}"
        )
    return items


def _author(raw: Mapping[str, Any], where: str) -> tuple[str, str | None, int | None]:
    author = _first(raw, "author")
    if isinstance(author, str):
        author_id = identifier(author, f"{where}.author")
        nickname = None
        followers = None
        author_stats: Any = _first(raw, "authorStats")
    else:
        author = _mapping(author, f"{where}.author")
        author_id = identifier(
            _first(author, "unique_id", "uniqueId", "uid", "id"), f"{where}.author.unique_id"
        )
        nickname = optional_text(_first(author, "nickname"), f"{where}.author.nickname")
        followers = optional_count(
            _first(author, "follower_count", "followerCount"), f"{where}.author.follower_count"
        )
        author_stats = _first(raw, "authorStats")
        if author_stats is _MISSING:
            author_stats = _first(author, "stats")
    if followers is None and isinstance(author_stats, Mapping):
        followers = optional_count(
            _first(author_stats, "followerCount", "follower_count"), f"{where}.authorStats"
        )
    return author_id, nickname, followers


def video(raw: Any, where: str) -> Video:
    raw = _mapping(raw, where)
    stats = _mapping(_first(raw, "statistics", "stats"), f"{where}.statistics")
    author_id, nickname, followers = _author(raw, where)
    return Video(
        video_id=identifier(_first(raw, "aweme_id", "id", "video_id"), f"{where}.aweme_id"),
        description=optional_text(_first(raw, "desc", "description", "title"), f"{where}.desc"),
        created_at=timestamp(_first(raw, "create_time", "createTime"), f"{where}.create_time"),
        plays=count(_first(stats, "play_count", "playCount"), f"{where}.play_count"),
        likes=count(_first(stats, "digg_count", "diggCount"), f"{where}.digg_count"),
        comments=count(_first(stats, "comment_count", "commentCount"), f"{where}.comment_count"),
        shares=count(_first(stats, "share_count", "shareCount"), f"{where}.share_count"),
        saves=optional_count(
            _first(stats, "collect_count", "collectCount"), f"{where}.collect_count"
        ),
        author_id=author_id,
        author_nickname=nickname,
        author_followers=followers,
    )


def video_page(body: Any) -> VideoPage:
    data, credits = envelope_data(body)
    items = _list(data, ("aweme_list", "videos", "itemList"), "data.aweme_list")
    cursor, has_more = _paging(data, "data")
    return VideoPage(
        videos=[video(item, f"data.aweme_list[{i}]") for i, item in enumerate(items)],
        cursor=cursor,
        has_more=has_more,
        credits_used=credits,
    )


def comment(raw: Any, where: str) -> Comment:
    raw = _mapping(raw, where)
    user = _mapping(_first(raw, "user", "author"), f"{where}.user")
    text = _first(raw, "text")
    if not isinstance(text, str):
        raise MalformedResponseError(f"{where}.text: expected text, found {found(text)}")
    return Comment(
        comment_id=identifier(_first(raw, "cid", "id", "comment_id"), f"{where}.cid"),
        text=text,
        created_at=timestamp(_first(raw, "create_time", "createTime"), f"{where}.create_time"),
        likes=count(_first(raw, "digg_count", "diggCount", "likes"), f"{where}.digg_count"),
        author_id=identifier(
            _first(user, "unique_id", "uniqueId", "uid", "id"), f"{where}.user.unique_id"
        ),
    )


def comment_page(body: Any) -> CommentPage:
    data, credits = envelope_data(body)
    items = _list(data, ("comments",), "data.comments")
    cursor, has_more = _paging(data, "data")
    return CommentPage(
        comments=[comment(item, f"data.comments[{i}]") for i, item in enumerate(items)],
        cursor=cursor,
        has_more=has_more,
        credits_used=credits,
    )
