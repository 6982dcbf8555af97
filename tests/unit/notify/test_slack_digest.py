"""The daily digest in Slack: the report's own message rendered as Block Kit, within limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hashtag_tracker.models.codec import replace
from hashtag_tracker.models.hashtag import HashtagKind
from hashtag_tracker.notify import slack
from hashtag_tracker.notify.slack import (
    BLOCKS_LIMIT,
    FIELDS_LIMIT,
    HEADER_LIMIT,
    SECTION_LIMIT,
    SlackNotifier,
    payload_for,
)
from hashtag_tracker.report import digest as report_digest
from hashtag_tracker.report.digest import (
    Digest,
    DigestCredits,
    DigestMood,
    DigestTag,
    DigestVideo,
    build_digest,
    digest_json,
    digest_message,
)
from tests.unit.notify.test_slack import Answer, FakeSession, poster

AS_OF = datetime(2026, 12, 2, 8, tzinfo=UTC)
CREDITS = DigestCredits(
    today=7,
    today_usd=0.035,
    month="2026-12",
    month_used=3_000,
    month_projected=69_750,
    budget=20_000,
    projected_pct_of_budget=348.8,
    balance=41_000,
)


def brand(**changes: Any) -> DigestTag:
    tag = DigestTag(
        hashtag="brand",
        kind=HashtagKind.CAMPAIGN,
        campaign="BrandX",
        link="https://www.tiktok.com/tag/brand",
        new_views=150_000,
        new_videos=150,
        views=1_250_000,
        videos=2_250,
        day_over_day="rising",
        views_day_before=100_000,
        top_video=DigestVideo(
            video_id="7001",
            author_id="maker.one",
            plays=80_000,
            likes=8_000,
            comments=5,
            shares=2,
            description="Trying BrandX",
            link="https://www.tiktok.com/@maker.one/video/7001",
        ),
        mood=DigestMood(label="positive", positive=0.6, neutral=0.3, negative=0.1, scored=40),
        credits=7,
    )
    return replace(tag, **changes)


def a_digest(*tags: DigestTag, **options: Any) -> Digest:
    return build_digest(list(tags) or [brand()], AS_OF, AS_OF, CREDITS, **options)


def rendered(digest: Digest) -> dict[str, Any]:
    """What the notifier posts for the digest's SNS message (its Lambda protocol part)."""
    return payload_for(digest.title, json.loads(digest_message(digest))["lambda"])


def texts(block: dict[str, Any]) -> list[str]:
    found = [block["text"]["text"]] if "text" in block else []
    found += [f["text"] for f in block.get("fields", [])]
    found += [e["text"] for e in block.get("elements", []) if "text" in e]
    return found


def test_the_digest_message_is_posted_as_block_kit_with_each_tags_day() -> None:
    # When the report's digest message reaches the notifier
    payload = rendered(a_digest(brand(), brand(hashtag="rival", campaign=None, mood=None)))

    # Then it has a header, the totals, the credits, and one section per tag
    blocks = payload["blocks"]
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "section",
        "divider",
        "section",
        "section",
    ]
    assert blocks[0]["text"] == {"type": "plain_text", "text": "📊 Daily hashtag digest 2026-12-02"}
    assert blocks[1]["text"]["text"] == (
        "*2* hashtags · *300,000* new views · *300* new videos in the 24 hours to "
        "2026-12-02 08:00 UTC"
    )
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields == [
        "*Credits today*\n7 ($0.04)",
        "*Used in 2026-12*\n3,000",
        "*Projected this month*\n69,750 of 20,000 (349%)",
        "*Data-API balance*\n41,000",
    ]
    assert blocks[4]["text"]["text"].split("\n") == [
        "*<https://www.tiktok.com/tag/brand|#brand>* · campaign BrandX · 📈 rising",
        "*150,000* new views · *150* new videos (day before: 100,000 new views)",
        "Top new video: <https://www.tiktok.com/@maker.one/video/7001|@maker.one> “Trying "
        "BrandX”, 80,000 plays",
        "Comments: 🙂 positive (60% positive, 30% neutral, 10% negative of 40) · 7 credits",
    ]
    assert "Comments: not scored today · 7 credits" in blocks[5]["text"]["text"]
    assert payload["text"] == (
        "Daily hashtag digest 2026-12-02: 2 hashtags, 300,000 new views, 300 new videos"
    )


