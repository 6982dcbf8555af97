"""Aggregates over a cycle's sample of videos, and comment sentiment shares."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from statistics import mean, median
from typing import Any, Protocol

from hashtag_tracker.models.snapshot import SentimentShares, VideoSampleStats
from hashtag_tracker.models.video import MAX_COMMENT_BYTES, bounded_text

# VADER's own cut-offs for its compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05


class SampledVideo(Protocol):
    @property
    def plays(self) -> int: ...
    @property
    def likes(self) -> int: ...
    @property
    def comments(self) -> int: ...
    @property
    def shares(self) -> int: ...
    @property
    def author_id(self) -> str: ...


def engagement_rate(video: SampledVideo) -> float | None:
    """(likes + comments + shares) / plays, per video; None without plays."""
    if video.plays <= 0:
        return None
    return (video.likes + video.comments + video.shares) / video.plays


def sample_stats(videos: Sequence[SampledVideo]) -> VideoSampleStats:
    rates = [r for r in (engagement_rate(v) for v in videos) if r is not None]
    shares = sum(v.shares for v in videos)
    return VideoSampleStats(
        size=len(videos),
        plays=sum(v.plays for v in videos),
        likes=sum(v.likes for v in videos),
        comments=sum(v.comments for v in videos),
        shares=shares,
        engagement_mean=mean(rates) if rates else None,
        engagement_median=median(rates) if rates else None,
        shares_per_video=shares / len(videos) if videos else None,
        unique_creators=len({v.author_id for v in videos}),
    )


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    # Imported lazily: comments are scored once a day, so cold starts do not pay for it.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_shares(texts: Sequence[str]) -> SentimentShares | None:
    """Shares of positive / neutral / negative comments by VADER's compound score; each
    comment scored on at most its first MAX_COMMENT_BYTES bytes (a huge one costs no more)."""
    bounded = (bounded_text(t, MAX_COMMENT_BYTES) or "" for t in texts if t)
    scores = [_analyzer().polarity_scores(t)["compound"] for t in bounded if t.strip()]
    if not scores:
        return None
    positive = sum(1 for s in scores if s >= POSITIVE_AT)
    negative = sum(1 for s in scores if s <= NEGATIVE_AT)
    total = len(scores)
    return SentimentShares(
        positive=positive / total,
        neutral=(total - positive - negative) / total,
        negative=negative / total,
        scored=total,
    )
