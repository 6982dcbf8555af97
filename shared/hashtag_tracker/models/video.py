"""The video ledger: every video and creator ever seen for a hashtag, with first-seen times."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from hashtag_tracker.models.codec import Record

_Count = Annotated[int, Meta(ge=0)]


class LedgerVideo(Record, frozen=True, kw_only=True):
    hashtag: str
    video_id: str
    author_id: str
    created_at: datetime | None = None
    first_seen: datetime
    last_seen: datetime
    plays: _Count
    likes: _Count
    comments: _Count
    shares: _Count
    saves: _Count | None = None
    description: str | None = None

    @property
    def engagement_rate(self) -> float | None:
        """(likes + comments + shares) / plays; None when there are no plays to divide by."""
        if self.plays <= 0:
            return None
        return (self.likes + self.comments + self.shares) / self.plays


class LedgerCreator(Record, frozen=True, kw_only=True):
    hashtag: str
    author_id: str
    nickname: str | None = None
    followers: _Count | None = None
    first_seen: datetime
    last_seen: datetime
