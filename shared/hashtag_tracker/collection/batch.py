"""What a worker does once per SQS batch instead of once per record.

Every DynamoDB request costs the worker about a millisecond of CPU (building, signing and
parsing it), so the per-record bookkeeping is taken together: the batch's fetch claims in
one transaction, its credits in one reservation (see CreditBudget), its rate-limit slots
booked in a block (see RateLimiter). What a record ends up not using is given back when
the batch ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hashtag_tracker.collection.ports import FetchClaimStore


@dataclass
class BatchProgress:
    """Records of the current invocation not handled yet (each needs at least one call),
    and what to do when the batch ends (give unused rate-limit slots back)."""

    left: int = 0
    on_end: list[Callable[[], None]] = field(default_factory=list)

    def calls_ahead(self) -> int:
        return max(1, self.left)

    def end(self) -> None:
        for action in self.on_end:
            action()


class BatchClaims:
    """Fetch claims for one invocation (`owner`): taken together up front, each used once.

    A key taken up front is this invocation's for the first record that asks; a key another
    worker held up front is refused without a request; any other key is claimed alone, as
    without a batch. Claims carry their owner, so when the batch's transaction went through
    but its answer was lost, each record's own claim finds the key already its own. A key
    this invocation collected once is refused to a second copy of the message in the batch.
    """

    def __init__(self, store: FetchClaimStore, owner: str) -> None:
        self._store = store
        self.owner = owner
        self._granted: set[str] = set()
        self._refused: set[str] = set()
        self._used: set[str] = set()

    def take(self, keys: list[str], now: datetime, lease: timedelta) -> None:
        if not keys:
            return
        answer = self._store.claim_fetches(keys, now, lease, self.owner)
        self._granted = set(answer.granted)
        self._refused = set(answer.refused)

    def claim_fetch(self, key: str, now: datetime, lease: timedelta) -> bool:
        if key in self._used:
            return False
        if key in self._refused:
            self._refused.discard(key)
            return False
        if key in self._granted:
            self._granted.discard(key)
        elif not self._store.claim_fetch(key, now, lease, self.owner):
            return False
        self._used.add(key)
        return True

    def release_fetch(self, key: str) -> None:
        self._store.release_fetch(key, self.owner)
        self._used.discard(key)

    def release_unused(self) -> None:
        """Free the claims no record used (records failed before collecting)."""
        unused, self._granted, self._refused = sorted(self._granted), set(), set()
        for key in unused:
            self._store.release_fetch(key, self.owner)
