"""The weekly report's typed content: per-hashtag rows, weekly history, groups, summaries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from hashtag_tracker.models.hashtag import HashtagKind


class Trend(StrEnum):
    """This week's views growth against the average of the weeks before it."""

    RISING = "rising"
    FALLING = "falling"
    STABLE = "stable"
    # No earlier complete week to compare with (just started tracking, or data missing).
    NEW = "new"


class AnomalyKind(StrEnum):
    NONE = "none"
    SPIKE = "spike"
    DROP = "drop"
    # Growth collapsed to about nothing after real activity: the campaign died.
    DEAD = "dead"


class AnomalyMethod(StrEnum):
    ROBUST_Z = "robust_z"
    FALLBACK = "fallback"
    INSUFFICIENT_HISTORY = "insufficient_history"
    NO_DATA = "no_data"


class Anomaly(BaseModel):
    """One week's verdict against the hashtag's own history (see report.anomaly)."""

    model_config = ConfigDict(frozen=True)

    kind: AnomalyKind = AnomalyKind.NONE
    method: AnomalyMethod = AnomalyMethod.NO_DATA
    metric: str | None = Field(None, description="'views' or 'videos': which growth departed")
    score: float | None = Field(None, description="robust z, or the ratio in the fallback")
    reference: float | None = Field(None, description="the history's typical weekly growth")
    history_weeks: int = 0

    @property
    def flagged(self) -> bool:
        return self.kind is not AnomalyKind.NONE


class WindowSummary(BaseModel):
    """Growth between the snapshot at the window's start and the latest one (7 or 30 days)."""

    model_config = ConfigDict(frozen=True)

    days: int
    start_cycle: datetime | None = None
    end_cycle: datetime | None = None
    views_delta: int | None = None
    videos_delta: int | None = None
    views_pct: float | None = None
    videos_pct: float | None = None
    views_per_hour: float | None = None
    videos_per_hour: float | None = None
    new_videos: int = 0
    new_creators: int = 0
    credits: int = 0
    missing_cycles: int = 0


class WeekPoint(BaseModel):
    """One week of the window (end exclusive of the start boundary, inclusive of the end)."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    views_end: int | None = None
    videos_end: int | None = None
    views_growth: int | None = None
    videos_growth: int | None = None
    anomaly: Anomaly = Field(default_factory=Anomaly)
    negative_share: float | None = None
    positive_share: float | None = None
    credits: int = 0
    missing_cycles: int = 0
    suspect_cycles: int = 0


class SeriesPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    cycle: datetime
    views: int
    videos: int


class TopVideo(BaseModel):
    model_config = ConfigDict(frozen=True)

    video_id: str
    author_id: str
    plays: int
    likes: int
    comments: int
    shares: int
    engagement_rate: float | None
    first_seen: datetime
    description: str | None = None


class TopCreator(BaseModel):
    model_config = ConfigDict(frozen=True)

    author_id: str
    nickname: str | None = None
    videos: int
    plays: int


class HashtagReport(BaseModel):
    """Everything the report says about one tracked hashtag."""

    model_config = ConfigDict(frozen=True)

    hashtag: str
    kind: HashtagKind
    campaign: str | None = None
    rank: int | None = None
    views_now: int | None = None
    videos_now: int | None = None
    views_week_ago: int | None = None
    videos_week_ago: int | None = None
    views_wow: int | None = None
    views_wow_pct: float | None = None
    videos_wow: int | None = None
    videos_wow_pct: float | None = None
    views_growth_avg_4w: float | None = Field(
        None, description="mean weekly views growth over the (up to) 4 weeks before this one"
    )
    trend: Trend = Trend.NEW
    anomaly: Anomaly = Field(default_factory=Anomaly)
    engagement_mean: float | None = None
    engagement_median: float | None = None
    shares_per_video: float | None = None
    reach: int | None = Field(None, description="plays of the latest video sample")
    unique_creators: int | None = None
    new_videos_week: int = 0
    new_creators_week: int = 0
    videos_total: int = 0
    creators_total: int = 0
    negative_share: float | None = None
    positive_share: float | None = None
    negative_share_change: float | None = None
    credits_week: int = 0
    credits_30d: int = 0
    missing_cycles_week: int = 0
    suspect_cycles_week: int = 0
    summary_7d: WindowSummary
    summary_30d: WindowSummary
    weeks: list[WeekPoint] = Field(default_factory=list)
    series: list[SeriesPoint] = Field(default_factory=list)
    top_videos: list[TopVideo] = Field(default_factory=list)
    top_creators: list[TopCreator] = Field(default_factory=list)

    @property
    def flagged_weeks(self) -> list[WeekPoint]:
        return [week for week in self.weeks if week.anomaly.flagged]


class VoiceShare(BaseModel):
    model_config = ConfigDict(frozen=True)

    hashtag: str
    kind: HashtagKind
    views_growth: int | None
    share: float | None = Field(None, description="0..1 of the group's views growth this week")
    previous_share: float | None = None


class CampaignGroup(BaseModel):
    """A campaign and its competitor set: who took the week's views growth."""

    model_config = ConfigDict(frozen=True)

    campaign: str
    total_views_growth: int
    campaign_share: float | None = Field(None, description="share of the campaign's own tags")
    members: list[VoiceShare]


class SkippedHashtag(BaseModel):
    model_config = ConfigDict(frozen=True)

    hashtag: str
    reason: str


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)

    as_of: datetime
    week_start: datetime
    generated_at: datetime
    window_weeks: int
    hashtags: list[HashtagReport] = Field(description="ranked by views growth %, best first")
    groups: list[CampaignGroup] = Field(default_factory=list)
    skipped: list[SkippedHashtag] = Field(default_factory=list)
    credits_week: int = 0
    credits_week_usd: float = 0.0
    credits_30d: int = 0
    credits_30d_usd: float = 0.0

    @property
    def anomalies(self) -> list[HashtagReport]:
        """Hashtags whose current week is anomalous."""
        return [row for row in self.hashtags if row.anomaly.flagged]
