"""Typed failures of the data source; each one has one documented behaviour for the caller.

No message ever carries the API key: the client scrubs server text before raising.
"""

from __future__ import annotations


class SourceError(Exception):
    """Base of every data-source failure."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(SourceError):
    """401/403: the key is refused. Fatal for the run, never retried, reported."""


class ApiKeyUnavailableError(AuthError):
    """The key could not be read from Secrets Manager / SSM, or it is empty: fatal likewise."""


class OutOfCreditsError(SourceError):
    """402: the account has no credits left. Stop spending; report it."""


class NotFoundError(SourceError):
    """404 for the thing asked about."""


class HashtagNotFoundError(NotFoundError):
    """404 on a hashtag: mark the tracked item, do not retry it every cycle."""


class VideoNotFoundError(NotFoundError):
    """404 on a video's comments: the video was deleted or made private."""


class RateLimitedError(SourceError):
    """429: too many calls. Hand the work back for `retry_after_seconds`."""

    def __init__(self, retry_after_seconds: float, message: str | None = None) -> None:
        retry_after_seconds = max(0.0, retry_after_seconds)
        super().__init__(
            message or f"rate limited; retry after {retry_after_seconds:.1f}s", status=429
        )
        self.retry_after_seconds = retry_after_seconds

    @property
    def retry_after(self) -> float:
        """Same as retry_after_seconds; matches the pacing module's NoCapacityError."""
        return self.retry_after_seconds


class TransientError(SourceError):
    """5xx, timeouts or connection errors that outlasted the bounded retries."""


class MalformedResponseError(SourceError):
    """The answer is not what the API documents: bad JSON, unknown shape, a field missing
    or mistyped. Never turned into zeros."""


class BadRequestError(MalformedResponseError):
    """400 or another unexpected 4xx: the exchange itself is broken (not retried in-call).

    A subclass of MalformedResponseError so callers that handle bad exchanges handle it too.
    """


class DeadlineError(SourceError):
    """Not enough invocation time left to call, wait or retry: hand the work back."""

    def __init__(self, message: str, *, retry_after_seconds: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    @property
    def retry_after(self) -> float:
        return self.retry_after_seconds
