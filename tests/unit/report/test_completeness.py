"""Issue 18 (part 3): the report against the tutorials. Values on a known sample (engagement
mean, median and pooled, reach, shares per video, unique creators, ledger coverage), ranking
by each key, top videos and creators both ways with followers, sentiment per day, and words
that say what moved."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from hashtag_tracker.collection.sample import sample_stats
from hashtag_tracker.models.codec import replace
from hashtag_tracker.models.snapshot import SentimentShares, Snapshot, VideoSampleStats
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.report.compute import (
    HashtagInputs,
    build_report,
    hashtag_report,
    rank,
    sentiment_days,
)
from hashtag_tracker.report.html import report_html
from hashtag_tracker.report.model import AnomalyKind, Direction, HashtagReport, Pace, RankBy
from hashtag_tracker.report.render import CSV_COLUMNS, anomaly_words, pace_words, report_csv
from hashtag_tracker.report.run import (
    ReportEventError,
    make_report,
    rank_by_from_event,
    summary_text,
)
from tests.unit.report.fakes import FakeSources, MemoryPublisher, MemorySink, ok, tracked

AS_OF = datetime(2026, 11, 23, 9, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WEEK = 7 * DAY


def video(
    vid: str,
    author: str,
    plays: int,
    likes: int,
    comments: int,
    shares: int,
    seen: datetime = AS_OF - 2 * DAY,
    description: str | None = None,
) -> LedgerVideo:
    return LedgerVideo(
        hashtag="tag", video_id=vid, author_id=author, first_seen=seen, last_seen=seen,
        plays=plays, likes=likes, comments=comments, shares=shares, description=description,
    )  # fmt: skip


def creator(
    author: str, nickname: str | None = None, followers: int | None = None
) -> LedgerCreator:
    seen = AS_OF - 2 * DAY
    return LedgerCreator(
        hashtag="tag", author_id=author, nickname=nickname, followers=followers,
        first_seen=seen, last_seen=seen,
    )  # fmt: skip


def weekly(name: str, growths: list[int], start_views: int, videos: int = 100) -> list[Snapshot]:
    """A snapshot at each weekly boundary (06:00 before the 09:00 report), oldest first; the
    videos count grows by 10 a week."""
    boundary = AS_OF - 3 * HOUR - len(growths) * WEEK
    views = start_views
    found = [ok(name, boundary, views, videos)]
    for i, growth in enumerate(growths, start=1):
        views += growth
        found.append(ok(name, boundary + i * WEEK, views, videos + 10 * i))
    return found


def with_sample(snapshots: list[Snapshot], sample: VideoSampleStats) -> list[Snapshot]:
    """The latest snapshot carries the week's video sample."""
    return [*snapshots[:-1], replace(snapshots[-1], sample=sample)]


def row_for(
    name: str,
    snapshots: list[Snapshot],
    videos: list[LedgerVideo] | None = None,
    creators: list[LedgerCreator] | None = None,
    totals: tuple[int, int] = (0, 0),
) -> HashtagReport:
    inputs = HashtagInputs(tracked(name), snapshots, videos or [], creators or [], totals)
    return hashtag_report(inputs, AS_OF)


# The known sample: four videos, one without plays (no rate of its own).
SAMPLE = [
    video("s1", "a", plays=1_000, likes=100, comments=20, shares=30),  # rate 0.15
    video("s2", "b", plays=4_000, likes=100, comments=50, shares=50),  # rate 0.05
    video("s3", "a", plays=0, likes=5, comments=0, shares=0),  # no rate
    video("s4", "c", plays=5_000, likes=900, comments=50, shares=50),  # rate 0.20
]


