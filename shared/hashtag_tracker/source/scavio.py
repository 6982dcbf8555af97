"""The Scavio TikTok API client: POST + JSON, bounded retries, typed errors, credits counted.

Behaviour per answer (every HTTP attempt first passes through `before_call`, the pacing
hook, and is reported to `on_call` as a CallRecord):
- 2xx: parsed strictly (see shapes.py); unreadable → MalformedResponseError, not retried
  here (a retry costs another credit; the worker retries through its queue).
- 401/403 → AuthError; 402 → OutOfCreditsError; 404 → Hashtag/VideoNotFoundError;
  400 and other 4xx → BadRequestError. None is retried.
- 429 → never retried at once. The wait is what the answer asks for, Retry-After first
  (seconds or an HTTP date), else X-RateLimit-Reset (unix time), and never less than one
  slot of the plan (`min_429_wait`, the plan's window / its calls: 6 s at 10 a minute),
  so a reset that is missing or already past (clock skew) still waits. The wait is slept
  when it is at most `max_rate_limit_wait` and fits the invocation's remaining time;
  otherwise RateLimitedError(wait) hands the work back.
- 5xx, timeouts, connection errors → retried with exponential backoff and full jitter:
  before retry n (1..max_retries) the client sleeps jitter() · min(backoff_cap,
  backoff_base · 2^(n-1)), at least a 5xx's own Retry-After (up to backoff_cap). The
  rate-limit headers play no part. After max_retries + 1 attempts → TransientError.
- Time: no attempt starts unless `remaining_seconds()` leaves its timeout plus a margin,
  and no sleep is taken unless the attempt after it fits too (else DeadlineError, or
  RateLimitedError for a 429): the whole call stays within the Lambda's remaining time.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
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
# One slot of the default plan (10 calls a minute): the shortest wait after any 429.
DEFAULT_MIN_429_WAIT = 60.0 / 10
_MAX_MESSAGE = 200
# An answer whose body is not JSON (json.loads failed).
_NOT_JSON = object()


def plan_slot_seconds(calls: int, window_seconds: float) -> float:
    """One slot of a plan, the shortest wait after a 429: its window over its calls."""
    if calls < 1 or window_seconds <= 0:
        raise ValueError("a plan has at least 1 call in a window longer than 0 s")
    return window_seconds / calls


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

    def __init__(self, reason: str, status: int | None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


def _scrub(text: str, secret: str) -> str:
    """Server text is echoed into messages: strip the key from it and keep it short."""
    if secret:
        text = text.replace(secret, "***")
    return text[:_MAX_MESSAGE]


def _finite(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def retry_after_seconds(headers: Mapping[str, str], now_unix: float) -> float | None:
    """Seconds a Retry-After asks for (delta-seconds or an HTTP date); None when absent or
    unreadable. A date in the past asks for 0."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now_unix)


def header_limit(headers: Mapping[str, str]) -> int | None:
    """The plan's limit from X-RateLimit-Limit: a positive whole number, else None."""
    value = headers.get("X-RateLimit-Limit")
    if value is None:
        return None
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 10**7 else None


def reset_seconds(headers: Mapping[str, str], now_unix: float) -> float | None:
    """Seconds until X-RateLimit-Reset (unix time); None when absent or unreadable, 0 when
    already past (clock skew between the API and us)."""
    value = headers.get("X-RateLimit-Reset")
    at = None if value is None else _finite(value)
    return None if at is None else max(0.0, at - now_unix)


def _json_body(text: str) -> Any:
    """The decoded body, or _NOT_JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _whole(value: Any) -> int | None:
    """A non-negative int as the envelope carries it, else None (never a guess)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _credits_said(body: Any) -> int | None:
    """Credits the envelope reports; the documented price when it is silent; None if unreadable."""
    if not isinstance(body, dict):
        return None
    if "credits_used" not in body:
        return shapes.DEFAULT_CREDITS_PER_CALL
    return _whole(body["credits_used"])


def _credits_remaining(body: Any) -> int | None:
    """The balance the envelope reports, when it does as a non-negative integer."""
    return _whole(body.get("credits_remaining")) if isinstance(body, dict) else None


