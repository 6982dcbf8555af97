"""The figures of the CLI's read-only views (status, history, alerts, creators), pure:
snapshots, alert records and ledger entries in, rows out, with time passed in.

Growth comes from the rules' own window code (the viral rule's 6 h, the daily rules' 24 h)
and the day-over-day label from rules.day_over_day, so the CLI never disagrees with an alert
or a report about the same readings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from hashtag_tracker.clock import from_iso, to_iso
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.rules.alert import RULE_LABELS, AlertRule
from hashtag_tracker.rules.day_over_day import DayOverDay, day_over_day
from hashtag_tracker.rules.growth import (
    DAY_TOLERANCE,
    DAY_WINDOW,
    VIRAL_TOLERANCE,
    VIRAL_WINDOW,
    CounterGrowth,
    WindowGrowth,
    window_growth,
)

# What `status` reads per hashtag: the day-over-day label needs the readings nearest 24 h and
# 48 h before the last one (each within DAY_TOLERANCE), so 48 h + 6 h, rounded up to 3 days.
STATUS_LOOKBACK = timedelta(days=3)
SPARK_BARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 60
_DURATION = re.compile(r"(\d{1,6})\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class SinceError(ValueError):
    """A --since value that names no time; the message says what is accepted."""


def parse_since(text: str, now: datetime) -> datetime:
    """`--since`: a span back from now (30m, 6h, 7d, 2w) or a UTC date or time
    (2026-11-20, 2026-11-20T06:00:00Z); never in the future."""
    raw = text.strip()
    match = _DURATION.fullmatch(raw.lower())
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        try:
            return now - timedelta(**{unit: amount})
        except OverflowError:
            raise SinceError(f"{text!r} reaches before year 1") from None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            when = datetime.combine(datetime.fromisoformat(raw).date(), time(), UTC)
        else:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
            when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
            when = when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise SinceError(
            f"{text!r} is neither a span back from now (30m, 6h, 7d, 2w) nor a date or time "
            "(2026-11-20, 2026-11-20T06:00:00Z)"
        ) from None
    if when > now:
        raise SinceError(f"{text!r} is after now ({to_iso(now)})")
    return when


# -- numbers ------------------------------------------------------------------------------


def compact(value: float | None) -> str:
    """1234 -> 1.2k, 5600000 -> 5.6M; '-' for unknown (never 0)."""
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    size = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            shown = f"{size / limit:.1f}".removesuffix(".0")
            return f"{sign}{shown}{suffix}"
    return f"{sign}{size:.0f}" if float(size).is_integer() else f"{sign}{size:.1f}"


def span(hours: float | None) -> str:
    """An age or interval: 45m, 5.5h, 3.2d."""
    if hours is None:
        return "-"
    if hours < 1:
        return f"{max(0, round(hours * 60))}m"
    if hours < 48:
        return f"{hours:.1f}h".replace(".0h", "h")
    return f"{hours / 24:.1f}d".replace(".0d", "d")


def sparkline(values: Sequence[int | None], width: int = SPARK_WIDTH) -> str:
    """A one-line chart of `values` in block characters, at most `width` wide (the last
    value of each bucket when there are more); an unknown value is a gap, never a floor."""
    if not values:
        return ""
    if len(values) > width:
        step = len(values) / width
        values = [values[min(len(values) - 1, math.ceil((i + 1) * step) - 1)] for i in range(width)]
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    top = len(SPARK_BARS) - 1
    line = []
    for value in values:
        if value is None:
            line.append(" ")
        elif high == low:
            line.append(SPARK_BARS[top // 2])
        else:
            line.append(SPARK_BARS[round((value - low) / (high - low) * top)])
    return "".join(line)


# -- status -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Growth:
    """One window's growth of both counters (from rules.growth.window_growth)."""

    hours: float
    views: int
    views_per_hour: float
    views_pct: float | None
    videos: int
    videos_per_hour: float
    videos_pct: float | None

    @classmethod
    def of(cls, window: WindowGrowth) -> Growth:
        def parts(counter: CounterGrowth) -> tuple[int, float, float | None]:
            return counter.rise, counter.per_hour, counter.pct

        views, videos = parts(window.views), parts(window.videos)
        return cls(window.hours, *views, *videos)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hours": round(self.hours, 2),
            "views": self.views,
            "views_per_hour": round(self.views_per_hour, 1),
            "views_pct": None if self.views_pct is None else round(self.views_pct, 2),
            "videos": self.videos,
            "videos_per_hour": round(self.videos_per_hour, 2),
            "videos_pct": None if self.videos_pct is None else round(self.videos_pct, 2),
        }


