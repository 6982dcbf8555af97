"""What to fetch for a hashtag this cycle: stats always; videos and comments by a policy.

The documented default (README, 'Fetch policy'):
- hashtag stats every cycle (1 credit) — growth and viral detection need every point;
- one page of videos (30) in the first cycle of each UTC day; for campaigns also in the first
  cycle where the video count jumped by `video_jump` or more since the last page (at most
  `jump_pages_per_day` such pages a day): that is when new submissions appear and the
  campaign's ledger (who takes part) needs them. The list is a capped sample either way, so
  a busy day does not buy a page every cycle. Competitor and
  trend tags are followed for their counters (share of voice, trends), so a daily page is
  enough for them, and viral detection never needs a page (it reads the counters);
- comments of the top videos by plays once a day, in the cycle that fetched videos:
  2 videos for campaigns, 1 for competitors, none for trend tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hashtag_tracker.models.hashtag import HashtagKind
from hashtag_tracker.models.snapshot import Snapshot

VIDEO_PAGE_SIZE = 30
COMMENT_PAGE_SIZE = 50


@dataclass(frozen=True)
class FetchPolicy:
    video_pages: int = 1
    video_jump: int = 30
    jump_kinds: frozenset[HashtagKind] = frozenset({HashtagKind.CAMPAIGN})
    jump_pages_per_day: int = 1
    comment_videos: tuple[tuple[HashtagKind, int], ...] = (
        (HashtagKind.CAMPAIGN, 2),
        (HashtagKind.COMPETITOR, 1),
        (HashtagKind.TREND, 0),
    )

    def comments_for(self, kind: HashtagKind) -> int:
        return dict(self.comment_videos).get(kind, 0)

    def max_credits(self, kind: HashtagKind) -> int:
        """The most one hashtag may spend in a cycle (reserved up front, settled after)."""
        return 1 + self.video_pages + self.comments_for(kind)


def day_start(when: datetime) -> datetime:
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


def last_video_fetch(history: list[Snapshot]) -> Snapshot | None:
    """The newest snapshot whose cycle fetched a page of videos."""
    fetched = [s for s in history if s.sample is not None]
    return max(fetched, key=lambda s: s.cycle) if fetched else None


def video_pages_due(
    policy: FetchPolicy,
    kind: HashtagKind,
    cycle: datetime,
    videos_now: int,
    history: list[Snapshot],
) -> int:
    """How many pages of videos to fetch this cycle (0 when none are due)."""
    last = last_video_fetch(history)
    today = day_start(cycle)
    if last is None or last.cycle < today:
        return policy.video_pages
    if kind not in policy.jump_kinds:
        return 0
    pages_today = sum(1 for s in history if s.sample is not None and s.cycle >= today)
    jumped = last.videos is not None and videos_now - last.videos >= policy.video_jump
    if jumped and pages_today <= policy.jump_pages_per_day:
        return policy.video_pages
    return 0


def comments_due(
    policy: FetchPolicy,
    kind: HashtagKind,
    cycle: datetime,
    history: list[Snapshot],
    fetched_videos: bool,
) -> int:
    """Comment pages due: once a UTC day, in a cycle that fetched videos to pick from."""
    if not fetched_videos:
        return 0
    today = day_start(cycle)
    if any(s.sentiment is not None and s.cycle >= today for s in history):
        return 0
    return policy.comments_for(kind)


def history_window(cycle: datetime) -> tuple[datetime, datetime]:
    """The span of past snapshots the worker reads: enough for 24 h rules and the policy."""
    return cycle - timedelta(hours=30), cycle - timedelta(seconds=1)
