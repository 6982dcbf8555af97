"""Weekly report computation: per-hashtag rows, ranking, pace marks, share of voice (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean
from typing import Literal

from hashtag_tracker.models.codec import convert, replace
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.snapshot import (
    SentimentShares,
    Snapshot,
    SnapshotStatus,
    VideoSampleStats,
)
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.report.anomaly import combine, flag_weeks
from hashtag_tracker.report.model import (
    CampaignGroup,
    Direction,
    HashtagReport,
    Pace,
    RankBy,
    Report,
    SentimentPoint,
    SeriesPoint,
    SkippedHashtag,
    TopCreator,
    TopVideo,
    VoiceShare,
    WeekPoint,
    WindowSummary,
)

WEEK = timedelta(days=7)
# Weeks of history the report reads and judges anomalies against; a fixed window keeps the
# cost per hashtag constant however long a hashtag has been tracked.
WINDOW_WEEKS = 8
SUMMARY_DAYS = (7, 30)
# How far before a boundary its snapshot may sit: one day covers missed 6-hour cycles and
# the once-a-day collection interval.
DEFAULT_TOLERANCE = timedelta(hours=24)
PACE_WEEKS = 4
# This week's views growth beyond ±15 % of the previous weeks' average is a change of pace.
PACE_BAND = 0.15
TOP_N = 5
# A video needs this many plays to be ranked by engagement rate: with 3 plays, 2 likes are
# a 67 % rate that says nothing about the campaign.
ENGAGEMENT_MIN_PLAYS = 1_000
SERIES_POINTS = 120
CREDIT_USD = 0.005


@dataclass(frozen=True)
class HashtagInputs:
    """What the report read for one hashtag (already bounded by the window)."""

    tracked: TrackedHashtag
    snapshots: Sequence[Snapshot]
    new_videos: Sequence[LedgerVideo]
    new_creators: Sequence[LedgerCreator]
    totals_now: tuple[int, int]


def lookback(as_of: datetime, tolerance: timedelta = DEFAULT_TOLERANCE) -> datetime:
    """The oldest cycle the report needs: the window's first boundary minus the tolerance."""
    return as_of - WINDOW_WEEKS * WEEK - max(tolerance, timedelta(0))


def ledger_since(as_of: datetime) -> datetime:
    return as_of - timedelta(days=max(SUMMARY_DAYS))


def value_at(
    snapshots: Sequence[Snapshot], when: datetime, tolerance: timedelta
) -> Snapshot | None:
    """The newest usable snapshot with when − tolerance <= cycle <= when (None if none)."""
    best: Snapshot | None = None
    for snapshot in snapshots:
        if not snapshot.usable or snapshot.cycle > when or snapshot.cycle < when - tolerance:
            continue
        if best is None or snapshot.cycle > best.cycle:
            best = snapshot
    return best


def _delta(end: int | None, start: int | None) -> int | None:
    return None if end is None or start is None else end - start


def _pct(delta: int | None, start: int | None) -> float | None:
    if delta is None or not start:
        return None
    return round(100.0 * delta / start, 3)


def _in(snapshot: Snapshot, start: datetime, end: datetime) -> bool:
    return start < snapshot.cycle <= end


def window_summary(
    snapshots: Sequence[Snapshot],
    new_videos: Sequence[LedgerVideo],
    new_creators: Sequence[LedgerCreator],
    as_of: datetime,
    days: int,
    tolerance: timedelta,
) -> WindowSummary:
    """Growth between the start's nearest usable snapshot and the latest, with velocity."""
    begin = as_of - timedelta(days=days)
    first = value_at(snapshots, begin, tolerance)
    last = value_at(snapshots, as_of, tolerance)
    inside = [s for s in snapshots if _in(s, begin, as_of)]
    summary = WindowSummary(
        days=days,
        new_videos=sum(1 for v in new_videos if begin < v.first_seen <= as_of),
        new_creators=sum(1 for c in new_creators if begin < c.first_seen <= as_of),
        credits=sum(s.credits for s in inside),
        missing_cycles=sum(1 for s in inside if s.status is SnapshotStatus.MISSING),
    )
    if first is None or last is None or last.cycle <= first.cycle:
        return summary
    hours = (last.cycle - first.cycle).total_seconds() / 3600
    views = _delta(last.views, first.views)
    videos = _delta(last.videos, first.videos)
    return replace(
        summary,
        start_cycle=first.cycle,
        end_cycle=last.cycle,
        views_delta=views,
        videos_delta=videos,
        views_pct=_pct(views, first.views),
        videos_pct=_pct(videos, first.videos),
        views_per_hour=None if views is None else round(views / hours, 3),
        videos_per_hour=None if videos is None else round(videos / hours, 3),
    )


