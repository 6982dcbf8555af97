"""The video ledger: every video and creator ever seen for a hashtag, with first-seen times."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from hashtag_tracker.models.codec import Record, replace

_Count = Annotated[int, Meta(ge=0)]

# Bounds on what the data API sends, per field (README, "Video ledger"; issue 17). DynamoDB
# refuses a sort key over 1,024 bytes and an item over 400 KB, and one refused item used to
# fail the whole page's write, and with it the hashtag's reading, every cycle.
# Ids (`video#<id>`, `creator#<id>` are sort keys): a longer or unencodable one is dropped
# with its video (TikTok's ids are under 40 bytes).
MAX_ID_BYTES = 512
# Free text is cut at a character boundary to at most this many UTF-8 bytes.
DESCRIPTION_CHARS = 300
MAX_DESCRIPTION_BYTES = 1_200
MAX_NICKNAME_BYTES = 256
# A comment is scored for sentiment on at most its first 4,000 bytes.
MAX_COMMENT_BYTES = 4_000


def bounded_text(text: str | None, max_bytes: int) -> str | None:
    """`text` cut to at most `max_bytes` UTF-8 bytes at a character boundary; a lone
    surrogate (which UTF-8 cannot carry) becomes '?'. None stays None.

    >>> bounded_text("héllo", 2)
    'h'
    """
    if text is None:
        return None
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "replace")
    else:
        if len(raw) <= max_bytes:
            return text
    return raw[:max_bytes].decode("utf-8", "ignore")


def id_fits(value: str) -> bool:
    """An id DynamoDB can key: non-empty, valid UTF-8, at most MAX_ID_BYTES bytes."""
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    return 0 < size <= MAX_ID_BYTES


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


def bound_video(video: LedgerVideo) -> LedgerVideo | None:
    """The video as the ledger keeps it (description bounded), or None when an id is
    too long to key (the video is dropped, not the page)."""
    if not (id_fits(video.video_id) and id_fits(video.author_id)):
        return None
    description = video.description
    if description is not None:
        description = bounded_text(description[:DESCRIPTION_CHARS], MAX_DESCRIPTION_BYTES)
    if description == video.description:
        return video
    return replace(video, description=description)


def bound_creator(creator: LedgerCreator) -> LedgerCreator | None:
    """The creator as the ledger keeps it (nickname bounded), or None when the author id is
    too long to key."""
    if not id_fits(creator.author_id):
        return None
    nickname = bounded_text(creator.nickname, MAX_NICKNAME_BYTES)
    if nickname == creator.nickname:
        return creator
    return replace(creator, nickname=nickname)
