"""Per-hashtag rows: week-over-week deltas with irregular/missing snapshots, pace and
direction, ranking by each key, share of voice, ledger counts, sample metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.report.compute import (
    HashtagInputs,
    build_report,
    hashtag_report,
    pace_mark,
    rank,
    share_of_voice,
    value_at,
)
from hashtag_tracker.report.model import AnomalyKind, Direction, HashtagReport, Pace
from tests.unit.report.fakes import missing, ok, tracked

AS_OF = datetime(2026, 11, 23, 9, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def row_for(snapshots: list[Snapshot], name: str = "tag", **kw: object) -> HashtagReport:
    inputs = HashtagInputs(
        tracked=tracked(name, str(kw.get("kind", "trend")), kw.get("campaign")),  # type: ignore[arg-type]
        snapshots=snapshots,
        new_videos=kw.get("videos", []),  # type: ignore[arg-type]
        new_creators=kw.get("creators", []),  # type: ignore[arg-type]
        totals_now=kw.get("totals", (0, 0)),  # type: ignore[arg-type]
    )
    return hashtag_report(inputs, AS_OF)


def weekly(name: str, growths: list[int], start_views: int = 1_000_000) -> list[Snapshot]:
    """One snapshot at each weekly boundary (06:00 before the 09:00 report), oldest first."""
    boundary = AS_OF - 3 * HOUR - len(growths) * 7 * DAY
    views = start_views
    found = [ok(name, boundary, views, 100)]
    for i, growth in enumerate(growths, start=1):
        views += growth
        found.append(ok(name, boundary + i * 7 * DAY, views, 100 + i * 10))
    return found


def test_week_over_week_uses_the_nearest_usable_snapshot_at_or_before_each_end() -> None:
    # Given irregular snapshots: the week-ago one at 05:00 (not on a 6-hour grid), a suspect
    # zero and a missing cycle right before the report
    week_ago = AS_OF - 7 * DAY
    snaps = [
        ok("tag", week_ago - 4 * HOUR, 1_000_000, 500),
        ok("tag", week_ago + 3 * HOUR, 1_100_000, 510),  # after the boundary: not the base
        ok("tag", AS_OF - 9 * HOUR, 1_500_000, 600),
        Snapshot(
            hashtag="tag",
            cycle=AS_OF - 3 * HOUR,
            taken_at=AS_OF - 3 * HOUR,
            status=SnapshotStatus.SUSPECT,
            views=0,
            videos=0,
            reason="zero_after_nonzero",
        ),
        missing("tag", AS_OF - 2 * HOUR),
    ]
    # When the row is computed
    row = row_for(snaps)
    # Then 'now' is the last usable snapshot and 'a week ago' the one at or before its start
    assert (row.views_now, row.views_week_ago) == (1_500_000, 1_000_000)
    assert (row.views_wow, row.views_wow_pct) == (500_000, 50.0)
    assert (row.videos_wow, row.videos_wow_pct) == (100, 20.0)
    # and the missing and suspect cycles are counted, never used as numbers
    assert (row.missing_cycles_week, row.suspect_cycles_week) == (1, 1)
    # and the 7-day velocity uses the real elapsed hours between the two snapshots
    hours = (7 * 24) - 9 + 4
    assert row.summary_7d.views_per_hour == round(500_000 / hours, 3)


def test_no_snapshot_within_the_tolerance_gives_unknown_growth_not_zero() -> None:
    # Given the only earlier snapshot is two days before the week's start
    snaps = [
        ok("tag", AS_OF - 9 * DAY, 1_000_000, 500),
        ok("tag", AS_OF - 3 * HOUR, 1_500_000, 600),
    ]
    row = row_for(snaps)
    # Then the week-over-week growth is unknown, the row unranked, no anomaly invented
    assert row.views_week_ago is None
    assert row.views_wow is None and row.views_wow_pct is None
    assert row.growth_pace is Pace.NEW and row.growth_vs_usual is None
    assert row.views_direction is Direction.UNKNOWN
    assert not row.anomaly.flagged
    assert rank([row])[0].rank is None


def test_tolerance_lookup_picks_the_newest_usable_in_range() -> None:
    snaps = [ok("t", AS_OF - 30 * HOUR, 1, 1), ok("t", AS_OF - 20 * HOUR, 2, 2)]
    assert value_at(snaps, AS_OF, 24 * HOUR) is snaps[1]
    assert value_at(snaps, AS_OF - 21 * HOUR, 24 * HOUR) is snaps[0]
    assert value_at(snaps, AS_OF - 25 * HOUR, 2 * HOUR) is None


def test_the_current_weeks_spike_is_flagged_and_the_growth_is_accelerating() -> None:
    # Given six ordinary weeks and a week with five times the usual views growth
    row = row_for(weekly("tag", [100_000, 110_000, 95_000, 105_000, 100_000, 98_000, 500_000]))
    # Then
    assert row.anomaly.kind is AnomalyKind.SPIKE
    assert row.anomaly.kind.value == "growth_spike"
    assert row.anomaly.metric == "views"
    # against the median of the six other weeks (100,000)
    assert row.anomaly.ratio == 5.0
    assert row.growth_pace is Pace.ACCELERATING
    assert row.views_direction is Direction.RISING
    # the 4-week average is of the four weeks before this one
    assert row.views_growth_avg_4w == (95_000 + 105_000 + 100_000 + 98_000) / 4
    assert row.growth_vs_usual == round(500_000 / 99_500, 3)
    assert [w.views_growth for w in row.weeks][-7:] == [
        100_000, 110_000, 95_000, 105_000, 100_000, 98_000, 500_000,
    ]  # fmt: skip


def test_pace_marks_have_a_band_around_the_average() -> None:
    assert pace_mark(116, [100, 100]) == (Pace.ACCELERATING, 100.0, 1.16)
    assert pace_mark(114, [100, 100]) == (Pace.STEADY, 100.0, 1.14)
    assert pace_mark(84, [100, 100]) == (Pace.SLOWING, 100.0, 0.84)
    assert pace_mark(100, []) == (Pace.NEW, None, None)
    # growth from none: accelerating, with no ratio to divide by
    assert pace_mark(5, [0, 0]) == (Pace.ACCELERATING, 0.0, None)
    # only the last four earlier weeks count
    assert pace_mark(100, [1_000, 100, 100, 100, 100]) == (Pace.STEADY, 100.0, 1.0)


def test_ranking_is_by_views_growth_percent_with_unknown_last() -> None:
    rows = [
        row_for(weekly("slow", [10_000]), "slow"),  # +1 %
        row_for(weekly("fast", [500_000]), "fast"),  # +50 %
        row_for([ok("gone", AS_OF - 3 * HOUR, 5, 5)], "gone"),  # no week-ago value
        row_for(weekly("mid", [100_000]), "mid"),  # +10 %
    ]
    ranked = rank(rows)
    assert [(r.hashtag, r.rank) for r in ranked] == [
        ("fast", 1),
        ("mid", 2),
        ("slow", 3),
        ("gone", None),
    ]


def test_share_of_voice_is_each_tags_part_of_its_groups_views_growth() -> None:
    # Given a campaign with two competitors and an unrelated trend tag
    rows = [
        row_for(weekly("brand", [100_000, 300_000]), "brand", kind="campaign", campaign="X"),
        row_for(weekly("rival", [100_000, 100_000]), "rival", kind="competitor", campaign="X"),
        row_for(weekly("shrink", [0, -50_000]), "shrink", kind="competitor", campaign="X"),
        row_for(weekly("trend", [900_000, 900_000]), "trend", kind="trend", campaign="X"),
    ]
    # When share of voice is computed
    [group] = share_of_voice(rows)
    shares = {m.hashtag: (m.share, m.previous_share) for m in group.members}
    # Then trend tags are left out, a shrinking tag takes no voice, shares add up to 1
    assert group.campaign == "X"
    assert shares == {"brand": (0.75, 0.5), "rival": (0.25, 0.5), "shrink": (0.0, 0.0)}
    assert group.campaign_share == 0.75
    assert group.total_views_growth == 400_000
    assert group.members[0].hashtag == "brand"  # the campaign's own tag first


def test_ledger_counts_new_submissions_and_cumulative_totals_as_of_the_report() -> None:
    def video(vid: str, author: str, seen: datetime, plays: int) -> LedgerVideo:
        return LedgerVideo(
            hashtag="tag", video_id=vid, author_id=author, first_seen=seen, last_seen=seen,
            plays=plays, likes=plays // 10, comments=0, shares=plays // 100,
        )  # fmt: skip

    videos = [
        video("old", "a", AS_OF - 20 * DAY, 9_000),
        video("v1", "a", AS_OF - 2 * DAY, 1_000),
        video("v2", "b", AS_OF - 1 * DAY, 5_000),
        video("v3", "a", AS_OF - 3 * DAY, 3_000),
        video("later", "c", AS_OF + 2 * DAY, 99_999),  # seen after the report's week
    ]
    creators = [
        LedgerCreator(hashtag="tag", author_id="b", nickname="Bee", first_seen=AS_OF - DAY,
                      last_seen=AS_OF - DAY),
        LedgerCreator(hashtag="tag", author_id="c", first_seen=AS_OF + DAY, last_seen=AS_OF + DAY),
    ]  # fmt: skip
    row = row_for(weekly("tag", [1]), videos=videos, creators=creators, totals=(120, 30))
    assert (row.new_videos_week, row.new_creators_week) == (3, 1)
    # totals are 'now'; what was first seen after as_of is taken off
    assert (row.videos_total, row.creators_total) == (119, 29)
    assert row.summary_30d.new_videos == 4
    assert [v.video_id for v in row.top_videos] == ["v2", "v3", "v1"]
    assert [(c.author_id, c.videos, c.plays) for c in row.top_creators] == [
        ("b", 1, 5_000),
        ("a", 2, 4_000),
    ]
    assert row.top_creators[0].nickname == "Bee"


def test_report_totals_credits_and_counts_30_day_growth() -> None:
    snaps = [
        ok("tag", AS_OF - 30 * DAY - 3 * HOUR, 1_000, 10, credits=3),
        ok("tag", AS_OF - 7 * DAY - 3 * HOUR, 2_000, 20, credits=2),
        ok("tag", AS_OF - 3 * HOUR, 4_000, 40, credits=2),
    ]
    report = build_report(AS_OF, AS_OF, [row_for(snaps)])
    row = report.hashtags[0]
    assert (row.summary_30d.views_delta, row.summary_30d.views_pct) == (3_000, 300.0)
    # the 30-day window starts after its base snapshot: its credits are not counted
    assert (row.credits_week, row.credits_30d) == (2, 4)
    assert (report.credits_week, report.credits_week_usd) == (2, 0.01)
