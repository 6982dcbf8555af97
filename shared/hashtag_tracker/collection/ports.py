"""What collection needs from storage: small ports named for the domain's needs. The
DynamoDB, SQS and SNS adapters under storage/ satisfy them; tests pass in-memory fakes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from hashtag_tracker.models.bookkeeping import ClaimAnswer, SlotAnswer
from hashtag_tracker.models.hashtag import ScanResult
from hashtag_tracker.models.plan import InFlight, PlanEntry, TickFigures
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo


class CycleClaims(Protocol):
    """One scheduler per collection cycle."""

    def claim_cycle(self, cycle: datetime, now: datetime, stale_after: timedelta) -> bool: ...

    def finish_cycle(self, cycle: datetime, sent: int, invalid: int) -> None: ...

    def release_cycle(self, cycle: datetime, claimed_at: datetime) -> None: ...


class MessageQueue(Protocol):
    """The fetch queue: the scheduler's fan-out and the worker's deferrals."""

    def send_bodies(self, bodies: list[str], delay_seconds: int = 0) -> int: ...


class QueueDepth(Protocol):
    def depth(self) -> int:
        """Messages queued, in flight or delayed (approximate, as SQS counts them)."""
        ...


class PlanBook(Protocol):
    """The polling plan as a tick reads it: a bounded number of requests for every tag."""

    def read_all(self) -> dict[str, PlanEntry]: ...

    def in_flight(self) -> dict[str, InFlight]: ...

    def mark_in_flight(self, hashtags: Sequence[str], tick: datetime, until: datetime) -> None: ...

    def tick_figures(self, month: str) -> TickFigures: ...


class PlanRecords(Protocol):
    """What the worker writes of the plan: each reading's next plan, and the rate limit the
    provider's headers reported."""

    def put_entries(self, entries: Sequence[PlanEntry]) -> None: ...

    def save_header_limit(self, limit: int, now: datetime) -> None: ...


class FetchClaimStore(Protocol):
    """Leases that serialise two deliveries of one fetch message, held by an owner."""

    def claim_fetch(self, key: str, now: datetime, lease: timedelta, owner: str) -> bool: ...

    def claim_fetches(
        self, keys: list[str], now: datetime, lease: timedelta, owner: str
    ) -> ClaimAnswer: ...

    def release_fetch(self, key: str, owner: str) -> None: ...


class FetchClaims(Protocol):
    """One invocation's fetch claims (collection/batch.py BatchClaims): the batch's keys
    taken together up front, then each record's own claim, and what was not used freed."""

    def take(self, keys: list[str], now: datetime, lease: timedelta) -> None: ...

    def claim_fetch(self, key: str, now: datetime, lease: timedelta) -> bool: ...

    def release_fetch(self, key: str) -> None: ...

    def release_unused(self) -> None: ...


class SlotStore(Protocol):
    """The shared next-free-call slot of the plan's rate limit (compare-and-swap)."""

    def reserve_slot(self, observed_ms: int | None, slot_ms: int, next_ms: int) -> SlotAnswer: ...


class CreditStore(Protocol):
    """The month's credit counter."""

    def reserve_credits(self, month: str, amount: int, budget: int) -> bool: ...

    def settle_credits(
        self,
        month: str,
        reserved: int,
        used: int,
        balance: int | None = None,
        now: datetime | None = None,
    ) -> int | None:
        """Count what was used; keep the provider's reported balance; return the month's
        credits used so far when the store knows it."""
        ...


class CarriedCredits(Protocol):
    """Credits a hashtag's cycle spent in deliveries that wrote no snapshot (a retried
    malformed answer, a deferral), so the snapshot's credits count every one of them."""

    def carry_credits(self, key: str, credits: int, now: datetime) -> None: ...

    def carried_credits(self, key: str) -> int: ...


class OnceStore(Protocol):
    """Marks that make an operational notice go out once per key."""

    def mark_once(self, key: str, now: datetime, ttl: timedelta) -> bool: ...

    def unmark(self, key: str) -> None: ...


class Snapshots(Protocol):
    """The time series: one snapshot per hashtag and cycle."""

    def put(self, snapshot: Snapshot, retention: timedelta) -> bool: ...

    def between(
        self, hashtag: str, since: datetime, until: datetime | None = None
    ) -> list[Snapshot]: ...


class Ledger(Protocol):
    """The video ledger: every video and creator ever seen, with first-seen times."""

    def upsert(
        self,
        hashtag: str,
        videos: Sequence[LedgerVideo],
        creators: Sequence[LedgerCreator],
        now: datetime,
    ) -> object: ...


class HashtagStatus(Protocol):
    """What the worker records on a tracked-hashtag item (e.g. 'not_found')."""

    def mark_status(self, hashtag: str, status: str) -> None: ...


class Notices(Protocol):
    def once(self, key: str, subject: str, text: str) -> None:
        """Raise an operational alert once per key (e.g. once per month)."""


@runtime_checkable
class CurrentItems(Protocol):
    """The tracked-hashtag items as they are now (a user may have paused, edited or removed
    one since its message was queued), read in one request for a whole SQS batch."""

    def current_items(self, names: Sequence[str]) -> dict[str, ScanResult | None]:
        """name -> the item now (an InvalidItem if it no longer reads), None if there is no
        such item; a name left out of the answer could not be read (unknown)."""
        ...
