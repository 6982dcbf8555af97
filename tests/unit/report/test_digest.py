"""The daily digest: one tag's day, the month's pace, the bounded message, once a day."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest

from hashtag_tracker.models.codec import replace
from hashtag_tracker.models.hashtag import HashtagKind, InvalidItem, TrackedHashtag
from hashtag_tracker.models.snapshot import SentimentShares, Snapshot
from hashtag_tracker.models.video import LedgerVideo
from hashtag_tracker.report.digest import (
    DIGEST_MAX_BYTES,
    DIGEST_RULE,
    DIGEST_TAGS,
    DIGEST_TYPE,
    DigestCredits,
    DigestInputs,
    DigestTag,
    build_digest,
    day_bounds,
    digest_credits,
    digest_message,
    digest_text,
    month_projection,
    tag_digest,
)
from hashtag_tracker.report.digest_run import DigestDeps, is_digest_event, make_digest
from hashtag_tracker.storage.errors import StorageError
from tests.unit.report.fakes import FakeSources, MemoryMarks, missing, ok, tracked

AS_OF = datetime(2026, 12, 2, 8, tzinfo=UTC)
SINCE, UNTIL = day_bounds(AS_OF)
STEP = timedelta(hours=6)
POSITIVE = SentimentShares(positive=0.6, neutral=0.3, negative=0.1, scored=40)


def views_at(cycle: datetime) -> int:
    """1,000,000 at Nov 30 06:00; +100,000 over the next day, +150,000 over the one after."""
    base = datetime(2026, 11, 30, 6, tzinfo=UTC)
    steps = (cycle - base) // STEP
    if steps <= 0:
        return 1_000_000 + 25_000 * steps
    return 1_000_000 + 25_000 * min(steps, 4) + 37_500 * max(0, steps - 4)


def series(name: str = "brand") -> list[Snapshot]:
    """Every 6 h from Nov 29 to Dec 2 06:00, with one missing reading and two scored ones."""
    found: list[Snapshot] = []
    cycle = datetime(2026, 11, 29, tzinfo=UTC)
    while cycle <= datetime(2026, 12, 2, 6, tzinfo=UTC):
        found.append(ok(name, cycle, views_at(cycle), 1_000 + views_at(cycle) // 1_000))
        cycle += STEP
    by_cycle = {s.cycle: s for s in found}
    dec1, dec2 = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    by_cycle[dec1 + timedelta(hours=18)] = replace(
        missing(name, dec1 + timedelta(hours=18)), credits=2
    )
    by_cycle[dec2] = replace(by_cycle[dec2], sentiment=POSITIVE, credits=3)
    by_cycle[dec2 + STEP] = replace(
        by_cycle[dec2 + STEP],
        sentiment=SentimentShares(positive=0, neutral=0, negative=0, scored=0),
    )
    # The day before's mood was bad: not today's.
    by_cycle[dec1] = replace(
        by_cycle[dec1],
        sentiment=SentimentShares(positive=0.1, neutral=0.1, negative=0.8, scored=30),
    )
    return sorted(by_cycle.values(), key=lambda s: s.cycle)


def video(
    video_id: str, first_seen: datetime, plays: int, author: str = "maker.one"
) -> LedgerVideo:
    return LedgerVideo(
        hashtag="brand",
        video_id=video_id,
        author_id=author,
        first_seen=first_seen,
        last_seen=first_seen,
        plays=plays,
        likes=plays // 10,
        comments=5,
        shares=2,
        description="Trying  BrandX\nfor the first time",
    )


VIDEOS = [
    video("7000", datetime(2026, 12, 1, 7, tzinfo=UTC), 900_000, "yesterday"),
    video("7001", datetime(2026, 12, 2, 2, tzinfo=UTC), 80_000),
    video("7002", datetime(2026, 12, 1, 14, tzinfo=UTC), 50_000, "other"),
]


# -- one tag's day ------------------------------------------------------------------------------


def test_a_tags_day_has_its_new_counts_label_top_video_mood_and_credits() -> None:
    # Given three days of readings and the ledger's videos
    inputs = DigestInputs(tracked("brand", "campaign", "BrandX"), series(), VIDEOS)

    # When the day to Dec 2 08:00 is digested
    tag = tag_digest(inputs, SINCE, UNTIL)

    # Then the day's growth is the latest reading (06:00) against the one a day before it
    assert (tag.new_views, tag.new_videos) == (150_000, 150)
    assert (tag.views, tag.videos) == (1_250_000, 2_250)
    # and the label compares it with the day before (100,000): rising
    assert (tag.day_over_day, tag.views_day_before) == ("rising", 100_000)
    # and the top video is the most played first seen today, not yesterday's bigger one
    assert tag.top_video is not None
    assert (tag.top_video.video_id, tag.top_video.plays) == ("7001", 80_000)
    assert tag.top_video.link == "https://www.tiktok.com/@maker.one/video/7001"
    assert tag.top_video.description == "Trying BrandX for the first time"
    # and the mood is the day's latest scored reading (00:00), not the unscored one at 06:00
    assert tag.mood is not None
    assert (tag.mood.label, tag.mood.positive, tag.mood.scored) == ("positive", 0.6, 40)
    # and the credits are the day's readings', the missing one's included (1 + 2 + 3 + 1)
    assert tag.credits == 7
    assert tag.link == "https://www.tiktok.com/tag/brand"


def test_a_tag_not_read_today_gets_no_numbers_and_no_label_from_old_readings() -> None:
    stale = [s for s in series() if s.cycle <= SINCE]
    tag = tag_digest(DigestInputs(tracked("brand"), stale, []), SINCE, UNTIL)
    assert (tag.new_views, tag.new_videos, tag.day_over_day, tag.mood) == (None, None, None, None)
    assert (tag.top_video, tag.credits) == (None, 0)


def test_a_tag_tracked_for_one_day_has_its_numbers_but_no_label_yet() -> None:
    young = [s for s in series() if s.cycle >= datetime(2026, 12, 1, tzinfo=UTC)]
    tag = tag_digest(DigestInputs(tracked("brand"), young, []), SINCE, UNTIL)
    assert tag.new_views == 150_000
    assert (tag.day_over_day, tag.views_day_before) == (None, None)


def test_a_day_that_grew_less_than_the_day_before_is_falling() -> None:
    # 150,000 new views the day before, 100,000 today
    snaps = [
        ok("brand", datetime(2026, 11, 30, 6, tzinfo=UTC), 1_000_000, 100),
        ok("brand", datetime(2026, 12, 1, 6, tzinfo=UTC), 1_150_000, 100),
        ok("brand", datetime(2026, 12, 2, 6, tzinfo=UTC), 1_250_000, 100),
    ]
    tag = tag_digest(DigestInputs(tracked("brand"), snaps, []), SINCE, UNTIL)
    assert (tag.new_views, tag.views_day_before, tag.day_over_day) == (100_000, 150_000, "falling")


# -- the month ---------------------------------------------------------------------------------


def test_the_month_is_projected_at_its_pace_so_far_against_the_budget() -> None:
    # 3,000 used in the first 10 days of a 31-day month: 9,300 at that pace
    assert month_projection(3_000, datetime(2026, 12, 11, tzinfo=UTC)) == 9_300
    credits = digest_credits(12, datetime(2026, 12, 11, tzinfo=UTC), 20_000, 3_000, 41_000)
    assert (credits.month, credits.month_projected, credits.projected_pct_of_budget) == (
        "2026-12",
        9_300,
        46.5,
    )
    assert credits.today_usd == 0.06 and credits.balance == 41_000


def test_the_months_first_day_and_a_missing_counter_give_no_projection() -> None:
    assert month_projection(500, datetime(2026, 12, 1, 20, tzinfo=UTC)) is None
    credits = digest_credits(5, AS_OF, 20_000, None, None)
    assert (credits.month_used, credits.month_projected) == (None, None)
    assert digest_credits(5, AS_OF, 0, 900, None).projected_pct_of_budget is None


# -- the whole digest and its message ----------------------------------------------------------


def a_tag(name: str, new_views: int | None, credits: int = 1) -> DigestTag:
    return DigestTag(
        hashtag=name,
        kind=HashtagKind.TREND,
        link=f"https://www.tiktok.com/tag/{name}",
        new_views=new_views,
        new_videos=None if new_views is None else new_views // 1_000,
        credits=credits,
    )


CREDITS = DigestCredits(today=0, today_usd=0.0, month="2026-12", budget=20_000)


def test_tags_are_ranked_by_new_views_and_the_rest_summed() -> None:
    tags = [a_tag(f"t{i:02d}", i * 1_000) for i in range(25)] + [a_tag("unread", None)]
    digest = build_digest(tags, AS_OF, AS_OF, CREDITS, skipped=["broken"], listed=3)
    assert [t.hashtag for t in digest.tags] == ["t24", "t23", "t22"]
    assert digest.others is not None
    assert (digest.others.count, digest.others.new_views, digest.others.credits) == (
        23,
        sum(i * 1_000 for i in range(22)),
        23,
    )
    assert (digest.hashtags, digest.new_views) == (26, sum(i * 1_000 for i in range(25)))
    assert (digest.day, digest.since, digest.until) == ("2026-12-02", SINCE, UNTIL)
    assert "+23 more hashtags: 231,000 new views" in digest_text(digest)
    assert "Not read (storage errors): #broken" in digest_text(digest)


def test_the_message_is_text_for_email_and_the_digests_json_for_code() -> None:
    inputs = DigestInputs(tracked("brand", "campaign", "BrandX"), series(), VIDEOS)
    tag = tag_digest(inputs, SINCE, UNTIL)
    credits = digest_credits(7, UNTIL, 20_000, 3_000, None)
    digest = build_digest([tag], AS_OF, AS_OF, credits)

    message = json.loads(digest_message(digest))

    assert set(message) == {"default", "email", "lambda", "sqs"}
    assert message["default"] == message["email"] == digest_text(digest)
    text = message["email"]
    assert "#brand — campaign tag of BrandX" in text
    assert "New views 150,000, new videos 150; day over day: rising" in text
    assert "https://www.tiktok.com/@maker.one/video/7001" in text
    assert "Comment mood: positive (60% positive" in text
    # 3,000 used in the month's first 1 1/3 days: 2,250 a day, 69,750 over 31 days
    assert "projected 69,750 of the 20,000 budget (349%)" in text
    document = json.loads(message["lambda"])
    assert message["sqs"] == message["lambda"]
    assert document["type"] == DIGEST_TYPE != "hashtag-tracker.alert"
    assert document["title"] == "Daily hashtag digest 2026-12-02"
    assert document["tags"][0]["top_video"]["video_id"] == "7001"
    assert document["credits"]["month_projected"] == 69_750


def test_a_thousand_long_tags_still_make_a_message_sns_takes() -> None:
    # Given tags at every bound: long non-Latin names and campaigns, odd long author ids
    long_name = "日本語のハッシュタグ" * 10  # 100 characters, 300 bytes
    odd = replace(video("7" * 500, UNTIL, 10), author_id="a" * 500, description="🙂" * 400)
    top = tag_digest(DigestInputs(tracked("brand"), [], [odd]), SINCE, UNTIL).top_video
    tags = [
        replace(
            a_tag(f"{long_name[:96]}{i:04d}", i),
            campaign="キャンペーン" * 10 + "ABCD",
            top_video=top,
        )
        for i in range(1_000)
    ]
    digest = build_digest(tags, AS_OF, AS_OF, CREDITS, skipped=[long_name] * 3_000)

    size = len(digest_message(digest).encode("utf-8"))

    assert size <= DIGEST_MAX_BYTES < 256 * 1024
    # Then fewer tags are listed one by one (not the usual 20), the rest summed
    assert 0 < len(digest.tags) < DIGEST_TAGS and digest.others is not None
    assert digest.others.count + len(digest.tags) == 1_000
    assert len(digest.skipped) == 20 and digest.skipped_count == 3_000
    # a link too long to be a real video is left out, not cut
    assert digest.tags[0].top_video is not None and digest.tags[0].top_video.link is None
    assert len(digest.tags[0].top_video.description or "") == 120


# -- the run: bounded reads, once a day ---------------------------------------------------------


class DigestFakeSources(FakeSources):
    def __init__(self) -> None:
        super().__init__()
        self.month: dict[str, tuple[int, int]] = {}

    def month_credits(self, month: str) -> tuple[int, int] | None:
        self.reads.append(("credits", month))
        return self.month.get(month)


class MemoryTopic:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str | None], str | None]] = []
        self.fail_next = 0

    def publish(
        self,
        subject: str,
        text: str,
        attributes: Mapping[str, str | None] | None = None,
        *,
        what: str = "publishing to the topic",
        message_structure: Literal["json"] | None = None,
    ) -> str:
        if self.fail_next:
            self.fail_next -= 1
            raise StorageError(f"{what} failed: throttled")
        self.sent.append((subject, text, dict(attributes or {}), message_structure))
        return f"msg-{len(self.sent)}"


def _sources() -> DigestFakeSources:
    sources = DigestFakeSources()
    sources.add(tracked("brand", "campaign", "BrandX"), series())
    sources.videos["brand"] = list(VIDEOS)
    sources.add(TrackedHashtag(hashtag="paused", active=False), series("paused"))
    sources.add(tracked("broken"))
    sources.failing.add("broken")
    sources.items.append(InvalidItem(key="Bad Tag", reason="hashtag item 'Bad Tag' is invalid"))
    sources.month["2026-12"] = (3_100, 3_000)
    sources.balances["2026-12"] = (41_000, "2026-12-02T06:03:00Z")
    return sources


def _deps(
    sources: DigestFakeSources | None = None,
    topic: MemoryTopic | None = None,
    marks: MemoryMarks | None = None,
) -> DigestDeps:
    return DigestDeps(sources or _sources(), topic or MemoryTopic(), marks or MemoryMarks(), 20_000)


def test_the_digest_reads_two_queries_per_tag_and_publishes_one_message() -> None:
    sources, topic = _sources(), MemoryTopic()

    result = make_digest(AS_OF, _deps(sources, topic), generated_at=AS_OF + timedelta(minutes=1))

    # Then each tag due today is read with one snapshot query and one ledger query; a paused
    # tag is not read, and the ledger's totals are not needed
    assert sources.reads == [
        ("snapshots", "brand"),
        ("ledger", "brand"),
        ("snapshots", "broken"),
        ("credits", "2026-12"),
    ]
    # and one message goes to the topic, tagged rule=daily_digest, as per-protocol JSON
    [(subject, text, attributes, structure)] = topic.sent
    assert subject == "Daily hashtag digest 2026-12-02"
    assert (
        attributes
        == {"rule": DIGEST_RULE, "severity": "info"}
        == {
            "rule": "daily_digest",
            "severity": "info",
        }
    )
    assert structure == "json"
    document = json.loads(json.loads(text)["lambda"])
    assert [t["hashtag"] for t in document["tags"]] == ["brand"]
    assert (document["skipped"], document["invalid_items"]) == (["broken"], 1)
    assert document["credits"]["today"] == 7
    assert document["credits"]["balance"] == 41_000
    assert result.published and result.message_id == "msg-1"
    assert result.as_dict()["digest"] == "2026-12-02"


def test_one_digest_a_day_and_a_failed_publish_gives_the_day_back() -> None:
    marks, topic = MemoryMarks(), MemoryTopic()
    # A failed publish fails the run and gives the day back
    topic.fail_next = 1
    with pytest.raises(StorageError):
        make_digest(AS_OF, _deps(topic=topic, marks=marks))
    # so the retry publishes
    first = make_digest(AS_OF, _deps(topic=topic, marks=marks))
    # and a second delivery (or an on-demand run) the same UTC day publishes nothing more
    again = make_digest(AS_OF + timedelta(hours=3), _deps(topic=topic, marks=marks))
    # while the next day's digest is published
    tomorrow = make_digest(AS_OF + timedelta(days=1), _deps(topic=topic, marks=marks))
    assert (first.published, again.published, again.already_published) == (True, False, True)
    assert tomorrow.published and len(topic.sent) == 2
    assert marks.summaries == {"digest#2026-12-02", "digest#2026-12-03"}


def test_the_digest_event_is_told_from_the_weekly_one() -> None:
    assert is_digest_event({"digest": True, "time": "2026-12-02T08:00:00Z"})
    assert not is_digest_event({"time": "2026-12-02T08:00:00Z"})
    assert not is_digest_event({"digest": "yes"})
    assert not is_digest_event(None)
