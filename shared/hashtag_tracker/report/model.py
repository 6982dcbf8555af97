"""The weekly report's typed content: per-hashtag rows, weekly history, groups, summaries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from msgspec import field

from hashtag_tracker.models.codec import Record
from hashtag_tracker.models.hashtag import HashtagKind


class RankBy(StrEnum):
    """What the report ranks the hashtags by (`--rank-by`, the `ReportRankBy` parameter)."""

    # Views growth % this week (week over week).
    GROWTH = "growth"
    # Pooled engagement rate of the latest video sample: sum(likes+comments+shares)/sum(plays).
    ENGAGEMENT = "engagement"
    # Total views now.
    VIEWS = "views"


class Direction(StrEnum):
    """Which way a count itself moved over the week (views go down only when videos go)."""

    RISING = "rising"
    FALLING = "falling"
    FLAT = "flat"
    # No usable reading at one end of the week.
    UNKNOWN = "unknown"


class Pace(StrEnum):
    """This week's views growth against the average growth of the (up to 4) weeks before.

    Not the direction of the count: a tag growing +45 % a week after weeks of +80 % is
    'slowing' while its views are 'rising' (issue 18)."""

    ACCELERATING = "accelerating"
    SLOWING = "slowing"
    STEADY = "steady"
    # No earlier complete week to compare with (just started tracking, or data missing).
    NEW = "new"


class AnomalyKind(StrEnum):
    """What departed from the hashtag's own history: always its growth, never its count. The
    values say so, because 'drop' on a tag still growing +17 % a week was misread (issue 18)."""

    NONE = "none"
    # Growth far above its usual.
    SPIKE = "growth_spike"
    # Growth far below its usual: the count may well still be rising.
    DROP = "growth_slowdown"
    # Growth collapsed to about nothing after real activity: the campaign died.
    DEAD = "growth_stopped"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class AnomalyMethod(StrEnum):
    ROBUST_Z = "robust_z"
    FALLBACK = "fallback"
    INSUFFICIENT_HISTORY = "insufficient_history"
    NO_DATA = "no_data"


class Anomaly(Record, frozen=True, kw_only=True):
    """One week's verdict against the hashtag's own history (see report.anomaly)."""

    kind: AnomalyKind = AnomalyKind.NONE
    method: AnomalyMethod = AnomalyMethod.NO_DATA
    # 'views' or 'videos': which growth departed.
    metric: str | None = None
    # Robust z, or the ratio in the fallback.
    score: float | None = None
    # The history's typical weekly growth.
    reference: float | None = None
    # This week's growth / the typical one ("growth 0.3× its usual"); None without a
    # positive reference.
    ratio: float | None = None
    history_weeks: int = 0

    @property
    def flagged(self) -> bool:
        return self.kind is not AnomalyKind.NONE


class WindowSummary(Record, frozen=True, kw_only=True):
    """Growth between the snapshot at the window's start and the latest one (7 or 30 days)."""

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


class WeekPoint(Record, frozen=True, kw_only=True):
    """One week of the window (end exclusive of the start boundary, inclusive of the end)."""

    start: datetime
    end: datetime
    views_end: int | None = None
    videos_end: int | None = None
    views_growth: int | None = None
    videos_growth: int | None = None
    anomaly: Anomaly = field(default_factory=Anomaly)
    negative_share: float | None = None
    positive_share: float | None = None
    credits: int = 0
    missing_cycles: int = 0
    suspect_cycles: int = 0


class SentimentPoint(Record, frozen=True, kw_only=True):
    """One UTC day's comment sentiment: the comments the worker scored that day (those of the
    day's most-played sampled videos, together; not stored per video)."""

    day: datetime
    positive: float
    neutral: float
    negative: float
    scored: int


class SeriesPoint(Record, frozen=True, kw_only=True):
    cycle: datetime
    views: int
    videos: int


class TopVideo(Record, frozen=True, kw_only=True):
    video_id: str
    author_id: str
    plays: int
    likes: int
    comments: int
    shares: int
    engagement_rate: float | None
    first_seen: datetime
    description: str | None = None


class TopCreator(Record, frozen=True, kw_only=True):
    author_id: str
    nickname: str | None = None
    videos: int
    plays: int
    # From the provider's author object when it carried one (TikTok's `follower_count`) on a
    # creator the report read (first seen within 30 days); None when unknown, never 0.
    followers: int | None = None


