"""Counts every HTTP attempt to the data API and the credits it was charged."""

from __future__ import annotations

import threading

from hashtag_tracker.source.base import CallRecord


def charged(record: CallRecord) -> int:
    """Credits one attempt cost: what the envelope said, else the documented 1 for a 2xx."""
    if record.credits_used is not None:
        return record.credits_used
    return 1 if record.status is not None and 200 <= record.status < 300 else 0


class CallMeter:
    """The provider's on_call hook: a malformed but charged answer still counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.credits = 0
        self.failures = 0

    def record(self, record: CallRecord) -> None:
        with self._lock:
            self.calls += 1
            self.credits += charged(record)
            if not record.succeeded:
                self.failures += 1
