"""What a worker does once per SQS batch instead of once per record.

Every DynamoDB request costs the worker about a millisecond of CPU (building, signing and
parsing it), so the per-record bookkeeping is taken together: the batch's fetch claims in
one transaction, its credits in one reservation (see CreditBudget), its rate-limit slots
booked in a block (see RateLimiter). What a record ends up not using is given back when
the batch ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from hashtag_tracker.storage.state import ClaimAnswer


class ClaimStore(Protocol):
    def claim_fetch(self, key: str, now: datetime, lease: timedelta) -> bool: ...

    def claim_fetches(self, keys: list[str], now: datetime, lease: timedelta) -> ClaimAnswer: ...

    def release_fetch(self, key: str) -> None: ...


@dataclass
class BatchProgress:
    """Records of the current invocation not handled yet: each needs at least one call."""

    left: int = 0

    def calls_ahead(self) -> int:
        return max(1, self.left)


class BatchClaims:
    """Fetch claims for one invocation: taken together up front, each used at most once.

    A key taken up front is this worker's for the first record that asks; a key another
    worker held up front is refused without a request; any other key (a second copy of a
    message in the same batch, a key left undecided) is claimed alone, as without a batch.
    """

    def __init__(self, store: ClaimStore) -> None:
        self._store = store
        self._granted: set[str] = set()
        self._refused: set[str] = set()

    def take(self, keys: list[str], now: datetime, lease: timedelta) -> None:
        if not keys:
            return
        answer = self._store.claim_fetches(keys, now, lease)
        self._granted = set(answer.granted)
        self._refused = set(answer.refused)

    def claim_fetch(self, key: str, now: datetime, lease: timedelta) -> bool:
        if key in self._granted:
            self._granted.discard(key)
            return True
        if key in self._refused:
            self._refused.discard(key)
            return False
        return self._store.claim_fetch(key, now, lease)

    def release_fetch(self, key: str) -> None:
        self._store.release_fetch(key)

    def release_unused(self) -> int:
        """Free the claims no record used (records failed before collecting); how many."""
        unused, self._granted, self._refused = sorted(self._granted), set(), set()
        for key in unused:
            self._store.release_fetch(key)
        return len(unused)