class HashtagReport(Record, frozen=True, kw_only=True):
    """Everything the report says about one tracked hashtag."""

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
    # Mean weekly views growth over the (up to) 4 weeks before this one.
    views_growth_avg_4w: float | None = None
    # The counts themselves over the week: rising, falling, flat.
    views_direction: Direction = Direction.UNKNOWN
    videos_direction: Direction = Direction.UNKNOWN
    # This week's views growth against views_growth_avg_4w, and as a ratio (0.3 = 0.3× it).
    growth_pace: Pace = Pace.NEW
    growth_vs_usual: float | None = None
    anomaly: Anomaly = field(default_factory=Anomaly)
    # Over the latest video sample of the week: per video (mean, median) and pooled
    # (sum of likes+comments+shares over sum of plays).
    engagement_mean: float | None = None
    engagement_median: float | None = None
    engagement_pooled: float | None = None
    shares_per_video: float | None = None
    # Plays of the latest video sample.
    reach: int | None = None
    sample_videos: int | None = None
    sample_likes: int | None = None
    sample_comments: int | None = None
    sample_shares: int | None = None
    unique_creators: int | None = None
    new_videos_week: int = 0
    new_creators_week: int = 0
    videos_total: int = 0
    creators_total: int = 0
    # Videos the ledger ever saw / the tag's video count now: the sampling behind 'new
    # videos' and 'new creators' (the video list is a partial, capped sample).
    ledger_coverage: float | None = None
    # New videos the ledger saw this week / the tag's videos growth this week.
    new_videos_coverage: float | None = None
    negative_share: float | None = None
    positive_share: float | None = None
    negative_share_change: float | None = None
    credits_week: int = 0
    credits_30d: int = 0
    missing_cycles_week: int = 0
    suspect_cycles_week: int = 0
    summary_7d: WindowSummary
    summary_30d: WindowSummary
    weeks: list[WeekPoint] = field(default_factory=list)
    series: list[SeriesPoint] = field(default_factory=list)
    # Comment sentiment per UTC day over the window, oldest first.
    sentiment_days: list[SentimentPoint] = field(default_factory=list)
    # Videos first seen this week: by plays, and by engagement rate (at least
    # ENGAGEMENT_MIN_PLAYS plays, so 3 plays and 2 likes do not lead).
    top_videos: list[TopVideo] = field(default_factory=list)
    top_videos_by_engagement: list[TopVideo] = field(default_factory=list)
    # Creators of those videos: by plays, and by number of videos.
    top_creators: list[TopCreator] = field(default_factory=list)
    top_creators_by_videos: list[TopCreator] = field(default_factory=list)

    @property
    def flagged_weeks(self) -> list[WeekPoint]:
        return [week for week in self.weeks if week.anomaly.flagged]


class VoiceShare(Record, frozen=True, kw_only=True):
    hashtag: str
    kind: HashtagKind
    views_growth: int | None
    # 0..1 of the group's views growth this week.
    share: float | None = None
    previous_share: float | None = None


class CampaignGroup(Record, frozen=True, kw_only=True):
    """A campaign and its competitor set: who took the week's views growth."""

    campaign: str
    total_views_growth: int
    # Share of the campaign's own tags.
    campaign_share: float | None = None
    members: list[VoiceShare]


class SkippedHashtag(Record, frozen=True, kw_only=True):
    hashtag: str
    reason: str


class Report(Record, frozen=True, kw_only=True):
    as_of: datetime
    week_start: datetime
    generated_at: datetime
    window_weeks: int
    # Ranked by `rank_by`, best first; rows without its value last, unranked.
    hashtags: list[HashtagReport]
    rank_by: RankBy = RankBy.GROWTH
    groups: list[CampaignGroup] = field(default_factory=list)
    skipped: list[SkippedHashtag] = field(default_factory=list)
    credits_week: int = 0
    credits_week_usd: float = 0.0
    credits_30d: int = 0
    credits_30d_usd: float = 0.0
    # The data-API account's balance as the provider last reported it (credits_remaining),
    # and when (ISO); None when no answer reported one this month.
    balance: int | None = None
    balance_at: str | None = None

    @property
    def anomalies(self) -> list[HashtagReport]:
        """Hashtags whose current week is anomalous."""
        return [row for row in self.hashtags if row.anomaly.flagged]