def _sentiment(snapshots: Sequence[Snapshot]) -> tuple[float | None, float | None]:
    """(negative, positive) shares over the scored comments of these snapshots."""
    scored = [s.sentiment for s in snapshots if s.sentiment is not None and s.sentiment.scored]
    total = sum(s.scored for s in scored)
    if not total:
        return None, None
    negative = sum(s.negative * s.scored for s in scored) / total
    positive = sum(s.positive * s.scored for s in scored) / total
    return round(negative, 4), round(positive, 4)


def weekly_points(
    snapshots: Sequence[Snapshot], as_of: datetime, tolerance: timedelta
) -> list[WeekPoint]:
    """The window's weeks, oldest first, each judged against the others for anomalies."""
    bounds = [as_of - k * WEEK for k in range(WINDOW_WEEKS, -1, -1)]
    values = [value_at(snapshots, b, tolerance) for b in bounds]
    raw: list[dict[str, object]] = []
    for start, end, first, last in zip(bounds, bounds[1:], values, values[1:], strict=False):
        inside = [s for s in snapshots if _in(s, start, end)]
        negative, positive = _sentiment(inside)
        raw.append(
            {
                "start": start,
                "end": end,
                "views_end": last.views if last else None,
                "videos_end": last.videos if last else None,
                "views_growth": _delta(last.views, first.views) if last and first else None,
                "videos_growth": _delta(last.videos, first.videos) if last and first else None,
                "negative_share": negative,
                "positive_share": positive,
                "credits": sum(s.credits for s in inside),
                "missing_cycles": sum(1 for s in inside if s.status is SnapshotStatus.MISSING),
                "suspect_cycles": sum(1 for s in inside if s.status is SnapshotStatus.SUSPECT),
            }
        )
    views = flag_weeks([_growth(r, "views_growth") for r in raw], "views")
    videos = flag_weeks([_growth(r, "videos_growth") for r in raw], "videos")
    return [
        convert({**r, "anomaly": combine(v, n)}, WeekPoint)
        for r, v, n in zip(raw, views, videos, strict=True)
    ]


def _growth(row: dict[str, object], key: str) -> float | None:
    value = row[key]
    return float(value) if isinstance(value, int) else None


def pace_mark(
    current: int | None, previous: Sequence[int]
) -> tuple[Pace, float | None, float | None]:
    """(pace, average, ratio): this week's views growth against the mean of up to 4 earlier
    weeks' growth. The pace of the growth, not the direction of the count (direction())."""
    if current is None or not previous:
        return Pace.NEW, None, None
    average = float(mean(previous[-PACE_WEEKS:]))
    if average <= 0:
        # Nothing to divide by: growth from none is accelerating, none again is steady.
        return (Pace.ACCELERATING if current > 0 else Pace.STEADY), round(average, 3), None
    ratio = round(current / average, 3)
    if current > (1 + PACE_BAND) * average:
        return Pace.ACCELERATING, round(average, 3), ratio
    if current < (1 - PACE_BAND) * average:
        return Pace.SLOWING, round(average, 3), ratio
    return Pace.STEADY, round(average, 3), ratio


def direction(delta: int | None) -> Direction:
    """Which way the count itself moved."""
    if delta is None:
        return Direction.UNKNOWN
    if delta > 0:
        return Direction.RISING
    return Direction.FALLING if delta < 0 else Direction.FLAT