@dataclass(frozen=True)
class AlertRow:
    """One alert delivery record as the CLI shows it: the alert's title as sent."""

    key: str
    hashtag: str
    rule: str
    window: str
    at: datetime
    status: str
    outcome: str | None
    published_at: datetime | None
    # As sent (records of this release keep them); None for older records.
    sent_title: str | None = None
    summary: str | None = None

    @property
    def title(self) -> str:
        """The alert's title as sent; for an older record that did not keep it, rebuilt as
        `rules.alert.Alert.title` makes it."""
        if self.sent_title:
            return self.sent_title
        try:
            label = RULE_LABELS[AlertRule(self.rule)]
        except ValueError:
            label = self.rule
        prefix = "Escalated: " if self.outcome == "escalation" else ""
        return f"{prefix}{label} on #{self.hashtag}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": to_iso(self.at),
            "hashtag": self.hashtag,
            "rule": self.rule,
            "window": self.window,
            "title": self.title,
            "summary": self.summary,
            "status": self.status,
            "published_at": to_iso(self.published_at) if self.published_at else None,
            "key": self.key,
        }


def _time(value: Any) -> datetime | None:
    try:
        return from_iso(str(value)) if value else None
    except ValueError:
        return None


def alert_row(record: Mapping[str, Any]) -> AlertRow | None:
    """The row of one stored alert record; None for a record whose key or time is unreadable."""
    parts = str(record.get("key", "")).split("#", 2)
    at = _time(record.get("at")) or _time(record.get("claimed_at"))
    if len(parts) != 3 or at is None:
        return None
    hashtag, rule, window = parts
    outcome = record.get("outcome")
    return AlertRow(
        key=str(record["key"]),
        hashtag=hashtag,
        rule=rule,
        window=window,
        at=at,
        status=str(record.get("status", "")),
        outcome=str(outcome) if outcome is not None else None,
        published_at=_time(record.get("published_at")),
        sent_title=str(record["title"]) if record.get("title") else None,
        summary=str(record["summary"]) if record.get("summary") else None,
    )


def alert_rows(records: Iterable[Mapping[str, Any]]) -> list[AlertRow]:
    """Readable records, newest first."""
    rows = [row for row in map(alert_row, records) if row is not None]
    return sorted(rows, key=lambda r: (r.at, r.key), reverse=True)


@dataclass(frozen=True)
class PlanShown:
    interval_hours: float
    next_due: datetime
    reason: str

    @classmethod
    def of(cls, entry: PlanEntry | None) -> PlanShown | None:
        if entry is None:
            return None
        return cls(float(entry.interval_hours), entry.next_due, str(entry.reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "interval_hours": self.interval_hours,
            "next_due": to_iso(self.next_due),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TagStatus:
    hashtag: str
    kind: str
    active: bool
    last: Snapshot | None
    age_hours: float | None
    growth_6h: Growth | None
    growth_24h: Growth | None
    day: DayOverDay | None
    last_alert: AlertRow | None
    plan: PlanShown | None
    missing_today: int
    suspect_today: int

    def as_dict(self) -> dict[str, Any]:
        last = self.last
        return {
            "hashtag": self.hashtag,
            "kind": self.kind,
            "active": self.active,
            "last_reading": None
            if last is None
            else {
                "cycle": to_iso(last.cycle),
                "taken_at": to_iso(last.taken_at),
                "views": last.views,
                "videos": last.videos,
                "age_hours": None if self.age_hours is None else round(self.age_hours, 2),
            },
            "growth_6h": self.growth_6h.as_dict() if self.growth_6h else None,
            "growth_24h": self.growth_24h.as_dict() if self.growth_24h else None,
            "day_over_day": None
            if self.day is None
            else {
                "label": self.day.label.value,
                "views_today": self.day.today,
                "views_yesterday": self.day.yesterday,
            },
            "last_alert": self.last_alert.as_dict() if self.last_alert else None,
            "plan": self.plan.as_dict() if self.plan else None,
            "missing_today": self.missing_today,
            "suspect_today": self.suspect_today,
        }


def _newest_usable(snapshots: Iterable[Snapshot], now: datetime) -> Snapshot | None:
    usable = [s for s in snapshots if s.usable and s.cycle <= now]
    return max(usable, key=lambda s: s.cycle) if usable else None


def tag_status(
    hashtag: TrackedHashtag,
    recent: Sequence[Snapshot],
    alerts: Iterable[Mapping[str, Any]],
    plan: PlanEntry | None,
    now: datetime,
    older: Sequence[Snapshot] = (),
) -> TagStatus:
    """One row of `status`: `recent` are the readings since now − STATUS_LOOKBACK, `older`
    (read only when there are none) the newest before that."""
    last = _newest_usable(recent, now) or _newest_usable(older, now)
    growth_6h = growth_24h = None
    if last is not None:
        six = window_growth(last, recent, VIRAL_WINDOW, VIRAL_TOLERANCE)
        day = window_growth(last, recent, DAY_WINDOW, DAY_TOLERANCE)
        growth_6h = Growth.of(six) if six else None
        growth_24h = Growth.of(day) if day else None
    midnight = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    today = [s for s in recent if midnight <= s.cycle <= now]
    rows = alert_rows(alerts)
    return TagStatus(
        hashtag=hashtag.hashtag,
        kind=str(hashtag.kind),
        active=hashtag.active,
        last=last,
        age_hours=None if last is None else (now - last.taken_at).total_seconds() / 3600,
        growth_6h=growth_6h,
        growth_24h=growth_24h,
        day=day_over_day(recent, now),
        last_alert=rows[0] if rows else None,
        plan=PlanShown.of(plan),
        missing_today=sum(s.status is SnapshotStatus.MISSING for s in today),
        suspect_today=sum(s.status is SnapshotStatus.SUSPECT for s in today),
    )


# -- history ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    cycle: datetime
    taken_at: datetime
    status: str
    views: int | None
    videos: int | None
    # Against the previous usable reading; None for the first and for unusable readings.
    views_delta: int | None
    videos_delta: int | None
    reason: str | None
    credits: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycle": to_iso(self.cycle),
            "taken_at": to_iso(self.taken_at),
            "status": self.status,
            "views": self.views,
            "videos": self.videos,
            "views_delta": self.views_delta,
            "videos_delta": self.videos_delta,
            "reason": self.reason,
            "credits": self.credits,
        }


def history_rows(snapshots: Sequence[Snapshot]) -> list[HistoryRow]:
    """The time series oldest first, each usable reading with its change since the last."""
    rows: list[HistoryRow] = []
    previous: Snapshot | None = None
    for snapshot in sorted(snapshots, key=lambda s: s.cycle):
        views_delta = videos_delta = None
        if snapshot.usable and previous is not None:
            assert snapshot.views is not None and previous.views is not None
            assert snapshot.videos is not None and previous.videos is not None
            views_delta = snapshot.views - previous.views
            videos_delta = snapshot.videos - previous.videos
        rows.append(
            HistoryRow(
                cycle=snapshot.cycle,
                taken_at=snapshot.taken_at,
                status=snapshot.status.value,
                views=snapshot.views if snapshot.usable else None,
                videos=snapshot.videos if snapshot.usable else None,
                views_delta=views_delta,
                videos_delta=videos_delta,
                reason=snapshot.reason,
                credits=snapshot.credits,
            )
        )
        if snapshot.usable:
            previous = snapshot
    return rows


# -- creators -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatorRow:
    author_id: str
    nickname: str | None
    videos: int
    plays: int
    first_seen: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "author_id": self.author_id,
            "nickname": self.nickname,
            "videos": self.videos,
            "plays": self.plays,
            "first_seen": to_iso(self.first_seen) if self.first_seen else None,
        }


