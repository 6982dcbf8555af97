"""Counts every HTTP attempt to the data API and the credits it was charged."""

from __future__ import annotations

import threading
from collections.abc import Callable

from hashtag_tracker.source.base import CallRecord


def charged(record: CallRecord) -> int:
    """Credits one attempt may have cost, never fewer than the provider may have charged:
    what the envelope said; else the documented 1 for a 2xx answer (readable or not) and
    for a request that went out but whose answer was lost (a read timeout: the provider
    may have done the work and charged it); else 0 (an error status, or never sent)."""
    if record.credits_used is not None:
        return record.credits_used
    if record.answer_lost:
        return 1
    return 1 if record.status is not None and 200 <= record.status < 300 else 0


class CallMeter:
    """The provider's on_call hook: a malformed but charged answer still counts."""

    def __init__(self, follow_rate_limit: Callable[[int], bool] | None = None) -> None:
        """`follow_rate_limit` is told each limit the provider's X-RateLimit-Limit reports,
        as soon as an answer says it (the rate limiter paces to it); True when that changed
        the pace."""
        self._lock = threading.Lock()
        self._follow = follow_rate_limit
        # The pace changed to a reported limit during this invocation (kept for the scheduler).
        self.limit_changed = False
        self.calls = 0
        self.credits = 0
        self.failures = 0
        # The account's balance as the newest answer that said it (`credits_remaining`).
        self.balance: int | None = None
        # The limit the provider's X-RateLimit-Limit header said last.
        self.rate_limit: int | None = None

    def record(self, record: CallRecord) -> None:
        with self._lock:
            self.calls += 1
            self.credits += charged(record)
            if not record.succeeded:
                self.failures += 1
            if record.credits_remaining is not None:
                self.balance = record.credits_remaining
            if record.rate_limit is not None:
                self.rate_limit = record.rate_limit
                if self._follow is not None and self._follow(record.rate_limit):
                    self.limit_changed = True