def test_sample_metrics_are_the_values_of_the_known_sample() -> None:
    # Given the worker's own aggregate of the known sample on the week's latest snapshot, and
    # a ledger that has seen 50 of the tag's videos, 3 of them this week
    snaps = with_sample(weekly("tag", [100_000], 1_000_000), sample_stats(SAMPLE))
    week = [video(f"w{i}", "a", 10, 1, 0, 0) for i in range(3)]

    # When the row is computed
    row = row_for("tag", snaps, videos=week, totals=(50, 20))

    # Then engagement is per video (mean, median of 0.15, 0.05, 0.20) and pooled
    assert row.engagement_mean == pytest.approx((0.15 + 0.05 + 0.20) / 3)
    assert row.engagement_median == pytest.approx(0.15)
    # pooled: (105 + 900 likes ... ) all likes+comments+shares over all plays = 1,355 / 10,000
    assert row.engagement_pooled == pytest.approx(1_355 / 10_000)
    # and reach, totals, shares per video and unique creators are the sample's
    assert row.reach == 10_000
    assert (row.sample_videos, row.sample_likes, row.sample_comments, row.sample_shares) == (
        4,
        1_105,
        120,
        130,
    )
    assert row.shares_per_video == pytest.approx(130 / 4)
    assert row.unique_creators == 3
    # and coverage: 50 videos seen of the tag's 110; 3 new ones of the 10 the tag gained
    assert row.videos_now == 110 and row.videos_wow == 10
    assert row.ledger_coverage == round(50 / 110, 4)
    assert row.new_videos_coverage == 0.3


def test_without_a_sample_or_a_count_nothing_is_made_up() -> None:
    # Given no video sample this week and no usable videos count
    row = row_for("tag", [ok("tag", AS_OF - 3 * HOUR, 1_000, 0)], totals=(5, 2))
    # Then the sample metrics and the coverage are unknown, never 0
    assert row.engagement_pooled is None and row.reach is None and row.sample_likes is None
    assert row.ledger_coverage is None and row.new_videos_coverage is None
    [line] = csv.DictReader(io.StringIO(report_csv(build_report(AS_OF, AS_OF, [row]))))
    for column in ("engagement_pooled", "sample_likes", "ledger_coverage", "growth_vs_usual"):
        assert line[column] == "", column


def _ranking_rows() -> list[HashtagReport]:
    def sample(pooled_likes: int, median: float) -> VideoSampleStats:
        return VideoSampleStats(
            size=1, plays=1_000, likes=pooled_likes, comments=0, shares=0,
            engagement_mean=median, engagement_median=median,
        )  # fmt: skip

    return [
        # +50 % growth, 1.5M views, 2 % engagement
        row_for("a", with_sample(weekly("a", [500_000], 1_000_000), sample(20, 0.02))),
        # +10 %, 11M views, 10 %
        row_for("b", with_sample(weekly("b", [1_000_000], 10_000_000), sample(100, 0.1))),
        # +30 %, 130k views, 5 %
        row_for("c", with_sample(weekly("c", [30_000], 100_000), sample(50, 0.05))),
        # no week-ago value and no sample, 5M views
        row_for("d", [ok("d", AS_OF - 3 * HOUR, 5_000_000, 10)]),
    ]


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (RankBy.GROWTH, [("a", 1), ("c", 2), ("b", 3), ("d", None)]),
        (RankBy.ENGAGEMENT, [("b", 1), ("c", 2), ("a", 3), ("d", None)]),
        (RankBy.VIEWS, [("b", 1), ("d", 2), ("a", 3), ("c", 4)]),
    ],
)
def test_ranking_by_each_key(by: RankBy, expected: list[tuple[str, int | None]]) -> None:
    # When the same rows are ranked by each key
    ranked = rank(_ranking_rows(), by)
    # Then the order follows that key; a row without its value comes last, unranked
    assert [(r.hashtag, r.rank) for r in ranked] == expected


def test_engagement_ties_are_broken_by_the_median_rate() -> None:
    def with_rates(name: str, median: float) -> HashtagReport:
        sample = VideoSampleStats(
            size=2, plays=1_000, likes=50, comments=0, shares=0, engagement_median=median
        )
        return row_for(name, with_sample(weekly(name, [1], 1_000), sample))

    ranked = rank([with_rates("low", 0.01), with_rates("high", 0.09)], RankBy.ENGAGEMENT)
    assert [r.hashtag for r in ranked] == ["high", "low"]


