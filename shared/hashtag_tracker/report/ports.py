"""What the report needs from stored data and where its output goes: small ports that the
DynamoDB, S3 and SNS adapters under storage/ satisfy; tests pass in-memory fakes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
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
        """Store the files under the report's folder: its day (YYYY-MM-DD), or, for another
        window ending that same day, its end time (YYYY-MM-DDTHHMMSSZ)."""
        ...


class ReportMarks(Protocol):
    """Records that keep one report per window (the State table): the day's folder is held
    by the first window that wrote it, and a window's summary is published once."""

    def claim_report_day(self, day: str, window: str, now: datetime, ttl: timedelta) -> bool:
        """True if `day`'s folder is free or already holds `window`."""
        ...

    def mark_report_summary(self, window: str, now: datetime, ttl: timedelta) -> bool:
        """True the first time only."""
        ...

    def unmark_report_summary(self, window: str) -> None:
        """Forget the mark (its publish failed)."""
        ...


class SummaryPublisher(Protocol):
    def publish_summary(self, subject: str, message: str) -> None: ...
