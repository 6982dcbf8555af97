"""Snapshot series for rule tests: 6-hourly by default, counters given per cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.snapshot import SentimentShares, Snapshot, SnapshotStatus

T0 = datetime(2026, 11, 2, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ok(hours: float, views: int, videos: int, **extra: object) -> Snapshot:
    return Snapshot(
        hashtag="trybrandx",
        cycle=at(hours),
        taken_at=at(hours),
        views=views,
        videos=videos,
        **extra,  # type: ignore[arg-type]
    )


def missing(hours: float) -> Snapshot:
    return Snapshot(
        hashtag="trybrandx",
        cycle=at(hours),
        taken_at=at(hours),
        status=SnapshotStatus.MISSING,
        reason="timeout",
    )


def suspect(hours: float, views: int = 0, videos: int = 0) -> Snapshot:
    return Snapshot(
        hashtag="trybrandx",
        cycle=at(hours),
        taken_at=at(hours),
        views=views,
        videos=videos,
        status=SnapshotStatus.SUSPECT,
        reason="zero after non-zero",
    )


def mood(negative: float, scored: int) -> SentimentShares:
    rest = (1 - negative) / 2
    return SentimentShares(positive=rest, neutral=rest, negative=negative, scored=scored)


def tag(**thresholds: float) -> TrackedHashtag:
    return TrackedHashtag.parse(
        {"hashtag": "trybrandx", "campaign": "BrandX", "thresholds": thresholds}
    )