def test_the_report_ranked_by_engagement_keeps_every_csv_column_and_says_its_key() -> None:
    # Given the four tags behind the report's sources
    sources = FakeSources()
    for row_name, growth, start, likes in (
        ("a", 500_000, 1_000_000, 20),
        ("b", 1_000_000, 10_000_000, 100),
        ("c", 30_000, 100_000, 50),
    ):
        sample = VideoSampleStats(size=1, plays=1_000, likes=likes, comments=0, shares=0)
        sources.add(tracked(row_name), with_sample(weekly(row_name, [growth], start), sample))
    sink, topic = MemorySink(), MemoryPublisher()

    # When the report is made ranked by engagement
    result = make_report(AS_OF, sources, sink, topic, rank_by=RankBy.ENGAGEMENT)

    # Then it is ranked by the pooled rate, and says so in every file and the summary
    assert [r.hashtag for r in result.report.hashtags] == ["b", "c", "a"]
    assert result.report.rank_by is RankBy.ENGAGEMENT
    assert result.as_dict()["rank_by"] == "engagement"
    files = sink.files["2026-11-23"]
    lines = list(csv.DictReader(io.StringIO(files["report.csv"].body)))
    assert [(line["rank"], line["hashtag"]) for line in lines] == [
        ("1", "b"),
        ("2", "c"),
        ("3", "a"),
    ]
    assert list(lines[0]) == list(CSV_COLUMNS)
    assert lines[0]["engagement_pooled"] == "0.1" and lines[0]["views_wow_pct"] == "10.0"
    assert '"rank_by":"engagement"' in files["report.json"].body.replace(" ", "")
    page = files["report.html"].body
    assert "Ranking by engagement rate (pooled" in page
    assert 'font-size="11">10.0%</text>' in page  # a level, not a change: no '+'
    text = topic.messages[0][1]
    assert "Top by engagement rate (pooled over the latest video sample):" in text
    assert "1. #b engagement 10.00% (views rising +10.0%" in text


def test_the_on_demand_event_and_the_setting_choose_the_ranking() -> None:
    assert rank_by_from_event({}, "views") is RankBy.VIEWS
    assert rank_by_from_event({"as_of": "2026-11-23T09:00:00Z"}) is RankBy.GROWTH
    assert rank_by_from_event({"rank_by": "engagement"}, RankBy.VIEWS) is RankBy.ENGAGEMENT
    for bad in ("likes", 3, ["views"]):
        with pytest.raises(ReportEventError, match="growth, engagement, views"):
            rank_by_from_event({"rank_by": bad})


def test_a_tag_growing_45_percent_is_rising_and_its_growth_slowing_never_falling() -> None:
    # Given a tag whose views grew +45.8 % this week after a week of 1M (issue 18's case:
    # it was labelled 'falling' because its growth was below its 4-week average)
    row = row_for("tag", weekly("tag", [1_000_000, 503_800], 100_000))
    report = build_report(AS_OF, AS_OF, [row])

    # Then the count is rising, the growth is slowing, and the ratio says by how much
    assert row.views_wow_pct == 45.8
    assert row.views_direction is Direction.RISING
    assert row.growth_pace is Pace.SLOWING
    assert row.growth_vs_usual == 0.504
    assert pace_words(row) == "growth slowing, 0.5× its usual"
    assert not row.anomaly.flagged
    # and no reader sees 'falling' for it
    for text in (summary_text(report, None), report_html(report), report_csv(report)):
        assert "falling" not in text


def test_a_tag_growing_17_percent_carries_a_growth_slowdown_not_a_drop() -> None:
    # Given a tag growing +17 % this week after a week of 1M (issue 18: it carried 'drop')
    row = row_for("tag", weekly("tag", [1_000_000, 187_000], 100_000))
    report = build_report(AS_OF, AS_OF, [row])

    # Then the anomaly names the growth and how far below its usual it is
    assert row.views_wow_pct == 17.0
    assert row.anomaly.kind is AnomalyKind.DROP
    assert row.anomaly.kind.value == "growth_slowdown"
    assert row.anomaly.ratio == 0.187
    assert anomaly_words(row.anomaly) == "growth slowdown in views (0.19× its usual)"
    assert row.views_direction is Direction.RISING
    text = summary_text(report, None)
    assert "#tag: growth slowdown in views (0.19× its usual), views rising +17.0%" in text
    [line] = csv.DictReader(io.StringIO(report_csv(report)))
    assert (line["anomaly"], line["anomaly_vs_usual"], line["views_direction"]) == (
        "growth_slowdown",
        "0.187",
        "rising",
    )
    for rendered in (text, report_html(report), report_csv(report)):
        assert "drop" not in rendered and "falling" not in rendered