def test_a_tag_without_numbers_or_video_says_so() -> None:
    quiet = brand(
        new_views=None, new_videos=None, day_over_day=None, views_day_before=None, top_video=None
    )
    text = rendered(a_digest(quiet))["blocks"][4]["text"]["text"]
    assert "· no label yet" in text
    assert "*n/a* new views · *n/a* new videos" in text
    assert "Top new video: none first seen today" in text


def test_user_text_is_escaped_and_cannot_break_a_link() -> None:
    tag = brand(campaign="<b>&co")
    assert tag.top_video is not None
    tag = replace(
        tag,
        top_video=replace(tag.top_video, author_id="a|b>c", description="<!channel> & more"),
    )
    text = rendered(a_digest(tag))["blocks"][4]["text"]["text"]
    assert "campaign &lt;b&gt;&amp;co" in text
    assert "|@a¦b&gt;c>" in text
    assert "“&lt;!channel&gt; &amp; more”" in text
    assert "<!channel>" not in text


def test_the_summed_tags_and_the_unread_ones_close_the_message() -> None:
    tags = [brand(hashtag=f"t{i}", new_views=i) for i in range(30)]
    digest = a_digest(*tags, skipped=["broken"], invalid_items=2, listed=5)
    last = rendered(digest)["blocks"][-1]
    assert last["type"] == "context"
    assert last["elements"][0]["text"] == (
        "+25 more hashtags: 300 new views, 3,750 new videos, 175 credits · Not read: #broken"
        " · 2 invalid hashtag items skipped"
    )


def test_a_thousand_long_tags_stay_within_slacks_limits() -> None:
    # Given tags at every bound and a producer listing more tags than blocks allow
    long_name = "日本語のハッシュタグ" * 10
    big = brand(hashtag=long_name, campaign="キャンペーン" * 10 + "ABCD")
    assert big.top_video is not None
    big = replace(big, top_video=replace(big.top_video, description="🙂" * 120))
    tags = [replace(big, hashtag=f"{long_name[:96]}{i:04d}") for i in range(1_000)]
    for digest in (
        a_digest(*tags, skipped=[long_name] * 3_000),
        a_digest(*tags, listed=80, max_bytes=10**9),
    ):
        # When each is rendered
        payload = rendered(digest)
        blocks = payload["blocks"]
        # Then Slack's limits hold: 50 blocks, 3,000 characters a text, 10 fields, 150 a header
        assert len(blocks) <= BLOCKS_LIMIT
        assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT
        assert all(len(t) <= SECTION_LIMIT for b in blocks for t in texts(b))
        assert all(len(b.get("fields", [])) <= FIELDS_LIMIT for b in blocks)
        assert len(payload["text"]) <= SECTION_LIMIT
    # and the tags that found no block are counted, not dropped silently
    assert "+35 more listed in the email" in texts(blocks[-1])[0]


def test_the_notifier_tells_the_digest_from_alerts_by_its_type() -> None:
    assert slack.DIGEST_TYPE == report_digest.DIGEST_TYPE == "hashtag-tracker.digest"
    assert json.loads(digest_json(a_digest()))["type"] == slack.DIGEST_TYPE


def test_the_notifier_posts_the_digest_of_an_sns_record() -> None:
    session = FakeSession([Answer(200)])
    message = json.loads(digest_message(a_digest()))["lambda"]

    SlackNotifier(poster(session, [])).handle(
        {"Records": [{"Sns": {"Subject": "Daily hashtag digest 2026-12-02", "Message": message}}]}
    )

    assert session.bodies == [rendered(a_digest())]


def test_a_malformed_digest_is_still_posted_as_a_notice() -> None:
    session = FakeSession([Answer(200)])
    broken = json.dumps({"type": "hashtag-tracker.digest", "day": "2026-12-02"})

    SlackNotifier(poster(session, [])).handle(
        {"Records": [{"Sns": {"Subject": "Daily hashtag digest", "Message": broken}}]}
    )

    [body] = session.bodies
    assert [b["type"] for b in body["blocks"]] == ["header", "section"]
    assert body["blocks"][0]["text"]["text"] == "Daily hashtag digest"
