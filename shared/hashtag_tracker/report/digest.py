"""The daily digest: what the last day brought each tracked hashtag, as one topic message (pure).

The day is the 24 hours before the digest's time (its schedule's `time`), the same day the
daily rules and the day-over-day label speak of. Time is passed in; nothing here reads a clock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.codec import Record, to_json
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.snapshot import SentimentShares, Snapshot
from hashtag_tracker.models.video import LedgerVideo
from hashtag_tracker.rules.alert import tag_url
from hashtag_tracker.rules.day_over_day import day_over_day
from hashtag_tracker.rules.growth import DAY_TOLERANCE, DAY_WINDOW, window_growth

# The digest's JSON carries this, so a subscriber tells it from alerts ("hashtag-tracker.alert"),
# and its SNS message carries the attribute rule=daily_digest for filter policies.
DIGEST_TYPE = "hashtag-tracker.digest"
DIGEST_RULE = "daily_digest"
# Two days for the day-over-day label, plus the tolerance its oldest reading may sit back.
SNAPSHOT_LOOKBACK = 2 * DAY_WINDOW + DAY_TOLERANCE
# Tags listed one by one (the day's most viewed first); the rest are summed in one line, so the
# message stays far below SNS's 256 KiB and Slack's 50 blocks with a thousand tags.
DIGEST_TAGS = 20
SKIPPED_NAMED = 20
# The whole SNS message (text twice, JSON twice): listed tags are dropped into the summed line
# until it fits.
DIGEST_MAX_BYTES = 128 * 1024
DESCRIPTION_CHARS = 120
# A video link longer than this (an odd id kept by the ledger) is left out, not cut.
VIDEO_LINK_CHARS = 300
CREDIT_USD = 0.005
# Below a day of the month a pace is mostly noise (the same floor as collection/balance.py).
MIN_DAYS_FOR_A_PACE = 1.0
TIKTOK_URL = "https://www.tiktok.com/"


class DigestVideo(Record, frozen=True, kw_only=True):
    """The day's top video of a tag: the most played of those first seen that day."""

    video_id: str
    author_id: str
    plays: int
    likes: int
    comments: int
    shares: int
    description: str | None = None
    # None when its ids make no usable link.
    link: str | None = None


class DigestMood(Record, frozen=True, kw_only=True):
    """The comment mood of the day's latest scored snapshot; `label` is the largest share."""

    label: str
    positive: float
    neutral: float
    negative: float
    scored: int


class DigestTag(Record, frozen=True, kw_only=True):
    hashtag: str
    kind: HashtagKind
    campaign: str | None = None
    link: str
    # None: no usable reading this day, or no reading a day before it to count from.
    new_views: int | None = None
    new_videos: int | None = None
    # The latest usable reading's totals.
    views: int | None = None
    videos: int | None = None
    # rising / falling / stable (rules/day_over_day.py); None without two days of readings.
    day_over_day: str | None = None
    views_day_before: int | None = None
    top_video: DigestVideo | None = None
    mood: DigestMood | None = None
    credits: int = 0


class DigestOthers(Record, frozen=True, kw_only=True):
    """The tags not listed one by one, summed."""

    count: int
    new_views: int
    new_videos: int
    credits: int


class DigestCredits(Record, frozen=True, kw_only=True):
    today: int
    today_usd: float
    month: str
    # The month's credits used so far (the State table's counter); None when not kept.
    month_used: int | None = None
    # At this month's pace so far; None in the month's first day or without the counter.
    month_projected: int | None = None
    budget: int
    projected_pct_of_budget: float | None = None
    # The provider's last reported balance this month.
    balance: int | None = None


class Digest(Record, frozen=True, kw_only=True):
    type: str = DIGEST_TYPE
    # The UTC day of `until`: the once-a-day key.
    day: str
    since: datetime
    until: datetime
    generated_at: datetime
    hashtags: int
    new_views: int
    new_videos: int
    tags: list[DigestTag]
    others: DigestOthers | None = None
    credits: DigestCredits
    skipped: list[str]
    skipped_count: int = 0
    invalid_items: int = 0

    @property
    def title(self) -> str:
        return f"Daily hashtag digest {self.day}"


@dataclass(frozen=True)
class DigestInputs:
    """One tag's reads: its snapshots of the SNAPSHOT_LOOKBACK before the digest's time, and
    the ledger's videos first seen since the day's start."""

    tracked: TrackedHashtag
    snapshots: Sequence[Snapshot]
    videos: Sequence[LedgerVideo]


def day_bounds(until: datetime) -> tuple[datetime, datetime]:
    """The digest's day: the 24 hours before `until` (second precision, UTC)."""
    until = until.astimezone(UTC).replace(microsecond=0)
    return until - DAY_WINDOW, until


