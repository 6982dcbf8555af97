"""What the report needs from stored data and where its output goes: small ports that the
DynamoDB, S3 and SNS adapters under storage/ satisfy; tests pass in-memory fakes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from hashtag_tracker.models.hashtag import ScanResult
from hashtag_tracker.models.report_files import ReportFile, WrittenReport
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo


class ReportSources(Protocol):
    def tracked(self) -> Iterable[ScanResult]:
        """Every tracked-hashtag item; invalid ones come back as InvalidItem."""
        ...

    def snapshots(self, hashtag: str, since: datetime, until: datetime) -> list[Snapshot]:
        """Snapshots with since <= cycle <= until, oldest first."""
        ...

    def first_seen_since(
        self, hashtag: str, since: datetime
    ) -> tuple[list[LedgerVideo], list[LedgerCreator]]:
        """Ledger videos and creators first seen at or after `since`."""
        ...

    def ledger_totals(self, hashtag: str) -> tuple[int, int]:
        """(videos ever seen, creators ever seen), as of now."""
        ...

    def account_balance(self, month: str) -> tuple[int, str] | None:
        """The provider's last reported balance in `month` (YYYY-MM) and when, if any."""
        ...


class ReportSink(Protocol):
    def write(self, day: str, files: Sequence[ReportFile]) -> WrittenReport:
        """Store the files under the report's day (YYYY-MM-DD)."""
        ...


class SummaryPublisher(Protocol):
    def publish_summary(self, subject: str, message: str) -> None: ...
