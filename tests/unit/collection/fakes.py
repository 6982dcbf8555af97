"""In-memory fakes of the collection cycle's ports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from hashtag_tracker.clock import to_iso
from hashtag_tracker.collection.ports import CycleClaims, MessageQueue
from hashtag_tracker.collection.scheduler import TickPorts
from hashtag_tracker.models.bookkeeping import ClaimAnswer, SlotAnswer
from hashtag_tracker.models.codec import replace
from hashtag_tracker.models.hashtag import ScanResult
from hashtag_tracker.models.plan import InFlight, PlanEntry, TickFigures
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo


class FakeClaims:
    def __init__(self) -> None:
        self.claims: dict[str, str] = {}

    def claim_cycle(self, cycle: datetime, now: datetime, stale_after: timedelta) -> bool:
        if to_iso(cycle) in self.claims:
            return False
        self.claims[to_iso(cycle)] = "claimed"
        return True

    def finish_cycle(self, cycle: datetime, sent: int, invalid: int) -> None:
        self.claims[to_iso(cycle)] = "done"

    def release_cycle(self, cycle: datetime, claimed_at: datetime) -> None:
        if self.claims.get(to_iso(cycle)) == "claimed":
            del self.claims[to_iso(cycle)]


class FakeSink:
    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.delays: list[int] = []

    def send_bodies(self, bodies: list[str], delay_seconds: int = 0) -> int:
        self.bodies.extend(bodies)
        self.delays.extend([delay_seconds] * len(bodies))
        return len(bodies)


class FakeSnapshots:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Snapshot] = {}

    def get(self, hashtag: str, cycle: datetime) -> Snapshot | None:
        return self.items.get((hashtag, to_iso(cycle)))

    def put(self, snapshot: Snapshot, retention: timedelta) -> bool:
        key = (snapshot.hashtag, to_iso(snapshot.cycle))
        if key in self.items:
            return False
        self.items[key] = snapshot
        return True

    def between(
        self, hashtag: str, since: datetime, until: datetime | None = None
    ) -> list[Snapshot]:
        return sorted(
            (
                s
                for (h, _), s in self.items.items()
                if h == hashtag and s.cycle >= since and (until is None or s.cycle <= until)
            ),
            key=lambda s: s.cycle,
        )


class FakeLedger:
    def __init__(self) -> None:
        self.videos: dict[tuple[str, str], LedgerVideo] = {}
        self.creators: dict[tuple[str, str], LedgerCreator] = {}

    def upsert(
        self,
        hashtag: str,
        videos: Sequence[LedgerVideo],
        creators: Sequence[LedgerCreator],
        now: datetime,
    ) -> object:
        for v in videos:
            old = self.videos.get((hashtag, v.video_id))
            self.videos[(hashtag, v.video_id)] = (
                v if old is None else replace(v, first_seen=old.first_seen)
            )
        for c in creators:
            self.creators.setdefault((hashtag, c.author_id), c)
        return None


class FakeState:
    """Slots, credits and once-marks, like the State table."""

    def __init__(self) -> None:
        self.next_ms: int | None = None
        self.spent: dict[str, int] = {}
        self.used: dict[str, int] = {}
        self.marks: set[str] = set()
        self.fetch_leases: dict[str, datetime] = {}
        self.fetch_owners: dict[str, str] = {}
        self.batch_claims = 0
        self.carried: dict[str, int] = {}
        self.balances: dict[str, int] = {}

    def reserve_slot(self, observed_ms: int | None, slot_ms: int, next_ms: int) -> SlotAnswer:
        if self.next_ms != observed_ms:
            return SlotAnswer(False, self.next_ms)
        self.next_ms = next_ms
        return SlotAnswer(True, next_ms)

    def reserve_credits(self, month: str, amount: int, budget: int) -> bool:
        if self.spent.get(month, 0) + amount > budget:
            return False
        self.spent[month] = self.spent.get(month, 0) + amount
        return True

    def settle_credits(
        self,
        month: str,
        reserved: int,
        used: int,
        balance: int | None = None,
        now: datetime | None = None,
    ) -> int | None:
        self.spent[month] = self.spent.get(month, 0) - reserved + used
        self.used[month] = self.used.get(month, 0) + used
        if balance is not None:
            self.balances[month] = balance
        return self.used[month]

    def claim_fetch(self, key: str, now: datetime, lease: timedelta, owner: str = "") -> bool:
        held = self.fetch_leases.get(key)
        if held is not None and held >= now and self.fetch_owners.get(key) != owner:
            return False
        self.fetch_leases[key] = now + lease
        self.fetch_owners[key] = owner
        return True

    def claim_fetches(
        self, keys: list[str], now: datetime, lease: timedelta, owner: str = ""
    ) -> ClaimAnswer:
        self.batch_claims += 1
        held = {
            k
            for k in keys
            if k in self.fetch_leases
            and self.fetch_leases[k] >= now
            and self.fetch_owners.get(k) != owner
        }
        for key in set(keys) - held:
            self.fetch_leases[key] = now + lease
            self.fetch_owners[key] = owner
        return ClaimAnswer(granted=frozenset(set(keys) - held), refused=frozenset(held))

    def carry_credits(self, key: str, credits: int, now: datetime) -> None:
        self.carried[key] = self.carried.get(key, 0) + credits

    def carried_credits(self, key: str) -> int:
        return self.carried.get(key, 0)

    def take(self, keys: list[str], now: datetime, lease: timedelta) -> None:
        """As one invocation's claims: nothing taken up front, each record claims alone."""

    def release_unused(self) -> None:
        """Nothing was taken up front, so nothing is left unused."""

    def release_fetch(self, key: str, owner: str = "") -> None:
        if self.fetch_owners.get(key) == owner:
            self.fetch_leases.pop(key, None)
            self.fetch_owners.pop(key, None)

    def unmark(self, key: str) -> None:
        self.marks.discard(key)

    def mark_once(self, key: str, now: datetime, ttl: timedelta) -> bool:
        if key in self.marks:
            return False
        self.marks.add(key)
        return True