def video_link(author_id: str, video_id: str) -> str | None:
    link = f"{TIKTOK_URL}@{quote(author_id, safe='._-')}/video/{quote(video_id, safe='')}"
    return link if len(link) <= VIDEO_LINK_CHARS else None


def _short(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1] + "…"


def top_video(
    videos: Sequence[LedgerVideo], since: datetime, until: datetime
) -> DigestVideo | None:
    day = [v for v in videos if since < v.first_seen <= until]
    if not day:
        return None
    best = min(day, key=lambda v: (-v.plays, -v.likes, v.video_id))
    return DigestVideo(
        video_id=best.video_id,
        author_id=best.author_id,
        plays=best.plays,
        likes=best.likes,
        comments=best.comments,
        shares=best.shares,
        description=_short(best.description),
        link=video_link(best.author_id, best.video_id),
    )


def mood_of(shares: SentimentShares) -> DigestMood:
    named = {"positive": shares.positive, "neutral": shares.neutral, "negative": shares.negative}
    # Ties go to neutral, then positive: a mood is called negative only when it leads.
    order = ("neutral", "positive", "negative")
    label = max(order, key=lambda name: (named[name], -order.index(name)))
    return DigestMood(
        label=label,
        positive=round(shares.positive, 4),
        neutral=round(shares.neutral, 4),
        negative=round(shares.negative, 4),
        scored=shares.scored,
    )


def tag_digest(inputs: DigestInputs, since: datetime, until: datetime) -> DigestTag:
    """One tag's day: new views and videos (the daily rules' day growth), the day-over-day
    label, the top new video, the latest scored comment mood and the credits spent."""
    tracked = inputs.tracked
    snapshots = sorted((s for s in inputs.snapshots if s.cycle <= until), key=lambda s: s.cycle)
    day = [s for s in snapshots if since < s.cycle]
    usable = [s for s in day if s.usable]
    latest = usable[-1] if usable else None
    growth = window_growth(latest, snapshots, DAY_WINDOW, DAY_TOLERANCE) if latest else None
    # A label only for a tag read this day: never one from stale readings.
    trend = day_over_day(snapshots, until) if latest else None
    scored = [s.sentiment for s in day if s.sentiment is not None and s.sentiment.scored > 0]
    return DigestTag(
        hashtag=tracked.hashtag,
        kind=tracked.kind,
        campaign=tracked.campaign,
        link=tag_url(tracked.hashtag),
        new_views=growth.views.rise if growth else None,
        new_videos=growth.videos.rise if growth else None,
        views=latest.views if latest else None,
        videos=latest.videos if latest else None,
        day_over_day=trend.label.value if trend else None,
        views_day_before=trend.yesterday if trend else None,
        top_video=top_video(inputs.videos, since, until),
        mood=mood_of(scored[-1]) if scored else None,
        credits=sum(s.credits for s in day),
    )


def month_of(when: datetime) -> str:
    return f"{when.astimezone(UTC):%Y-%m}"


