"""The video ledger: every video and creator ever seen for a hashtag, with first-seen times."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LedgerVideo(BaseModel):
    model_config = ConfigDict(frozen=True)

    hashtag: str
    video_id: str
    author_id: str
    created_at: datetime | None = None
    first_seen: datetime
    last_seen: datetime
    plays: int = Field(ge=0)
    likes: int = Field(ge=0)
    comments: int = Field(ge=0)
    shares: int = Field(ge=0)
    saves: int | None = Field(None, ge=0)
    description: str | None = None

    @property
    def engagement_rate(self) -> float | None:
        """(likes + comments + shares) / plays; None when there are no plays to divide by."""
        if self.plays <= 0:
            return None
        return (self.likes + self.comments + self.shares) / self.plays


class LedgerCreator(BaseModel):
    model_config = ConfigDict(frozen=True)

    hashtag: str
    author_id: str
    nickname: str | None = None
    followers: int | None = Field(None, ge=0)
    first_seen: datetime
    last_seen: datetime
