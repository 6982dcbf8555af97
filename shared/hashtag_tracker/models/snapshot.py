"""A snapshot: one hashtag's counters at one collection cycle, or the mark that it is missing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from msgspec import Meta

from hashtag_tracker.models.codec import Record

_Count = Annotated[int, Meta(ge=0)]
_Share = Annotated[float, Meta(ge=0, le=1)]


class SnapshotStatus(StrEnum):
    OK = "ok"
    # The fetch failed for good this cycle: no counters are stored, never zeros.
    MISSING = "missing"
    # The API answered, but the answer is not believable (a 0 after non-zero values);
    # kept apart from real data so growth and alerts ignore it.
    SUSPECT = "suspect"


class SentimentShares(Record, frozen=True, kw_only=True):
    positive: _Share
    neutral: _Share
    negative: _Share
    # How many comments were scored.
    scored: _Count


class VideoSampleStats(Record, frozen=True, kw_only=True):
    """Aggregates over the page(s) of videos fetched this cycle (a capped sample)."""

    size: _Count
    plays: _Count
    likes: _Count
    comments: _Count
    shares: _Count
    engagement_mean: float | None = None
    engagement_median: float | None = None
    shares_per_video: float | None = None
    unique_creators: _Count = 0


class Snapshot(Record, frozen=True, kw_only=True):
    hashtag: str
    # Start of the collection cycle (the idempotency key).
    cycle: datetime
    taken_at: datetime
    status: SnapshotStatus = SnapshotStatus.OK
    views: _Count | None = None
    videos: _Count | None = None
    # Why missing or suspect.
    reason: str | None = None
    sample: VideoSampleStats | None = None
    sentiment: SentimentShares | None = None
    # Data-API credits spent on this snapshot.
    credits: _Count = 0

    def __post_init__(self) -> None:
        if self.status is SnapshotStatus.OK and (self.views is None or self.videos is None):
            raise ValueError("an ok snapshot needs both views and videos")
        if self.status is SnapshotStatus.MISSING and (
            self.views is not None or self.videos is not None
        ):
            raise ValueError("a missing snapshot carries no counters")
        if self.status is not SnapshotStatus.OK and not self.reason:
            raise ValueError(f"a {self.status} snapshot needs a reason")

    @property
    def usable(self) -> bool:
        """True when growth, alerts and reports may use its counters."""
        return self.status is SnapshotStatus.OK
