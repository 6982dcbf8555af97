"""Typed models of the product's nouns: tracked hashtags, snapshots, videos."""

from hashtag_tracker.models.hashtag import (
    HashtagKind,
    InvalidHashtagError,
    Thresholds,
    TrackedHashtag,
    normalise_hashtag,
)
from hashtag_tracker.models.snapshot import (
    SentimentShares,
    Snapshot,
    SnapshotStatus,
    VideoSampleStats,
)
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo

__all__ = [
    "HashtagKind",
    "InvalidHashtagError",
    "LedgerCreator",
    "LedgerVideo",
    "SentimentShares",
    "Snapshot",
    "SnapshotStatus",
    "Thresholds",
    "TrackedHashtag",
    "VideoSampleStats",
    "normalise_hashtag",
]
