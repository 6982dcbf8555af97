"""Counts every HTTP attempt to the data API and the credits it was charged."""

from __future__ import annotations

import threading

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

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.credits = 0
        self.failures = 0
        # The account's balance as the newest answer that said it (`credits_remaining`).
        self.balance: int | None = None
        # The lowest limit the provider's X-RateLimit-Limit header said.
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
                self.rate_limit = min(self.rate_limit or record.rate_limit, record.rate_limit)
