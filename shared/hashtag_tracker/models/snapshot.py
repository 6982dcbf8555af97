"""A snapshot: one hashtag's counters at one collection cycle, or the mark that it is missing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SnapshotStatus(StrEnum):
    OK = "ok"
    # The fetch failed for good this cycle: no counters are stored, never zeros.
    MISSING = "missing"
    # The API answered, but the answer is not believable (a 0 after non-zero values);
    # kept apart from real data so growth and alerts ignore it.
    SUSPECT = "suspect"


class SentimentShares(BaseModel):
    model_config = ConfigDict(frozen=True)

    positive: float = Field(ge=0, le=1)
    neutral: float = Field(ge=0, le=1)
    negative: float = Field(ge=0, le=1)
    scored: int = Field(ge=0, description="how many comments were scored")


class VideoSampleStats(BaseModel):
    """Aggregates over the page(s) of videos fetched this cycle (a capped sample)."""

    model_config = ConfigDict(frozen=True)

    size: int = Field(ge=0)
    plays: int = Field(ge=0)
    likes: int = Field(ge=0)
    comments: int = Field(ge=0)
    shares: int = Field(ge=0)
    engagement_mean: float | None = None
    engagement_median: float | None = None
    shares_per_video: float | None = None
    unique_creators: int = Field(0, ge=0)


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    hashtag: str
    cycle: datetime = Field(description="start of the collection cycle (the idempotency key)")
    taken_at: datetime
    status: SnapshotStatus = SnapshotStatus.OK
    views: int | None = Field(None, ge=0)
    videos: int | None = Field(None, ge=0)
    reason: str | None = Field(None, description="why missing or suspect")
    sample: VideoSampleStats | None = None
    sentiment: SentimentShares | None = None
    credits: int = Field(0, ge=0, description="data-API credits spent on this snapshot")

    @model_validator(mode="after")
    def _counters_match_status(self) -> Snapshot:
        if self.status is SnapshotStatus.OK and (self.views is None or self.videos is None):
            raise ValueError("an ok snapshot needs both views and videos")
        if self.status is SnapshotStatus.MISSING and (
            self.views is not None or self.videos is not None
        ):
            raise ValueError("a missing snapshot carries no counters")
        if self.status is not SnapshotStatus.OK and not self.reason:
            raise ValueError(f"a {self.status} snapshot needs a reason")
        return self

    @property
    def usable(self) -> bool:
        """True when growth, alerts and reports may use its counters."""
        return self.status is SnapshotStatus.OK