def sentiment_days(snapshots: Sequence[Snapshot]) -> list[SentimentPoint]:
    """Comment sentiment per UTC day, weighted by the comments scored in each snapshot (as
    the week's shares are: a suspect counter does not make its comments wrong)."""
    days: dict[datetime, list[SentimentShares]] = defaultdict(list)
    for snapshot in snapshots:
        if snapshot.sentiment is not None and snapshot.sentiment.scored:
            day = snapshot.cycle.replace(hour=0, minute=0, second=0, microsecond=0)
            days[day].append(snapshot.sentiment)
    points: list[SentimentPoint] = []
    for day in sorted(days):
        scored = sum(s.scored for s in days[day])
        points.append(
            SentimentPoint(
                day=day,
                positive=round(sum(s.positive * s.scored for s in days[day]) / scored, 4),
                neutral=round(sum(s.neutral * s.scored for s in days[day]) / scored, 4),
                negative=round(sum(s.negative * s.scored for s in days[day]) / scored, 4),
                scored=scored,
            )
        )
    return points


def pooled_engagement(sample: VideoSampleStats) -> float | None:
    """sum(likes + comments + shares) / sum(plays) over the sample; None without plays."""
    if sample.plays <= 0:
        return None
    return (sample.likes + sample.comments + sample.shares) / sample.plays


def coverage(seen: int | None, total: int | None) -> float | None:
    """seen / total, None when the total is unknown or not positive (never a made-up 0)."""
    if seen is None or total is None or total <= 0:
        return None
    return round(seen / total, 4)


