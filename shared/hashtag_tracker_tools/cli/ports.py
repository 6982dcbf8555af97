"""What the CLI needs from the tables: the tracked-hashtag store (DynamoHashtagStore) and, for
the read-only views (`status`, `history`, `alerts`, `creators`), the snapshot, alert, ledger
and plan readers; their DynamoDB adapters live in hashtag_tracker/storage/."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hashtag_tracker.models.hashtag import ScanResult, TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo


class HashtagStore(Protocol):
    def get(self, name: str) -> TrackedHashtag: ...

    def create(self, hashtag: TrackedHashtag) -> None: ...

    def replace(self, hashtag: TrackedHashtag) -> None:
        """Overwrite an existing item; ItemNotFoundError if it is gone."""

    def delete(self, name: str) -> None: ...

    def scan(self) -> Iterator[ScanResult]:
        """Every item, paginated; invalid ones come back as InvalidItem."""


class SnapshotReader(Protocol):
    def between(
        self, hashtag: str, since: datetime, until: datetime | None = None
    ) -> list[Snapshot]:
        """Snapshots with since <= cycle (<= until), oldest first: one key query."""

    def latest(self, hashtag: str, before: datetime, limit: int = 12) -> list[Snapshot]:
        """Up to `limit` snapshots before `before`, newest first: one key query."""


class AlertLog(Protocol):
    def records_of(self, hashtag: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """One hashtag's alert delivery records (key, status, outcome, at, claimed_at,
        published_at, message_id as ISO texts), oldest first: one key query."""


class LedgerReader(Protocol):
    def entries(self, hashtag: str, prefix: str) -> list[LedgerVideo | LedgerCreator]:
        """Every ledger item of a hashtag under 'video#' or 'creator#': one key query."""


class PlanReader(Protocol):
    def read_all(self) -> Mapping[str, PlanEntry]:
        """Every hashtag's polling plan (interval, next poll, why): one paginated query of
        the State table's "plan" partition (DynamoPlanStore)."""


@dataclass(frozen=True)
class ViewSources:
    """The readers the views use; `plans` None: no polling plan to show (tests)."""

    snapshots: SnapshotReader
    alerts: AlertLog
    ledger: LedgerReader
    plans: PlanReader | None = None
