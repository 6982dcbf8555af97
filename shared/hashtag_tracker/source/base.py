"""The provider port: typed results of the TikTok data API and the interface providers meet.

Results are records (msgspec Structs): cheaper to define at cold start than dataclasses."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from hashtag_tracker.models.codec import Record


class HashtagStats(Record, frozen=True):
    hashtag_id: str
    title: str
    views: int
    videos: int
    credits_used: int


class Video(Record, frozen=True):
    video_id: str
    description: str | None
    created_at: datetime
    plays: int
    likes: int
    comments: int
    shares: int
    # None when the answer does not carry the field: unknown is not zero.
    saves: int | None
    author_id: str
    author_nickname: str | None
    author_followers: int | None


class VideoPage(Record, frozen=True):
    videos: list[Video]
    cursor: str
    has_more: bool
    credits_used: int


class Comment(Record, frozen=True):
    comment_id: str
    text: str
    created_at: datetime
    likes: int
    author_id: str


class CommentPage(Record, frozen=True):
    comments: list[Comment]
    cursor: str
    has_more: bool
    credits_used: int


class CallRecord(Record, frozen=True):
    """One HTTP attempt, successful or not, so callers can count calls, credits and failures."""

    endpoint: str
    # None when no HTTP answer came back (timeout, connection refused).
    status: int | None
    # None when the answer did not say (unreadable body); a 2xx answer is likely charged.
    credits_used: int | None
    elapsed_seconds: float
    error: str | None = None
    # True when the request went out but no answer came back (read timeout, connection
    # dropped after sending): upstream may have charged it. False when it never left
    # (connection refused, connect timeout) or when an answer arrived.
    answer_lost: bool = False
    # The balance the answer's envelope reported (`credits_remaining`); None when it did not
    # say, or said something that is not a non-negative integer. Never invented.
    credits_remaining: int | None = None
    # The plan's limit the answer's X-RateLimit-Limit header said (calls per the plan's
    # window); None when absent or not a positive integer.
    rate_limit: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None


class Provider(ABC):
    """A TikTok data source. Every method raises a SourceError subclass on failure."""

    @abstractmethod
    def hashtag_stats(self, name: str) -> HashtagStats:
        """Totals of a hashtag by its (normalised) name, and its id for the other calls."""

    @abstractmethod
    def hashtag_videos(self, hashtag_id: str, cursor: str = "0", count: int = 30) -> VideoPage:
        """One page of the hashtag's videos (a capped sample, newest first upstream)."""

    @abstractmethod
    def video_comments(self, video_id: str, cursor: str = "0", count: int = 50) -> CommentPage:
        """One page of a video's comments."""
