"""The alert rules: viral (6 h), milestones, and the daily rules, evaluated on one snapshot.

Pure: the same snapshot and history always give the same alerts, so a redelivery or a
re-run produces identical keys and the alert store makes them exactly-once.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.snapshot import SentimentShares, Snapshot
from hashtag_tracker.rules.alert import Alert, AlertRule, Severity, format_number
from hashtag_tracker.rules.growth import (
    DAY_TOLERANCE,
    DAY_WINDOW,
    VIRAL_LONGEST,
    VIRAL_SHORTER,
    VIRAL_TOLERANCE,
    VIRAL_WINDOW,
    WindowGrowth,
    previous_high,
    window_growth,
)

# Total views that make a milestone: 1M, 10M, 100M, 1B, 10B, 100B, 1T.
MILESTONES: tuple[int, ...] = tuple(10**exponent for exponent in range(6, 13))
# Fewer scored comments than this say nothing about a hashtag's mood.
MIN_SCORED_COMMENTS = 20
# Growth % is meaningless on a tiny base (2 -> 3 videos is +50 %); below these it is ignored.
MIN_PCT_BASE_VIDEOS = 20
MIN_PCT_BASE_VIEWS = 10_000

# What a daily rule looks at: the day's growth, or the comments' mood.
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Assessment:
    alerts: list[Alert]
    # Counters lower than their previous high: a data-quality event, never growth or a drop.
    decreased: tuple[str, ...]


def _pct(growth: WindowGrowth, counter: str, minimum: int) -> float | None:
    value = getattr(growth, counter)
    return value.pct if value.start >= minimum else None


# Rules about a condition that lasts (a quiet tag, a sour comment section): once said, they
# are repeated at most once per `condition_cooldown_hours` unless they get clearly worse.
CONDITION_RULES = frozenset({AlertRule.LOW_ACTIVITY, AlertRule.NEGATIVE_SENTIMENT})


def _base(
    hashtag: TrackedHashtag, snapshot: Snapshot, rule: AlertRule, window: str
) -> dict[str, Any]:
    limits = hashtag.thresholds
    return {
        "hashtag": hashtag.hashtag,
        "rule": rule,
        "window": window,
        "at": snapshot.cycle,
        "kind": hashtag.kind,
        "campaign": hashtag.campaign,
        "cooldown_hours": (
            limits.condition_cooldown_hours if rule in CONDITION_RULES else limits.cooldown_hours
        ),
        "escalation_factor": limits.escalation_factor,
    }


def viral(hashtag: TrackedHashtag, snapshot: Snapshot, growth: WindowGrowth | None) -> Alert | None:
    """New videos ≥ threshold, or views or videos grown ≥ threshold %, within 6 hours."""
    if growth is None:
        return None
    limits = hashtag.thresholds
    views_pct = _pct(growth, "views", MIN_PCT_BASE_VIEWS)
    videos_pct = _pct(growth, "videos", MIN_PCT_BASE_VIDEOS)
    ratios = [growth.videos.rise / limits.viral_new_videos]
    ratios += [p / limits.viral_growth_pct for p in (views_pct, videos_pct) if p is not None]
    magnitude = max(ratios)
    if magnitude < 1:
        return None
    numbers: dict[str, float] = {
        "new_videos": growth.videos.rise,
        "new_views": growth.views.rise,
        "views_per_hour": round(growth.views.per_hour, 1),
        "videos_per_hour": round(growth.videos.per_hour, 1),
        "window_hours": round(growth.hours, 2),
    }
    if views_pct is not None:
        numbers["views_growth_pct"] = round(views_pct, 1)
    if videos_pct is not None:
        numbers["videos_growth_pct"] = round(videos_pct, 1)
    pct_text = f"{views_pct:+.1f}% views" if views_pct is not None else "views growth unknown"
    summary = (
        f"#{hashtag.hashtag} is taking off: {format_number(growth.videos.rise)} new videos and "
        f"{pct_text} in {growth.hours:.1f} h "
        f"({format_number(round(growth.views.per_hour))} views per hour)."
    )
    return Alert(
        **_base(hashtag, snapshot, AlertRule.VIRAL, to_iso(snapshot.cycle)),
        severity=Severity.WARNING,
        metrics=numbers,
        summary=summary,
        magnitude=round(magnitude, 4),
    )


def viral_over_longer(
    hashtag: TrackedHashtag, snapshot: Snapshot, growth: WindowGrowth | None
) -> Alert | None:
    """The viral rule read over a window longer than 6 h (a calm tag polled every 12 h, no
    reading near the 6-hour window's start): new videos ≥ the threshold × the number of
    6-hour windows it takes to cover it. Split into that many windows of at most 6 hours,
    one of them then holds at least the threshold, so the rule was met inside it: never a
    false alert, and the first reading after a step spike is enough."""
    if growth is None or growth.hours <= VIRAL_WINDOW.total_seconds() / 3600:
        return None
    windows = math.ceil(growth.hours / (VIRAL_WINDOW.total_seconds() / 3600))
    need = hashtag.thresholds.viral_new_videos * windows
    if growth.videos.rise < need:
        return None
    summary = (
        f"#{hashtag.hashtag} is taking off: {format_number(growth.videos.rise)} new videos in "
        f"{growth.hours:.1f} h, {windows} times the {format_number(need // windows)} of a "
        f"viral 6 hours ({format_number(round(growth.views.per_hour))} views per hour)."
    )
    return Alert(
        **_base(hashtag, snapshot, AlertRule.VIRAL, to_iso(snapshot.cycle)),
        severity=Severity.WARNING,
        metrics={
            "new_videos": growth.videos.rise,
            "new_views": growth.views.rise,
            "views_per_hour": round(growth.views.per_hour, 1),
            "videos_per_hour": round(growth.videos.per_hour, 1),
            "window_hours": round(growth.hours, 2),
            "threshold": need,
        },
        summary=summary,
        magnitude=round(growth.videos.rise / need, 4),
    )


def viral_alert(
    hashtag: TrackedHashtag, snapshot: Snapshot, history: Sequence[Snapshot]
) -> Alert | None:
    """The viral rule on `snapshot`: over the 6-hour window when a reading is near its
    start, else over the longer span back to the previous reading (viral_over_longer)."""
    six_hours = window_growth(snapshot, history, VIRAL_WINDOW, VIRAL_TOLERANCE, VIRAL_SHORTER)
    if six_hours is not None:
        return viral(hashtag, snapshot, six_hours)
    longer = window_growth(snapshot, history, VIRAL_WINDOW, VIRAL_LONGEST)
    return viral_over_longer(hashtag, snapshot, longer)


def milestones(
    hashtag: TrackedHashtag, snapshot: Snapshot, history: Sequence[Snapshot]
) -> list[Alert]:
    """One alert per milestone crossed since the previous usable snapshot's high."""
    before = previous_high(snapshot, history, "views")
    if before is None or snapshot.views is None or not snapshot.usable:
        return []
    return [
        Alert(
            **{**_base(hashtag, snapshot, AlertRule.MILESTONE, str(m)), "cooldown_hours": 0},
            severity=Severity.INFO,
            metrics={"milestone": m, "views": snapshot.views, "videos": snapshot.videos or 0},
            summary=f"#{hashtag.hashtag} passed {format_number(m)} total views.",
        )
        for m in MILESTONES
        if before < m <= snapshot.views
    ]


# -- the daily rules: one table, one loop ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class DailyRule(Generic[S]):
    """One daily rule: a value measured on a subject (the day's growth, or the comments'
    mood) against the `threshold` field of the hashtag's thresholds.

    The alert's window is the snapshot's UTC day; its metrics are `numbers` plus the threshold.
    """

    rule: AlertRule
    severity: Severity
    # A field of Thresholds.
    threshold: str
    # What the rule looks at; None: the rule has nothing to say on this snapshot.
    subject: Callable[[Snapshot, WindowGrowth | None], S | None]
    # The measured value; None: nothing to say either.
    measure: Callable[[S], float | None]
    # (measured, threshold) -> fires.
    fires: Callable[[float, float], bool]
    numbers: Callable[[S], dict[str, float]]
    # (hashtag, subject, threshold) -> the alert's one sentence.
    summary: Callable[[str, S, float], str]
    # Magnitude = measured / threshold; False: 1.0 (a condition, not a spike).
    scaled: bool = True


def _day_growth(snapshot: Snapshot, growth: WindowGrowth | None) -> WindowGrowth | None:
    # A brand-new hashtag (no 24 h base) or an unusable snapshot says nothing of its day.
    return growth


def _scored_mood(snapshot: Snapshot, growth: WindowGrowth | None) -> SentimentShares | None:
    # Fewer scored comments than the minimum say nothing about the hashtag's mood.
    mood = snapshot.sentiment
    if not snapshot.usable or mood is None or mood.scored < MIN_SCORED_COMMENTS:
        return None
    return mood


def _steady_views(growth: WindowGrowth) -> float | None:
    # A fall is a data-quality event: it says nothing about how active the hashtag is.
    return None if growth.views.decreased else growth.views.rise


def _day_numbers(growth: WindowGrowth) -> dict[str, float]:
    return {
        "new_views": growth.views.rise,
        "new_videos": growth.videos.rise,
        "window_hours": round(growth.hours, 2),
    }


def _mood_numbers(mood: SentimentShares) -> dict[str, float]:
    return {"negative_share": round(mood.negative, 3), "comments_scored": mood.scored}


def _viral_day_text(tag: str, growth: WindowGrowth, limit: float) -> str:
    return f"#{tag} gained {format_number(growth.views.rise)} views in {growth.hours:.0f} h."


def _participation_text(tag: str, growth: WindowGrowth, limit: float) -> str:
    return f"#{tag} got {format_number(growth.videos.rise)} new videos in {growth.hours:.0f} h."


def _low_activity_text(tag: str, growth: WindowGrowth, limit: float) -> str:
    return (
        f"#{tag} gained only {format_number(growth.views.rise)} views "
        f"in {growth.hours:.0f} h (fewer than {format_number(limit)})."
    )


def _mood_text(tag: str, mood: SentimentShares, limit: float) -> str:
    return f"{mood.negative:.0%} of {mood.scored} recent comments on #{tag} are negative."


# In the order their alerts are raised.
DAILY_RULES: tuple[DailyRule[Any], ...] = (
    DailyRule(
        rule=AlertRule.VIRAL_DAY,
        severity=Severity.WARNING,
        threshold="viral_day_views",
        subject=_day_growth,
        measure=lambda growth: growth.views.rise,
        fires=operator.ge,
        numbers=_day_numbers,
        summary=_viral_day_text,
    ),
    DailyRule(
        rule=AlertRule.HIGH_PARTICIPATION,
        severity=Severity.INFO,
        threshold="high_participation_videos",
        subject=_day_growth,
        measure=lambda growth: growth.videos.rise,
        fires=operator.ge,
        numbers=_day_numbers,
        summary=_participation_text,
    ),
    DailyRule(
        rule=AlertRule.LOW_ACTIVITY,
        severity=Severity.WARNING,
        threshold="low_activity_views",
        subject=_day_growth,
        measure=_steady_views,
        fires=operator.lt,
        numbers=_day_numbers,
        summary=_low_activity_text,
        scaled=False,
    ),
    DailyRule(
        rule=AlertRule.NEGATIVE_SENTIMENT,
        severity=Severity.WARNING,
        threshold="negative_sentiment_share",
        subject=_scored_mood,
        measure=lambda mood: mood.negative,
        fires=operator.ge,
        numbers=_mood_numbers,
        summary=_mood_text,
    ),
)


def daily(hashtag: TrackedHashtag, snapshot: Snapshot, growth: WindowGrowth | None) -> list[Alert]:
    """The DAILY_RULES alerts: viral day, high participation, low activity (over the last
    24 hours, `growth`) and negative comments."""
    day = snapshot.cycle.date().isoformat()
    alerts: list[Alert] = []
    for spec in DAILY_RULES:
        subject = spec.subject(snapshot, growth)
        value = None if subject is None else spec.measure(subject)
        limit: float = getattr(hashtag.thresholds, spec.threshold)
        if value is None or not spec.fires(value, limit):
            continue
        alerts.append(
            Alert(
                **_base(hashtag, snapshot, spec.rule, day),
                severity=spec.severity,
                metrics={**spec.numbers(subject), "threshold": limit},
                summary=spec.summary(hashtag.hashtag, subject, limit),
                magnitude=round(value / limit, 4) if spec.scaled else 1.0,
            )
        )
    return alerts


def assess(hashtag: TrackedHashtag, snapshot: Snapshot, history: Sequence[Snapshot]) -> Assessment:
    """Every alert `snapshot` raises, and the counters that went backwards."""
    if not snapshot.usable:
        # Missing and suspect snapshots never raise alerts, in either direction.
        return Assessment([], ())
    day = window_growth(snapshot, history, DAY_WINDOW, DAY_TOLERANCE)
    alerts: list[Alert] = []
    found = viral_alert(hashtag, snapshot, history)
    if found is not None:
        alerts.append(found)
    alerts += milestones(hashtag, snapshot, history)
    alerts += daily(hashtag, snapshot, day)
    decreased = tuple(
        counter
        for counter in ("views", "videos")
        if (high := previous_high(snapshot, history, counter)) is not None
        and (getattr(snapshot, counter) or 0) < high
    )
    return Assessment(alerts, decreased)


def evaluate(
    hashtag: TrackedHashtag, snapshot: Snapshot, history: Sequence[Snapshot]
) -> list[Alert]:
    """The alerts `snapshot` raises given the previous snapshots (oldest first)."""
    return assess(hashtag, snapshot, history).alerts