def _error_text(status: int, body: Any) -> str:
    """The `error.code: message` of an error envelope, or the status alone."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"HTTP {status} {error.get('code', '')}: {error.get('message', '')}"
    return f"HTTP {status}"


class ScavioProvider(Provider):
    """The Scavio implementation of Provider.

    Timing settings: `timeout` per attempt (connect + answer); `max_retries` retries of 5xx,
    timeouts and connection errors (and of short 429 waits), so max_retries + 1 attempts;
    `backoff_base`, `backoff_cap` of the full-jitter backoff; `min_429_wait` one slot of
    the plan (see plan_slot_seconds); `max_rate_limit_wait` the longest 429 wait slept
    in-call. `sleep`, `jitter` (uniform in [0, 1); else `rng`'s), `wall_time` and
    `monotonic` are injectable so tests assert exact waits without sleeping.
    """

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
        jitter: Callable[[], float] | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        min_429_wait: float = DEFAULT_MIN_429_WAIT,
        max_rate_limit_wait: float = 5.0,
        wall_time: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0 or max_retries < 0:
            raise ValueError("timeout must be > 0 and max_retries >= 0")
        if backoff_base < 0 or backoff_cap < 0 or min_429_wait <= 0:
            raise ValueError("backoffs must be >= 0 and min_429_wait > 0 (never retry at once)")
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._transport = transport or Urllib3Transport()
        self._timeout = timeout
        self._max_retries = max_retries
        self._remaining = remaining_seconds
        self._before_call = before_call
        self._on_call = on_call
        self._header_limit: int | None = None
        self._sleep = sleep
        self._jitter = jitter or (rng or random.Random()).random
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._min_429_wait = min_429_wait
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
        attempts = self._max_retries + 1
        for attempt in range(1, attempts + 1):
            self._ensure_time_for_call(endpoint)
            try:
                return self._attempt(endpoint, payload, not_found, parse)
            except _Retryable as exc:
                if attempt == attempts:
                    raise TransientError(
                        f"{endpoint}: gave up after {attempts} attempts ({exc})",
                        status=exc.status,
                    ) from None
                logger.warning(
                    "data API attempt failed; retrying",
                    extra={"endpoint": endpoint, "status": exc.status, "attempt": attempt},
                )
                self._sleep_before_retry(endpoint, self._backoff(attempt, exc.retry_after), exc)
            except RateLimitedError as exc:
                wait = self._rate_limit_wait(exc)  # raises exc when the wait is not slept
                if attempt == attempts:
                    raise
                logger.warning(
                    "data API rate limited; waiting",
                    extra={"endpoint": endpoint, "wait_seconds": wait, "attempt": attempt},
                )
                self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

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
            answer = self._transport.post_json(
                self._base_url + endpoint,
                payload,
                {"Authorization": f"Bearer {key}"},
                self._timeout,
            )
        except (TransportTimeout, TransportError) as exc:
            timed_out = isinstance(exc, TransportTimeout)
            reason = "timed out" if timed_out else f"connection failed ({exc})"
            self._header_limit = None
            self._record(endpoint, None, None, started, reason, lost=exc.sent)
            raise _Retryable(reason, None) from None
        self._header_limit = header_limit(answer.headers)
        body = _json_body(answer.text)
        balance = _credits_remaining(body)
        credits: int | None = None
        try:
            checked = self._judge(endpoint, answer, body, key, not_found)
            credits = _credits_said(checked)
            try:
                result = parse(checked)
            except MalformedResponseError as exc:
                # shapes.py names the field; the endpoint is named here, once.
                raise MalformedResponseError(f"{endpoint}: {exc}", status=answer.status) from None
        except MalformedResponseError as exc:
            self._record(endpoint, answer.status, credits, started, type(exc).__name__, balance)
            raise
        except SourceError as exc:
            self._record(endpoint, answer.status, None, started, type(exc).__name__, balance)
            raise
        except _Retryable as exc:
            self._record(endpoint, answer.status, None, started, str(exc), balance)
            raise
        self._record(endpoint, answer.status, credits, started, None, balance)
        return result

    def _judge(
        self,
        endpoint: str,
        answer: HttpAnswer,
        body: Any,
        key: str,
        not_found: type[NotFoundError],
    ) -> Any:
        """The body of a usable 2xx answer; raises the typed error of any other."""
        status = answer.status
        if 200 <= status < 300:
            return self._decode(endpoint, answer, body, key)
        if status >= 500:
            wait = retry_after_seconds(answer.headers, self._wall_time())
            raise _Retryable(f"HTTP {status}", status, retry_after=wait)
        self._raise_for_client_error(endpoint, answer, body, key, not_found)

    def _raise_for_client_error(
        self,
        endpoint: str,
        answer: HttpAnswer,
        body: Any,
        key: str,
        not_found: type[NotFoundError],
    ) -> NoReturn:
        status = answer.status
        message = f"{endpoint}: {_scrub(_error_text(status, body), key)}"
        if status in (401, 403):
            raise AuthError(message, status=status)
        if status == 402:
            raise OutOfCreditsError(message, status=status)
        if status == 404:
            raise not_found(message, status=status)
        if status == 429:
            raise RateLimitedError(self._429_wait(answer.headers), message)
        raise BadRequestError(message, status=status)

    def _decode(self, endpoint: str, answer: HttpAnswer, body: Any, key: str) -> Any:
        if body is _NOT_JSON:
            raise MalformedResponseError(
                f"{endpoint}: answer is not JSON ({len(answer.text)} bytes)", status=answer.status
            )
        if isinstance(body, dict) and "error" in body and "data" not in body:
            # An error envelope with a 2xx status: trust the envelope's code.
            code = body["error"].get("code") if isinstance(body["error"], dict) else None
            mapped = {"unauthorized": 401, "forbidden": 403, "insufficient_credits": 402}
            if code in mapped:
                forged = HttpAnswer(mapped[code], answer.headers, answer.text)
                self._raise_for_client_error(endpoint, forged, body, key, NotFoundError)
            raise MalformedResponseError(
                f"{endpoint}: error envelope with HTTP {answer.status}: "
                f"{_scrub(_error_text(answer.status, body), key)}",
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
        balance: int | None = None,
        *,
        lost: bool = False,
    ) -> None:
        if self._on_call is not None:
            elapsed = max(0.0, self._monotonic() - started)
            self._on_call(
                CallRecord(
                    endpoint,
                    status,
                    credits,
                    elapsed,
                    error,
                    answer_lost=lost,
                    credits_remaining=balance,
                    rate_limit=self._header_limit,
                )
            )

    # -- time --------------------------------------------------------------------------

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        """Full jitter: jitter() · min(cap, base · 2^(retry-1)); at least a 5xx's own
        Retry-After, up to the cap. The rate-limit headers play no part."""
        ceiling = min(self._backoff_cap, self._backoff_base * 2.0 ** (retry - 1))
        delay = min(1.0, max(0.0, self._jitter())) * ceiling
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._backoff_cap))
        return delay

    def _429_wait(self, headers: Mapping[str, str]) -> float:
        """Retry-After first, then X-RateLimit-Reset, never less than one slot of the plan."""
        now = self._wall_time()
        asked = retry_after_seconds(headers, now)
        if asked is None:
            asked = reset_seconds(headers, now)
        return max(self._min_429_wait, asked or 0.0)

    def _time_left(self) -> float | None:
        return None if self._remaining is None else self._remaining()

    def _ensure_time_for_call(self, endpoint: str) -> None:
        left = self._time_left()
        if left is not None and left < self._timeout + DEADLINE_MARGIN_SECONDS:
            raise DeadlineError(
                f"{endpoint}: {left:.1f}s left, a call may take {self._timeout:.0f}s"
            )

    def _sleep_before_retry(self, endpoint: str, seconds: float, cause: _Retryable) -> None:
        """Sleep, unless the sleep and the attempt after it do not fit the time left."""
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
        """A short wait is slept through when there is time; otherwise hand the work back."""
        wait = exc.retry_after_seconds
        left = self._time_left()
        fits = left is None or left >= wait + self._timeout + DEADLINE_MARGIN_SECONDS
        if wait > self._max_rate_limit_wait or not fits:
            raise exc
        return wait
