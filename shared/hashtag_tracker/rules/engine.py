"""The alert rules: viral (6 h), milestones, and the daily rules, evaluated on one snapshot.

Pure: the same snapshot and history always give the same alerts, so a redelivery or a
re-run produces identical keys and the alert store makes them exactly-once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.rules.alert import Alert, AlertRule, Severity, format_number
from hashtag_tracker.rules.growth import (
    DAY_TOLERANCE,
    DAY_WINDOW,
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


def daily(hashtag: TrackedHashtag, snapshot: Snapshot, growth: WindowGrowth | None) -> list[Alert]:
    """Viral day, high participation and low activity over the last 24 hours."""
    if growth is None:
        # A brand-new hashtag (no 24 h base) or an unusable snapshot says nothing of its day.
        return []
    limits = hashtag.thresholds
    day = snapshot.cycle.date().isoformat()
    numbers: dict[str, float] = {
        "new_views": growth.views.rise,
        "new_videos": growth.videos.rise,
        "window_hours": round(growth.hours, 2),
    }
    alerts: list[Alert] = []
    if growth.views.rise >= limits.viral_day_views:
        alerts.append(
            Alert(
                **_base(hashtag, snapshot, AlertRule.VIRAL_DAY, day),
                severity=Severity.WARNING,
                metrics={**numbers, "threshold": limits.viral_day_views},
                summary=(
                    f"#{hashtag.hashtag} gained {format_number(growth.views.rise)} views "
                    f"in {growth.hours:.0f} h."
                ),
                magnitude=round(growth.views.rise / limits.viral_day_views, 4),
            )
        )
    if growth.videos.rise >= limits.high_participation_videos:
        alerts.append(
            Alert(
                **_base(hashtag, snapshot, AlertRule.HIGH_PARTICIPATION, day),
                severity=Severity.INFO,
                metrics={**numbers, "threshold": limits.high_participation_videos},
                summary=(
                    f"#{hashtag.hashtag} got {format_number(growth.videos.rise)} new videos "
                    f"in {growth.hours:.0f} h."
                ),
                magnitude=round(growth.videos.rise / limits.high_participation_videos, 4),
            )
        )
    # A fall is a data-quality event: it says nothing about how active the hashtag is.
    if not growth.views.decreased and growth.views.rise < limits.low_activity_views:
        alerts.append(
            Alert(
                **_base(hashtag, snapshot, AlertRule.LOW_ACTIVITY, day),
                severity=Severity.WARNING,
                metrics={**numbers, "threshold": limits.low_activity_views},
                summary=(
                    f"#{hashtag.hashtag} gained only {format_number(growth.views.rise)} views "
                    f"in {growth.hours:.0f} h (fewer than "
                    f"{format_number(limits.low_activity_views)})."
                ),
            )
        )
    return alerts


def negative_sentiment(hashtag: TrackedHashtag, snapshot: Snapshot) -> Alert | None:
    """The share of negative comments at or above the threshold, on enough comments."""
    mood = snapshot.sentiment
    limit = hashtag.thresholds.negative_sentiment_share
    if not snapshot.usable or mood is None or mood.scored < MIN_SCORED_COMMENTS:
        return None
    if mood.negative < limit:
        return None
    return Alert(
        **_base(hashtag, snapshot, AlertRule.NEGATIVE_SENTIMENT, snapshot.cycle.date().isoformat()),
        severity=Severity.WARNING,
        metrics={
            "negative_share": round(mood.negative, 3),
            "comments_scored": mood.scored,
            "threshold": limit,
        },
        summary=(
            f"{mood.negative:.0%} of {mood.scored} recent comments on #{hashtag.hashtag} "
            "are negative."
        ),
        magnitude=round(mood.negative / limit, 4),
    )


def assess(hashtag: TrackedHashtag, snapshot: Snapshot, history: Sequence[Snapshot]) -> Assessment:
    """Every alert `snapshot` raises, and the counters that went backwards."""
    if not snapshot.usable:
        # Missing and suspect snapshots never raise alerts, in either direction.
        return Assessment([], ())
    six_hours = window_growth(snapshot, history, VIRAL_WINDOW, VIRAL_TOLERANCE)
    day = window_growth(snapshot, history, DAY_WINDOW, DAY_TOLERANCE)
    alerts: list[Alert] = []
    found = viral(hashtag, snapshot, six_hours)
    if found is not None:
        alerts.append(found)
    alerts += milestones(hashtag, snapshot, history)
    alerts += daily(hashtag, snapshot, day)
    mood = negative_sentiment(hashtag, snapshot)
    if mood is not None:
        alerts.append(mood)
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
