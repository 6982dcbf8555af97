"""The report's sources (report/ports.py) over the DynamoDB stores.

Every read is bounded by the report's window, never by the length of history: one key
query of snapshots, one first-seen query of the ledger's GSI and one item read (the
ledger's totals) per hashtag, plus one paginated read of the tracked hashtags.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from hashtag_tracker.models.hashtag import ScanResult
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo

if TYPE_CHECKING:
    from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
    from hashtag_tracker.storage.videos import DynamoVideoLedger


class _TrackedScan(Protocol):
    """The Hashtags table's scan (DynamoHashtagStore, or the CLI's store)."""

    def scan(self) -> Iterator[ScanResult]: ...


class _Balances(Protocol):
    """The month's credit counter in the State table (DynamoStateStore)."""

    def balance(self, month: str) -> tuple[int, str] | None: ...

    def credits(self, month: str) -> tuple[int, int]: ...


class DynamoReportSources:
    """ReportSources over the project's stores (DynamoDB in AWS and in the local stack)."""

    def __init__(
        self,
        hashtags: _TrackedScan,
        snapshots: DynamoSnapshotStore,
        ledger: DynamoVideoLedger,
        balances: _Balances | None = None,
    ):
        self._hashtags = hashtags
        self._snapshots = snapshots
        self._ledger = ledger
        self._balances = balances

    def tracked(self) -> Iterable[ScanResult]:
        return self._hashtags.scan()

    def snapshots(self, hashtag: str, since: datetime, until: datetime) -> list[Snapshot]:
        return self._snapshots.between(hashtag, since, until)

    def first_seen_since(
        self, hashtag: str, since: datetime
    ) -> tuple[list[LedgerVideo], list[LedgerCreator]]:
        return self._ledger.first_seen_since(hashtag, since)

    def ledger_totals(self, hashtag: str) -> tuple[int, int]:
        return self._ledger.totals(hashtag)

    def account_balance(self, month: str) -> tuple[int, str] | None:
        return self._balances.balance(month) if self._balances is not None else None

    def month_credits(self, month: str) -> tuple[int, int] | None:
        """(reserved-or-spent, used) credits of `month` (the daily digest); one item read."""
        return self._balances.credits(month) if self._balances is not None else None