class CurrentHashtags:
    """The Hashtags table as the worker re-reads it at batch open (CurrentItems) and marks
    it (HashtagStatus); counts its batch reads and can fail them."""

    def __init__(self, items: dict[str, object] | None = None) -> None:
        # name -> TrackedHashtag / InvalidItem; a missing name is a removed item.
        self.items: dict[str, object] = dict(items or {})
        self.reads: list[list[str]] = []
        self.fail: Exception | None = None
        self.marked: list[tuple[str, str]] = []

    def current_items(self, names: Sequence[str]) -> dict[str, object]:
        self.reads.append(list(names))
        if self.fail is not None:
            raise self.fail
        return {name: self.items.get(name) for name in names}

    def mark_status(self, hashtag: str, status: str) -> None:
        self.marked.append((hashtag, status))


class FakePlanBook:
    """The polling plan in memory (PlanBook and PlanRecords), with the queue's depth."""

    def __init__(self, credits_spent: int = 0, header_limit: int | None = None) -> None:
        self.entries: dict[str, PlanEntry] = {}
        self.flights: dict[str, InFlight] = {}
        self.credits_spent = credits_spent
        self.header_limit = header_limit
        self.queued = 0
        self.reads = 0

    def read_all(self) -> dict[str, PlanEntry]:
        self.reads += 1
        return dict(self.entries)

    def in_flight(self) -> dict[str, InFlight]:
        return dict(self.flights)

    def mark_in_flight(self, hashtags: Sequence[str], tick: datetime, until: datetime) -> None:
        for name in hashtags:
            self.flights[name] = InFlight(tick, until)

    def tick_figures(self, month: str) -> TickFigures:
        return TickFigures(self.credits_spent, self.header_limit)

    def depth(self) -> int:
        return self.queued

    def put_entries(self, entries: Sequence[PlanEntry]) -> None:
        for entry in entries:
            self.entries[entry.hashtag] = entry

    def save_header_limit(self, limit: int, now: datetime) -> None:
        self.header_limit = limit


def tick_ports(
    items: Iterable[ScanResult],
    claims: CycleClaims,
    sink: MessageQueue,
    plans: FakePlanBook | None = None,
) -> TickPorts:
    """The scheduler's ports over in-memory fakes (a fresh, empty plan by default)."""
    book = plans or FakePlanBook()
    return TickPorts(items=items, claims=claims, sink=sink, plans=book, queue=book)
