"""The Scavio TikTok API client: POST + JSON, bounded retries, typed errors, credits counted.

Behaviour per answer (every HTTP attempt first passes through `before_call`, the pacing
hook, and is reported to `on_call`):
- 2xx: parsed strictly (see shapes.py); unreadable → MalformedResponseError, not retried
  here (a retry costs another credit; the worker retries through its queue).
- 401/403 → AuthError; 402 → OutOfCreditsError; 404 → Hashtag/VideoNotFoundError;
  400 and other 4xx → BadRequestError. None is retried.
- 429 → waits out X-RateLimit-Reset / Retry-After only when the wait is short and the
  invocation has the time; otherwise RateLimitedError (hand the work back).
- 5xx, timeouts, connection errors → retried with exponential backoff and full jitter,
  at most `max_retries` times, never sleeping past `remaining_seconds()`.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Generic, NoReturn, TypeVar

from hashtag_tracker.observability import logger
from hashtag_tracker.source import shapes
from hashtag_tracker.source.base import (
    CallRecord,
    CommentPage,
    HashtagStats,
    Provider,
    VideoPage,
)
from hashtag_tracker.source.errors import (
    AuthError,
    BadRequestError,
    DeadlineError,
    HashtagNotFoundError,
    MalformedResponseError,
    NotFoundError,
    OutOfCreditsError,
    RateLimitedError,
    SourceError,
    TransientError,
    VideoNotFoundError,
)
from hashtag_tracker.source.http import (
    HttpAnswer,
    Transport,
    TransportError,
    TransportTimeout,
    Urllib3Transport,
)

DEFAULT_BASE_URL = "https://api.scavio.dev"
HASHTAG = "/api/v1/tiktok/hashtag"
HASHTAG_VIDEOS = "/api/v1/tiktok/hashtag/videos"
VIDEO_COMMENTS = "/api/v1/tiktok/video/comments"
MAX_VIDEO_PAGE = 30
MAX_COMMENT_PAGE = 50
# Keep this much invocation time for the caller to record the outcome after we give up.
DEADLINE_MARGIN_SECONDS = 2.0
_MAX_MESSAGE = 200


PageT = TypeVar("PageT", VideoPage, CommentPage)


@dataclass(frozen=True, slots=True)
class _Paged(Generic[PageT]):
    """A cursor-paged endpoint: what names the list, the page size limit, how to read a page."""

    endpoint: str
    subject_field: str
    max_count: int
    not_found: type[NotFoundError]
    parse: Callable[[Any], PageT]


_VIDEOS = _Paged(
    HASHTAG_VIDEOS, "hashtag_id", MAX_VIDEO_PAGE, HashtagNotFoundError, shapes.video_page
)
_COMMENTS = _Paged(
    VIDEO_COMMENTS, "video_id", MAX_COMMENT_PAGE, VideoNotFoundError, shapes.comment_page
)


class _Retryable(Exception):
    """An attempt that may succeed if repeated (5xx, timeout, connection error)."""

    def __init__(self, reason: str, status: int | None, wait_hint: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.wait_hint = wait_hint


def _scrub(text: str, secret: str) -> str:
    """Server text is echoed into messages: strip the key from it and keep it short."""
    if secret:
        text = text.replace(secret, "***")
    return text[:_MAX_MESSAGE]


def _header_seconds(headers: Mapping[str, str], now_unix: float) -> float | None:
    """Seconds to wait from X-RateLimit-Reset (unix time) or Retry-After (seconds or date)."""
    reset = headers.get("X-RateLimit-Reset")
    if reset is not None:
        try:
            return max(0.0, float(reset) - now_unix)
        except ValueError:
            pass
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now_unix)
            except (TypeError, ValueError):
                return None
    return None


def _credits_said(body: Any) -> int | None:
    """Credits the envelope reports; the documented price when it is silent; None if unreadable."""
    if not isinstance(body, dict):
        return None
    if "credits_used" not in body:
        return shapes.DEFAULT_CREDITS_PER_CALL
    value = body["credits_used"]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error_text(answer: HttpAnswer) -> str:
    """The `error.code: message` of an error envelope, or the status alone."""
    try:
        body = json.loads(answer.text)
    except ValueError:
        return f"HTTP {answer.status}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"HTTP {answer.status} {error.get('code', '')}: {error.get('message', '')}"
    return f"HTTP {answer.status}"


class ScavioProvider(Provider):
    """The Scavio implementation of Provider."""

    def __init__(
        self,
        base_url: str,
        api_key: Callable[[], str],
        *,
        transport: Transport | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        remaining_seconds: Callable[[], float] | None = None,
        before_call: Callable[[], None] | None = None,
        on_call: Callable[[CallRecord], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_rate_limit_wait: float = 5.0,
        wall_time: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0 or max_retries < 0:
            raise ValueError("timeout must be > 0 and max_retries >= 0")
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._transport = transport or Urllib3Transport()
        self._timeout = timeout
        self._max_retries = max_retries
        self._remaining = remaining_seconds
        self._before_call = before_call
        self._on_call = on_call
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_rate_limit_wait = max_rate_limit_wait
        self._wall_time = wall_time
        self._monotonic = monotonic

    # -- the three calls (two of them paged) -----------------------------------------------

    def hashtag_stats(self, name: str) -> HashtagStats:
        payload = {"hashtag_name": name}
        stats: HashtagStats = self._call(
            HASHTAG, payload, HashtagNotFoundError, shapes.hashtag_stats
        )
        return stats

    def hashtag_videos(self, hashtag_id: str, cursor: str = "0", count: int = 30) -> VideoPage:
        return self._page(_VIDEOS, hashtag_id, cursor, count)

    def video_comments(self, video_id: str, cursor: str = "0", count: int = 50) -> CommentPage:
        return self._page(_COMMENTS, video_id, cursor, count)

    def _page(self, paged: _Paged[PageT], subject: str, cursor: str, count: int) -> PageT:
        """One page of a cursor-paged list (the caller follows `cursor` while `has_more`)."""
        if not 1 <= count <= paged.max_count:
            raise ValueError(f"count must be 1..{paged.max_count}, got {count}")
        payload = {paged.subject_field: subject, "cursor": cursor, "count": count}
        page: PageT = self._call(paged.endpoint, payload, paged.not_found, paged.parse)
        return page

    # -- transport ---------------------------------------------------------------------

    def _call(
        self,
        endpoint: str,
        payload: dict[str, Any],
        not_found: type[NotFoundError],
        parse: Callable[[Any], Any],
    ) -> Any:
        """POST until a final answer; returns the parsed result of a 2xx answer."""
        delay = 0.0
        last: Exception | None = None
        for attempt in range(self._max_retries + 1):
            if attempt:
                self._wait(delay, endpoint, last)
            self._ensure_time_for_call(endpoint)
            try:
                return self._attempt(endpoint, payload, not_found, parse)
            except _Retryable as exc:
                last = exc
                delay = self._backoff(attempt + 1, exc.wait_hint)
                logger.warning(
                    "data API attempt failed; retrying if allowed",
                    extra={"endpoint": endpoint, "status": exc.status, "attempt": attempt + 1},
                )
            except RateLimitedError as exc:
                last = exc
                delay = self._rate_limit_wait(exc)
        if isinstance(last, RateLimitedError):
            raise last
        status = last.status if isinstance(last, _Retryable) else None
        raise TransientError(
            f"{endpoint}: gave up after {self._max_retries + 1} attempts ({last})", status=status
        )

    def _attempt(
        self,
        endpoint: str,
        payload: dict[str, Any],
        not_found: type[NotFoundError],
        parse: Callable[[Any], Any],
    ) -> Any:
        key = self._api_key()
        if self._before_call is not None:
            # The pacing hook may have waited for a slot: check the time again.
            self._before_call()
            self._ensure_time_for_call(endpoint)
        started = self._monotonic()
        try:
            answer = self._post(endpoint, payload, key)
        except _Retryable as exc:
            self._record(endpoint, None, None, started, str(exc))
            raise
        credits: int | None = None
        try:
            body = self._judge(endpoint, answer, key, not_found)
            credits = _credits_said(body)
            result = parse(body)
        except MalformedResponseError as exc:
            self._record(endpoint, answer.status, credits, started, type(exc).__name__)
            raise type(exc)(f"{endpoint}: {exc}", status=answer.status) from None
        except SourceError as exc:
            self._record(endpoint, answer.status, None, started, type(exc).__name__)
            raise
        except _Retryable as exc:
            self._record(endpoint, answer.status, None, started, str(exc))
            raise
        self._record(endpoint, answer.status, credits, started, None)
        return result

    def _post(self, endpoint: str, payload: dict[str, Any], key: str) -> HttpAnswer:
        try:
            return self._transport.post_json(
                self._base_url + endpoint,
                payload,
                {"Authorization": f"Bearer {key}"},
                self._timeout,
            )
        except TransportTimeout:
            raise _Retryable("timed out", None) from None
        except TransportError as exc:
            raise _Retryable(f"connection failed ({exc})", None) from None

    def _judge(
        self, endpoint: str, answer: HttpAnswer, key: str, not_found: type[NotFoundError]
    ) -> Any:
        status = answer.status
        if 200 <= status < 300:
            return self._decode(endpoint, answer, key)
        if status >= 500:
            wait = _header_seconds(answer.headers, self._wall_time())
            raise _Retryable(f"HTTP {status}", status, wait_hint=wait)
        self._raise_for_client_error(endpoint, answer, key, not_found)

    def _raise_for_client_error(
        self, endpoint: str, answer: HttpAnswer, key: str, not_found: type[NotFoundError]
    ) -> NoReturn:
        status = answer.status
        message = f"{endpoint}: {_scrub(_error_text(answer), key)}"
        if status in (401, 403):
            raise AuthError(message, status=status)
        if status == 402:
            raise OutOfCreditsError(message, status=status)
        if status == 404:
            raise not_found(message, status=status)
        if status == 429:
            wait = _header_seconds(answer.headers, self._wall_time())
            # No header at all: a full window is the safe guess.
            raise RateLimitedError(60.0 if wait is None else wait, message)
        raise BadRequestError(message, status=status)

    def _decode(self, endpoint: str, answer: HttpAnswer, key: str) -> Any:
        try:
            body = json.loads(answer.text)
        except ValueError:
            raise MalformedResponseError(
                f"{endpoint}: answer is not JSON ({len(answer.text)} bytes)", status=answer.status
            ) from None
        if isinstance(body, dict) and "error" in body and "data" not in body:
            # An error envelope with a 2xx status: trust the envelope's code.
            code = body["error"].get("code") if isinstance(body["error"], dict) else None
            mapped = {"unauthorized": 401, "forbidden": 403, "insufficient_credits": 402}
            if code in mapped:
                forged = HttpAnswer(mapped[code], answer.headers, answer.text)
                self._raise_for_client_error(endpoint, forged, key, NotFoundError)
            raise MalformedResponseError(
                f"{endpoint}: error envelope with HTTP {answer.status}: "
                f"{_scrub(_error_text(answer), key)}",
                status=answer.status,
            )
        return body

    def _record(
        self,
        endpoint: str,
        status: int | None,
        credits: int | None,
        started: float,
        error: str | None,
    ) -> None:
        if self._on_call is not None:
            elapsed = max(0.0, self._monotonic() - started)
            self._on_call(CallRecord(endpoint, status, credits, elapsed, error))

    # -- time --------------------------------------------------------------------------

    def _backoff(self, attempt: int, hint: float | None) -> float:
        """Full jitter: uniform(0, min(cap, base * 2^(attempt-1))), at least the server's hint."""
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1))
        delay = self._rng.uniform(0, ceiling)
        if hint is not None:
            delay = max(delay, min(hint, self._backoff_cap))
        return delay

    def _time_left(self) -> float | None:
        return None if self._remaining is None else self._remaining()

    def _ensure_time_for_call(self, endpoint: str) -> None:
        left = self._time_left()
        if left is not None and left < self._timeout + DEADLINE_MARGIN_SECONDS:
            raise DeadlineError(
                f"{endpoint}: {left:.1f}s left, a call may take {self._timeout:.0f}s"
            )

    def _wait(self, seconds: float, endpoint: str, cause: Exception | None) -> None:
        left = self._time_left()
        needed = seconds + self._timeout + DEADLINE_MARGIN_SECONDS
        if left is not None and left < needed:
            raise DeadlineError(
                f"{endpoint}: no time to retry after {cause} ({left:.1f}s left)",
                retry_after_seconds=max(1.0, seconds),
            ) from None
        if seconds > 0:
            self._sleep(seconds)

    def _rate_limit_wait(self, exc: RateLimitedError) -> float:
        """A short reset is slept through when there is time; otherwise hand the work back."""
        wait = exc.retry_after_seconds
        left = self._time_left()
        fits = left is None or left >= wait + self._timeout + DEADLINE_MARGIN_SECONDS
        if wait > self._max_rate_limit_wait or not fits:
            raise exc
        return wait