def test_a_count_that_went_down_is_falling() -> None:
    row = row_for("tag", weekly("tag", [1_000, -5_000], 100_000))
    assert row.views_direction is Direction.FALLING
    assert row.videos_direction is Direction.RISING


WEEK_VIDEOS = [
    video("v1", "a", 50_000, 1_000, 100, 400, description="the big one"),  # 0.03
    video("v2", "b", 2_000, 300, 50, 50),  # 0.20
    video("v3", "b", 10, 9, 0, 0),  # 0.90, but 10 plays
    video("v4", "b", 8_000, 300, 50, 50),  # 0.05
    video("v5", "z", 100, 1, 0, 0),  # its creator was not read
    video("old", "a", 90_000, 9_000, 0, 0, seen=AS_OF - 10 * DAY),  # not this week's
]


def test_top_videos_by_plays_and_by_engagement_with_likes_and_description() -> None:
    row = row_for("tag", weekly("tag", [1], 1_000), videos=WEEK_VIDEOS)
    # by plays, this week's videos only
    assert [v.video_id for v in row.top_videos] == ["v1", "v4", "v2", "v5", "v3"]
    first = row.top_videos[0]
    assert (first.likes, first.description, first.engagement_rate) == (1_000, "the big one", 0.03)
    # by engagement rate, among videos with at least 1,000 plays
    assert [(v.video_id, v.engagement_rate) for v in row.top_videos_by_engagement] == [
        ("v2", 0.2),
        ("v4", 0.05),
        ("v1", 0.03),
    ]
    page = report_html(build_report(AS_OF, AS_OF, [row]))
    assert "Top new videos by engagement rate" in page and "the big one" in page
    assert "not per video" in page  # sentiment is not stored per video: the page says so


def test_top_creators_by_plays_and_by_videos_show_followers_only_when_known() -> None:
    # Given creator b's author object carried follower_count, a's did not, z's was not read
    creators = [creator("a", "Ay"), creator("b", "Bee", followers=12_345)]
    row = row_for("tag", weekly("tag", [1], 1_000), videos=WEEK_VIDEOS, creators=creators)

    def view(creators: list) -> list[tuple]:  # type: ignore[type-arg]
        return [(c.author_id, c.videos, c.plays, c.followers) for c in creators]

    assert view(row.top_creators) == [
        ("a", 1, 50_000, None),
        ("b", 3, 10_010, 12_345),
        ("z", 1, 100, None),
    ]
    assert view(row.top_creators_by_videos) == [
        ("b", 3, 10_010, 12_345),
        ("a", 1, 50_000, None),
        ("z", 1, 100, None),
    ]
    assert row.top_creators[2].nickname is None
    page = report_html(build_report(AS_OF, AS_OF, [row]))
    assert "Top creators by videos" in page
    assert "<td>Bee</td><td>3</td><td>10.0k</td><td>12.3k</td>" in page
    assert "<td>Ay</td><td>1</td><td>50.0k</td><td>–</td>" in page  # unknown, not 0


def test_sentiment_per_day_is_weighted_by_the_comments_scored() -> None:
    def scored(cycle: datetime, negative: float, count: int) -> Snapshot:
        shares = SentimentShares(
            positive=round(1 - negative, 4), neutral=0.0, negative=negative, scored=count
        )
        return replace(ok("tag", cycle, 1_000, 10), sentiment=shares)

    day1 = datetime(2026, 11, 20, tzinfo=UTC)
    snaps = [
        scored(day1, 0.5, 10),
        scored(day1 + 6 * HOUR, 0.0, 30),
        scored(day1 + DAY + 12 * HOUR, 0.2, 50),
        ok("tag", day1 + 2 * DAY, 1_000, 10),  # no comments scored
    ]
    points = sentiment_days(snaps)
    assert [(p.day, p.negative, p.positive, p.scored) for p in points] == [
        (day1, 0.125, 0.875, 40),
        (day1 + DAY, 0.2, 0.8, 50),
    ]
    # and the page draws them as the sentiment-trend chart
    row = row_for("tag", [*weekly("tag", [1], 1_000), *snaps])
    assert len(row.sentiment_days) == 2
    page = report_html(build_report(AS_OF, AS_OF, [row]))
    assert "#tag: comment sentiment per day" in page
    assert "negative Nov 20: 12.5%" in page