def month_projection(used: int, now: datetime) -> int | None:
    """The month's credits at its pace so far (used ÷ elapsed days × the month's days): the
    same pace collection/balance.py's outlook projects; None in the month's first day."""
    now = now.astimezone(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    elapsed = (now - start) / timedelta(days=1)
    if elapsed < MIN_DAYS_FOR_A_PACE:
        return None
    return round(used / elapsed * ((end - start) / timedelta(days=1)))


def digest_credits(
    today: int,
    until: datetime,
    budget: int,
    month_used: int | None,
    balance: int | None,
) -> DigestCredits:
    projected = month_projection(month_used, until) if month_used is not None else None
    return DigestCredits(
        today=today,
        today_usd=round(today * CREDIT_USD, 4),
        month=month_of(until),
        month_used=month_used,
        month_projected=projected,
        budget=budget,
        projected_pct_of_budget=(
            round(100.0 * projected / budget, 1) if projected is not None and budget > 0 else None
        ),
        balance=balance,
    )


def _rank(tag: DigestTag) -> tuple[bool, int, str]:
    return (tag.new_views is None, -(tag.new_views or 0), tag.hashtag)


def build_digest(
    tags: Sequence[DigestTag],
    until: datetime,
    generated_at: datetime,
    credits: DigestCredits,
    skipped: Sequence[str] = (),
    invalid_items: int = 0,
    *,
    listed: int = DIGEST_TAGS,
    max_bytes: int = DIGEST_MAX_BYTES,
) -> Digest:
    """The digest: the day's most viewed `listed` tags one by one, the others summed; fewer
    are listed when the whole SNS message would pass `max_bytes`."""
    since, until = day_bounds(until)
    ranked = sorted(tags, key=_rank)
    while True:
        shown, rest = ranked[:listed], ranked[listed:]
        digest = Digest(
            day=f"{until:%Y-%m-%d}",
            since=since,
            until=until,
            generated_at=generated_at,
            hashtags=len(ranked),
            new_views=sum(t.new_views or 0 for t in ranked),
            new_videos=sum(t.new_videos or 0 for t in ranked),
            tags=list(shown),
            others=(
                DigestOthers(
                    count=len(rest),
                    new_views=sum(t.new_views or 0 for t in rest),
                    new_videos=sum(t.new_videos or 0 for t in rest),
                    credits=sum(t.credits for t in rest),
                )
                if rest
                else None
            ),
            credits=credits,
            skipped=[s[:100] for s in skipped[:SKIPPED_NAMED]],
            skipped_count=len(skipped),
            invalid_items=invalid_items,
        )
        if listed == 0 or len(digest_message(digest).encode("utf-8")) <= max_bytes:
            return digest
        listed //= 2


# -- the message ---------------------------------------------------------------------------


def _n(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def tag_lines(tag: DigestTag) -> list[str]:
    """A listed tag in plain text (email)."""
    head = f"#{tag.hashtag} — {tag.kind.value} tag" + (
        f" of {tag.campaign}" if tag.campaign else ""
    )
    trend = tag.day_over_day or "no label yet"
    if tag.day_over_day and tag.views_day_before is not None:
        trend += f" (day before: {tag.views_day_before:,} new views)"
    lines = [
        head,
        f"  New views {_n(tag.new_views)}, new videos {_n(tag.new_videos)}; day over day: {trend}",
    ]
    if tag.top_video is not None:
        video = tag.top_video
        about = f' "{video.description}"' if video.description else ""
        lines.append(
            f"  Top new video: @{video.author_id}{about}, {video.plays:,} plays"
            + (f" {video.link}" if video.link else "")
        )
    else:
        lines.append("  Top new video: none first seen today")
    if tag.mood is not None:
        mood = tag.mood
        lines.append(
            f"  Comment mood: {mood.label} ({mood.positive:.0%} positive, {mood.neutral:.0%} "
            f"neutral, {mood.negative:.0%} negative; {mood.scored:,} comments scored)"
        )
    else:
        lines.append("  Comment mood: not scored today")
    lines.append(f"  Credits today: {tag.credits:,}   {tag.link}")
    return lines


def credits_line(credits: DigestCredits) -> str:
    line = f"Credits today: {credits.today:,} (${credits.today_usd:.2f})."
    if credits.month_used is not None:
        line += f" {credits.month}: {credits.month_used:,} used"
        if credits.month_projected is not None:
            line += f", projected {credits.month_projected:,} of the {credits.budget:,} budget"
            if credits.projected_pct_of_budget is not None:
                line += f" ({credits.projected_pct_of_budget:.0f}%)"
        else:
            line += f" of the {credits.budget:,} budget (too early in the month to project)"
        line += "."
    if credits.balance is not None:
        line += f" Data-API balance: {credits.balance:,} credits."
    return line


def digest_text(digest: Digest) -> str:
    """The plain-text body that reads well in an email."""
    lines = [
        f"{digest.title}: the 24 hours to {to_iso(digest.until)}",
        f"{digest.hashtags} hashtags, {digest.new_views:,} new views, "
        f"{digest.new_videos:,} new videos.",
        credits_line(digest.credits),
        "",
    ]
    for tag in digest.tags:
        lines += [*tag_lines(tag), ""]
    if digest.others is not None:
        o = digest.others
        lines.append(
            f"+{o.count} more hashtags: {o.new_views:,} new views, {o.new_videos:,} new videos, "
            f"{o.credits:,} credits."
        )
    if digest.skipped_count:
        more = digest.skipped_count - len(digest.skipped)
        lines.append(
            "Not read (storage errors): "
            + ", ".join(f"#{s}" for s in digest.skipped)
            + (f", +{more} more" if more > 0 else "")
        )
    if digest.invalid_items:
        lines.append(f"Invalid hashtag items skipped: {digest.invalid_items}")
    return "\n".join(lines).rstrip() + "\n"


def digest_json(digest: Digest) -> str:
    """The digest's JSON for code subscribers (the Slack notifier): its fields plus title."""
    document = json.loads(to_json(digest))
    document["title"] = digest.title
    return json.dumps(document, ensure_ascii=False)


def digest_message(digest: Digest) -> str:
    """The SNS message (MessageStructure=json), as alerts send theirs: text for email, the
    digest's JSON for Lambda and SQS subscribers."""
    text = digest_text(digest)
    document = digest_json(digest)
    return json.dumps(
        {"default": text, "email": text, "lambda": document, "sqs": document},
        ensure_ascii=False,
    )


def digest_attributes() -> dict[str, str | None]:
    """What subscribers filter on: the digest is rule=daily_digest, severity=info."""
    return {"rule": DIGEST_RULE, "severity": "info"}
