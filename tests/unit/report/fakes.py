"""In-memory ReportSources, report sinks, and snapshot series drawn from the simulator world."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from hashtag_tracker.models.codec import replace
from hashtag_tracker.models.hashtag import HashtagKind, InvalidItem, TrackedHashtag
from hashtag_tracker.models.report_files import ReportFile, WrittenReport
from hashtag_tracker.models.snapshot import (
    SentimentShares,
    Snapshot,
    SnapshotStatus,
    VideoSampleStats,
)
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.storage.errors import StorageError
from hashtag_tracker_tools.simulator.world import World

SIX_HOURS = timedelta(hours=6)


def ok(hashtag: str, cycle: datetime, views: int, videos: int, credits: int = 1) -> Snapshot:
    return Snapshot(
        hashtag=hashtag,
        cycle=cycle,
        taken_at=cycle + timedelta(minutes=2),
        views=views,
        videos=videos,
        credits=credits,
    )


def missing(hashtag: str, cycle: datetime) -> Snapshot:
    return Snapshot(
        hashtag=hashtag,
        cycle=cycle,
        taken_at=cycle + timedelta(minutes=2),
        status=SnapshotStatus.MISSING,
        reason="http_500",
    )


def tracked(name: str, kind: str = "trend", campaign: str | None = None) -> TrackedHashtag:
    return TrackedHashtag(hashtag=name, kind=HashtagKind(kind), campaign=campaign)


class FakeSources:
    """ReportSources in memory; counts reads per hashtag and can fail one hashtag."""

    def __init__(self) -> None:
        self.balances: dict[str, tuple[int, str]] = {}
        self.items: list[TrackedHashtag | InvalidItem] = []
        self.snaps: dict[str, list[Snapshot]] = {}
        self.videos: dict[str, list[LedgerVideo]] = {}
        self.creators: dict[str, list[LedgerCreator]] = {}
        self.failing: set[str] = set()
        self.reads: list[tuple[str, str]] = []

    def add(self, item: TrackedHashtag, snapshots: Sequence[Snapshot] = ()) -> None:
        self.items.append(item)
        self.snaps.setdefault(item.hashtag, []).extend(snapshots)

    def tracked(self) -> Iterable[TrackedHashtag | InvalidItem]:
        return list(self.items)

    def snapshots(self, hashtag: str, since: datetime, until: datetime) -> list[Snapshot]:
        self.reads.append(("snapshots", hashtag))
        if hashtag in self.failing:
            raise StorageError(f"querying snapshots of {hashtag!r} failed: throttled")
        found = [s for s in self.snaps.get(hashtag, []) if since <= s.cycle <= until]
        return sorted(found, key=lambda s: s.cycle)

    def first_seen_since(
        self, hashtag: str, since: datetime
    ) -> tuple[list[LedgerVideo], list[LedgerCreator]]:
        self.reads.append(("ledger", hashtag))
        return (
            [v for v in self.videos.get(hashtag, []) if v.first_seen >= since],
            [c for c in self.creators.get(hashtag, []) if c.first_seen >= since],
        )

    def ledger_totals(self, hashtag: str) -> tuple[int, int]:
        self.reads.append(("totals", hashtag))
        return len(self.videos.get(hashtag, [])), len(self.creators.get(hashtag, []))

    def account_balance(self, month: str) -> tuple[int, str] | None:
        return self.balances.get(month)


class MemorySink:
    def __init__(self) -> None:
        self.files: dict[str, dict[str, ReportFile]] = {}

    def write(self, day: str, files: Sequence[ReportFile]) -> WrittenReport:
        self.files[day] = {f.name: f for f in files}
        return WrittenReport(
            locations={f.name: f"mem://{day}/{f.name}" for f in files},
            html_link=f"https://example.invalid/{day}/report.html",
        )


class MemoryPublisher:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def publish_summary(self, subject: str, message: str) -> None:
        self.messages.append((subject, message))


def world_snapshots(
    world: World, name: str, start: datetime, end: datetime, every: timedelta = SIX_HOURS
) -> list[Snapshot]:
    """A snapshot per cycle with the world's exact counters and its comment mix."""
    profile = world.profile(name)
    neutral = max(0.0, 1 - profile.positive_share - profile.negative_share)
    sentiment = SentimentShares(
        positive=profile.positive_share,
        neutral=round(neutral, 4),
        negative=profile.negative_share,
        scored=50,
    )
    found: list[Snapshot] = []
    cycle = start
    while cycle <= end:
        views, videos = world.stats(name, cycle)
        daily = cycle.hour == 0
        sample = None
        if daily:
            page, _ = world.newest_videos(name, cycle, 0, 30, 1_000)
            rates = sorted((v.likes + v.comments + v.shares) / v.plays for v in page if v.plays)
            sample = VideoSampleStats(
                size=len(page),
                plays=sum(v.plays for v in page),
                likes=sum(v.likes for v in page),
                comments=sum(v.comments for v in page),
                shares=sum(v.shares for v in page),
                engagement_mean=sum(rates) / len(rates) if rates else None,
                engagement_median=rates[len(rates) // 2] if rates else None,
                shares_per_video=sum(v.shares for v in page) / len(page) if page else None,
                unique_creators=len({v.creator.unique_id for v in page}),
            )
        found.append(
            replace(
                ok(name, cycle, views, videos, credits=2 if daily else 1),
                sentiment=sentiment if daily else None,
                sample=sample,
            )
        )
        cycle += every
    return found


def world_ledger(
    world: World, name: str, start: datetime, end: datetime
) -> tuple[list[LedgerVideo], list[LedgerCreator]]:
    """The ledger a daily page of the 30 newest videos builds: first-seen times included."""
    videos: dict[str, LedgerVideo] = {}
    creators: dict[str, LedgerCreator] = {}
    day = start
    while day <= end:
        page, _ = world.newest_videos(name, day, 0, 30, 1_000)
        for v in page:
            first = videos[v.video_id].first_seen if v.video_id in videos else day
            videos[v.video_id] = LedgerVideo(
                hashtag=name,
                video_id=v.video_id,
                author_id=v.creator.unique_id,
                created_at=v.created_at,
                first_seen=first,
                last_seen=day,
                plays=v.plays,
                likes=v.likes,
                comments=v.comments,
                shares=v.shares,
            )
            if v.creator.unique_id not in creators:
                creators[v.creator.unique_id] = LedgerCreator(
                    hashtag=name,
                    author_id=v.creator.unique_id,
                    nickname=v.creator.nickname,
                    first_seen=day,
                    last_seen=day,
                )
        day += timedelta(days=1)
    return list(videos.values()), list(creators.values())


class MemoryMarks:
    """ReportMarks in memory (the State table's report records)."""

    def __init__(self) -> None:
        self.days: dict[str, str] = {}
        self.summaries: set[str] = set()

    def claim_report_day(self, day: str, window: str, now: datetime, ttl: timedelta) -> bool:
        return self.days.setdefault(day, window) == window

    def mark_report_summary(self, window: str, now: datetime, ttl: timedelta) -> bool:
        if window in self.summaries:
            return False
        self.summaries.add(window)
        return True

    def unmark_report_summary(self, window: str) -> None:
        self.summaries.discard(window)