@dataclass(frozen=True)
class LedgerView:
    hashtag: str
    videos_seen: int
    creators_seen: int
    # The tag's own video count (its newest usable reading); None before any.
    video_count: int | None
    creators: tuple[CreatorRow, ...]

    @property
    def coverage_pct(self) -> float | None:
        """Videos in the ledger against the tag's video count (the API's list is a sample)."""
        if not self.video_count:
            return None
        return 100.0 * self.videos_seen / self.video_count

    def by_videos(self, top: int) -> list[CreatorRow]:
        return sorted(self.creators, key=lambda c: (-c.videos, -c.plays, c.author_id))[:top]

    def by_plays(self, top: int) -> list[CreatorRow]:
        return sorted(self.creators, key=lambda c: (-c.plays, -c.videos, c.author_id))[:top]

    def as_dict(self, top: int) -> dict[str, Any]:
        coverage = self.coverage_pct
        return {
            "hashtag": self.hashtag,
            "videos_seen": self.videos_seen,
            "creators_seen": self.creators_seen,
            "video_count": self.video_count,
            "coverage_pct": None if coverage is None else round(coverage, 2),
            "by_videos": [c.as_dict() for c in self.by_videos(top)],
            "by_plays": [c.as_dict() for c in self.by_plays(top)],
        }


def ledger_view(
    hashtag: str,
    entries: Iterable[LedgerVideo | LedgerCreator],
    video_count: int | None,
) -> LedgerView:
    """The ledger's creators with their videos and plays (the plays each video had when last
    seen), and its coverage of the tag."""
    entries = list(entries)
    videos = [e for e in entries if isinstance(e, LedgerVideo)]
    creators = {e.author_id: e for e in entries if isinstance(e, LedgerCreator)}
    counts: dict[str, int] = {}
    plays: dict[str, int] = {}
    earliest: dict[str, datetime] = {}
    for video in videos:
        author = video.author_id
        counts[author] = counts.get(author, 0) + 1
        plays[author] = plays.get(author, 0) + video.plays
        if author not in earliest or video.first_seen < earliest[author]:
            earliest[author] = video.first_seen
    rows = []
    for author in sorted(set(counts) | set(creators)):
        creator = creators.get(author)
        rows.append(
            CreatorRow(
                author_id=author,
                nickname=creator.nickname if creator else None,
                videos=counts.get(author, 0),
                plays=plays.get(author, 0),
                first_seen=creator.first_seen if creator else earliest.get(author),
            )
        )
    return LedgerView(
        hashtag=hashtag,
        videos_seen=len({v.video_id for v in videos}),
        creators_seen=len(rows),
        video_count=video_count,
        creators=tuple(rows),
    )