def _series(snapshots: Sequence[Snapshot]) -> list[SeriesPoint]:
    usable = [s for s in snapshots if s.usable and s.views is not None and s.videos is not None]
    step = max(1, -(-len(usable) // SERIES_POINTS))
    picked = usable[::step]
    if usable and picked[-1] is not usable[-1]:
        picked.append(usable[-1])
    return [SeriesPoint(cycle=s.cycle, views=s.views or 0, videos=s.videos or 0) for s in picked]


def _top_video(v: LedgerVideo) -> TopVideo:
    return TopVideo(
        video_id=v.video_id,
        author_id=v.author_id,
        plays=v.plays,
        likes=v.likes,
        comments=v.comments,
        shares=v.shares,
        engagement_rate=None if v.engagement_rate is None else round(v.engagement_rate, 4),
        first_seen=v.first_seen,
        description=v.description,
    )


def top_videos(videos: Sequence[LedgerVideo], n: int = TOP_N) -> list[TopVideo]:
    """The most-played videos."""
    return [_top_video(v) for v in sorted(videos, key=lambda v: (-v.plays, v.video_id))[:n]]


def top_videos_by_engagement(
    videos: Sequence[LedgerVideo], n: int = TOP_N, min_plays: int = ENGAGEMENT_MIN_PLAYS
) -> list[TopVideo]:
    """The videos with the highest engagement rate among those with at least `min_plays`."""
    rated = [v for v in videos if v.plays >= max(min_plays, 1) and v.engagement_rate is not None]
    ranked = sorted(rated, key=lambda v: (-(v.engagement_rate or 0.0), -v.plays, v.video_id))
    return [_top_video(v) for v in ranked[:n]]


def top_creators(
    videos: Sequence[LedgerVideo],
    creators: Sequence[LedgerCreator],
    n: int = TOP_N,
    by: Literal["plays", "videos"] = "plays",
) -> list[TopCreator]:
    """Creators of these videos ranked by their plays (`by="plays"`) or by how many videos
    they made (`by="videos"`). Nickname and followers come from the creators given (the
    ones the report read); a creator not among them has neither, never a 0."""
    plays: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for video in videos:
        plays[video.author_id] += video.plays
        count[video.author_id] += 1
    known = {c.author_id: c for c in creators}
    if by == "videos":
        ranked = sorted(plays, key=lambda a: (-count[a], -plays[a], a))[:n]
    else:
        ranked = sorted(plays, key=lambda a: (-plays[a], -count[a], a))[:n]
    return [
        TopCreator(
            author_id=a,
            nickname=known[a].nickname if a in known else None,
            videos=count[a],
            plays=plays[a],
            followers=known[a].followers if a in known else None,
        )
        for a in ranked
    ]


def hashtag_report(
    inputs: HashtagInputs, as_of: datetime, tolerance: timedelta = DEFAULT_TOLERANCE
) -> HashtagReport:
    """One hashtag's row: week-over-week deltas, trend, anomaly, sample metrics, ledger."""
    snapshots = sorted(inputs.snapshots, key=lambda s: s.cycle)
    snapshots = [s for s in snapshots if s.cycle <= as_of]
    weeks = weekly_points(snapshots, as_of, tolerance)
    current = weeks[-1]
    earlier = [w.views_growth for w in weeks[:-1] if w.views_growth is not None]
    pace, average, ratio = pace_mark(current.views_growth, earlier)
    week_start = as_of - WEEK
    now = value_at(snapshots, as_of, tolerance)
    ago = value_at(snapshots, week_start, tolerance)
    in_week = [s for s in snapshots if _in(s, week_start, as_of)]
    sampled = [s for s in in_week if s.usable and s.sample is not None]
    sample = sampled[-1].sample if sampled else None
    videos = [v for v in inputs.new_videos if v.first_seen <= as_of]
    creators = [c for c in inputs.new_creators if c.first_seen <= as_of]
    week_videos = [v for v in videos if v.first_seen > week_start]
    week_creators = [c for c in creators if c.first_seen > week_start]
    # The totals item is "now"; anything first seen after as_of was not there yet.
    videos_total = inputs.totals_now[0] - (len(inputs.new_videos) - len(videos))
    creators_total = inputs.totals_now[1] - (len(inputs.new_creators) - len(creators))
    previous_negative = next(
        (w.negative_share for w in reversed(weeks[:-1]) if w.negative_share is not None), None
    )
    summaries = {
        days: window_summary(snapshots, videos, creators, as_of, days, tolerance)
        for days in SUMMARY_DAYS
    }
    views_wow = _delta(now.views, ago.views) if now and ago else None
    videos_wow = _delta(now.videos, ago.videos) if now and ago else None
    # Nicknames and followers: the newest reading of each creator the report read.
    known_creators = sorted(creators, key=lambda c: c.last_seen)
    return HashtagReport(
        hashtag=inputs.tracked.hashtag,
        kind=inputs.tracked.kind,
        campaign=inputs.tracked.campaign,
        views_now=now.views if now else None,
        videos_now=now.videos if now else None,
        views_week_ago=ago.views if ago else None,
        videos_week_ago=ago.videos if ago else None,
        views_wow=views_wow,
        views_wow_pct=_pct(views_wow, ago.views if ago else None),
        videos_wow=videos_wow,
        videos_wow_pct=_pct(videos_wow, ago.videos if ago else None),
        views_growth_avg_4w=average,
        views_direction=direction(views_wow),
        videos_direction=direction(videos_wow),
        growth_pace=pace,
        growth_vs_usual=ratio,
        anomaly=current.anomaly,
        engagement_mean=sample.engagement_mean if sample else None,
        engagement_median=sample.engagement_median if sample else None,
        engagement_pooled=pooled_engagement(sample) if sample else None,
        shares_per_video=sample.shares_per_video if sample else None,
        reach=sample.plays if sample else None,
        sample_videos=sample.size if sample else None,
        sample_likes=sample.likes if sample else None,
        sample_comments=sample.comments if sample else None,
        sample_shares=sample.shares if sample else None,
        unique_creators=sample.unique_creators if sample else None,
        new_videos_week=len(week_videos),
        new_creators_week=len(week_creators),
        videos_total=max(videos_total, 0),
        creators_total=max(creators_total, 0),
        ledger_coverage=coverage(max(videos_total, 0), now.videos if now else None),
        new_videos_coverage=coverage(len(week_videos), videos_wow),
        negative_share=current.negative_share,
        positive_share=current.positive_share,
        negative_share_change=(
            None
            if current.negative_share is None or previous_negative is None
            else round(current.negative_share - previous_negative, 4)
        ),
        credits_week=sum(s.credits for s in in_week),
        credits_30d=summaries[30].credits,
        missing_cycles_week=current.missing_cycles,
        suspect_cycles_week=current.suspect_cycles,
        summary_7d=summaries[7],
        summary_30d=summaries[30],
        weeks=weeks,
        series=_series([s for s in snapshots if s.cycle >= as_of - WINDOW_WEEKS * WEEK]),
        sentiment_days=sentiment_days(
            [s for s in snapshots if s.cycle > as_of - WINDOW_WEEKS * WEEK]
        ),
        top_videos=top_videos(week_videos),
        top_videos_by_engagement=top_videos_by_engagement(week_videos),
        top_creators=top_creators(week_videos, known_creators),
        top_creators_by_videos=top_creators(week_videos, known_creators, by="videos"),
    )


def rank_value(row: HashtagReport, by: RankBy) -> float | None:
    """The row's value for the ranking key; None: not rankable by it."""
    if by is RankBy.ENGAGEMENT:
        return row.engagement_pooled
    if by is RankBy.VIEWS:
        return None if row.views_now is None else float(row.views_now)
    return row.views_wow_pct


def _rank_key(row: HashtagReport, by: RankBy) -> tuple[int, float, float, str]:
    value = rank_value(row, by)
    if value is None:
        return (1, 0.0, 0.0, row.hashtag)
    # Ties: the absolute growth for growth %, the median rate for the pooled rate.
    if by is RankBy.ENGAGEMENT:
        second = row.engagement_median or 0.0
    elif by is RankBy.GROWTH:
        second = float(row.views_wow or 0)
    else:
        second = 0.0
    return (0, -value, -second, row.hashtag)


def rank(rows: Sequence[HashtagReport], by: RankBy = RankBy.GROWTH) -> list[HashtagReport]:
    """Best first by `by` (views growth %, pooled engagement rate, or total views); rows
    without that value last, unranked."""
    ordered = sorted(rows, key=lambda row: _rank_key(row, by))
    return [
        replace(row, rank=position if rank_value(row, by) is not None else None)
        for position, row in enumerate(ordered, start=1)
    ]


def _shares(values: dict[str, int | None]) -> dict[str, float | None]:
    # A counter that went backwards took no voice: clamp at 0 so shares stay in 0..1.
    total = sum(max(v, 0) for v in values.values() if v is not None)
    return {
        name: (None if value is None or total <= 0 else round(max(value, 0) / total, 4))
        for name, value in values.items()
    }


def share_of_voice(rows: Sequence[HashtagReport]) -> list[CampaignGroup]:
    """Per campaign group (campaign + competitor tags), each one's share of views growth."""
    groups: dict[str, list[HashtagReport]] = defaultdict(list)
    for row in rows:
        if row.campaign and row.kind in (HashtagKind.CAMPAIGN, HashtagKind.COMPETITOR):
            groups[row.campaign].append(row)
    result: list[CampaignGroup] = []
    for campaign in sorted(groups):
        members = sorted(
            groups[campaign], key=lambda r: (r.kind != HashtagKind.CAMPAIGN, r.hashtag)
        )
        now = _shares({r.hashtag: r.views_wow for r in members})
        before = _shares({r.hashtag: _previous_growth(r) for r in members})
        own = [now[r.hashtag] for r in members if r.kind is HashtagKind.CAMPAIGN]
        known = [s for s in own if s is not None]
        result.append(
            CampaignGroup(
                campaign=campaign,
                total_views_growth=sum(max(r.views_wow or 0, 0) for r in members),
                campaign_share=None if not own or len(known) < len(own) else round(sum(known), 4),
                members=[
                    VoiceShare(
                        hashtag=r.hashtag,
                        kind=r.kind,
                        views_growth=r.views_wow,
                        share=now[r.hashtag],
                        previous_share=before[r.hashtag],
                    )
                    for r in members
                ],
            )
        )
    return result


def _previous_growth(row: HashtagReport) -> int | None:
    return row.weeks[-2].views_growth if len(row.weeks) >= 2 else None


def build_report(
    as_of: datetime,
    generated_at: datetime,
    rows: Sequence[HashtagReport],
    skipped: Sequence[SkippedHashtag] = (),
    balance: tuple[int, str] | None = None,
    rank_by: RankBy = RankBy.GROWTH,
) -> Report:
    """Rank the rows, group campaigns for share of voice, total the credits."""
    ranked = rank(rows, rank_by)
    credits_week = sum(r.credits_week for r in ranked)
    credits_30d = sum(r.credits_30d for r in ranked)
    return Report(
        as_of=as_of,
        week_start=as_of - WEEK,
        generated_at=generated_at,
        window_weeks=WINDOW_WEEKS,
        hashtags=ranked,
        rank_by=rank_by,
        groups=share_of_voice(ranked),
        skipped=list(skipped),
        credits_week=credits_week,
        credits_week_usd=round(credits_week * CREDIT_USD, 4),
        credits_30d=credits_30d,
        credits_30d_usd=round(credits_30d * CREDIT_USD, 4),
        balance=balance[0] if balance else None,
        balance_at=balance[1] if balance else None,
    )
