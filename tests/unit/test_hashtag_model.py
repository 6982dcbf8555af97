"""Tracked-hashtag validation: normalisation, clear errors, thresholds and dates."""

from __future__ import annotations

from datetime import date

import pytest

from hashtag_tracker.models.hashtag import (
    InvalidHashtagError,
    Thresholds,
    TrackedHashtag,
    normalise_hashtag,
    with_changes,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#TryBrandX", "trybrandx"),
        ("  ##Summer_2026 ", "summer_2026"),
        ("ÉTÉ", "été"),
        ("#ダンス", "ダンス"),
        ("#नमस्ते", "नमस्ते"),
        ("#Straße", "strasse"),
        ("ＦＵＬＬＷＩＤＴＨ", "fullwidth"),
    ],
)
def test_normalise_strips_hash_and_casefolds_any_script(raw: str, expected: str) -> None:
    assert normalise_hashtag(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("#", "empty"),
        ("   ", "empty"),
        ("two words", "space"),
        ("brand-x", "'-'"),
        ("brand!", "'!'"),
        ("a" * 101, "too long"),
    ],
)
def test_bad_hashtags_get_a_one_line_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidHashtagError) as caught:
        normalise_hashtag(raw)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_item_defaults_are_the_documented_thresholds() -> None:
    # Given a minimal item as a user would put it
    item = TrackedHashtag.parse({"hashtag": "#Brand"})
    # Then
    assert item.hashtag == "brand"
    assert item.kind == "campaign"
    assert item.active is True
    assert item.thresholds == Thresholds()
    assert item.thresholds.viral_new_videos == 200
    assert item.thresholds.viral_growth_pct == 50.0


def test_partial_thresholds_from_dynamodb_numbers_are_merged_with_defaults() -> None:
    from decimal import Decimal

    item = TrackedHashtag.parse(
        {"hashtag": "brand", "thresholds": {"viral_new_videos": Decimal("50")}}
    )
    assert item.thresholds.viral_new_videos == 50
    assert item.thresholds.cooldown_hours == Thresholds().cooldown_hours


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ({"hashtag": "brand", "kind": "rival"}, "kind"),
        ({"hashtag": "brand", "thresholds": {"viral_new_videos": 0}}, "viral_new_videos"),
        ({"hashtag": "brand", "thresholds": {"nonsense": 1}}, "nonsense"),
        ({"hashtag": "brand", "start_date": "2026-02-01", "end_date": "2026-01-01"}, "before"),
        ({"hashtag": "brand", "surprise": True}, "surprise"),
        ({"kind": "campaign"}, "hashtag"),
        ({"hashtag": 42}, "hashtag: Expected `str`"),
    ],
)
def test_invalid_items_name_the_field(item: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidHashtagError) as caught:
        TrackedHashtag.parse(item)
    assert fragment in str(caught.value)


def test_is_due_respects_pause_and_dates() -> None:
    item = TrackedHashtag.parse(
        {"hashtag": "brand", "start_date": "2026-01-10", "end_date": "2026-01-20"}
    )
    assert not item.is_due(date(2026, 1, 9))
    assert item.is_due(date(2026, 1, 10))
    assert item.is_due(date(2026, 1, 20))
    assert not item.is_due(date(2026, 1, 21))
    assert not with_changes(item, {"active": False}).is_due(date(2026, 1, 15))


def test_with_changes_merges_thresholds_and_revalidates() -> None:
    item = TrackedHashtag.parse({"hashtag": "brand", "thresholds": {"viral_new_videos": 50}})
    changed = with_changes(item, {"thresholds": {"cooldown_hours": 6}})
    assert changed.thresholds.viral_new_videos == 50
    assert changed.thresholds.cooldown_hours == 6
    with pytest.raises(InvalidHashtagError):
        with_changes(item, {"thresholds": {"cooldown_hours": -1}})


@pytest.mark.parametrize(
    ("thresholds", "fragment"),
    [
        ({"viral_growth_pct": "Infinity"}, "viral_growth_pct: Expected `float` <= 100000.0"),
        ({"viral_growth_pct": 1e200}, "viral_growth_pct: Expected `float` <= 100000.0"),
        ({"viral_growth_pct": 1e-300}, "viral_growth_pct: Expected `float` >= 0.01"),
        ({"negative_sentiment_share": 1e-300}, "negative_sentiment_share: Expected `float` >="),
        ({"viral_new_videos": 10**8}, "viral_new_videos: Expected `int` <= 10000000"),
        ({"viral_day_views": 10**13}, "viral_day_views: Expected `int` <= 1000000000000"),
        ({"low_activity_views": 10**13}, "low_activity_views: Expected `int` <="),
        ({"high_participation_videos": 10**8}, "high_participation_videos: Expected `int` <="),
    ],
)
def test_thresholds_are_finite_and_bounded(thresholds: dict[str, object], fragment: str) -> None:
    # Issue 17: an infinite threshold became `null` in the fetch message (DLQ every cycle)
    with pytest.raises(InvalidHashtagError, match="invalid") as refused:
        TrackedHashtag.parse({"hashtag": "brand", "thresholds": thresholds})
    assert fragment in str(refused.value)


def test_the_bounds_themselves_are_accepted() -> None:
    item = TrackedHashtag.parse(
        {
            "hashtag": "brand",
            "thresholds": {
                "viral_growth_pct": 100_000,
                "viral_new_videos": 10_000_000,
                "viral_day_views": 10**12,
                "negative_sentiment_share": 0.001,
            },
        }
    )
    assert item.thresholds.viral_growth_pct == 100_000.0
    assert item.thresholds.viral_day_views == 10**12


@pytest.mark.parametrize(
    "campaign", ["BrandX\n#forged", "Brand\rX", "a\u2028b", "tab\there", "\x00"]
)
def test_a_campaign_with_a_line_break_or_control_character_is_refused(campaign: str) -> None:
    with pytest.raises(InvalidHashtagError) as refused:
        TrackedHashtag.parse({"hashtag": "brand", "campaign": campaign})
    message = str(refused.value)
    assert "campaign contains" in message and "one line" in message and "\n" not in message


def test_a_campaign_keeps_spaces_and_any_script_and_loses_surrounding_breaks() -> None:
    item = TrackedHashtag.parse({"hashtag": "brand", "campaign": "  Été 2026 — ブランド 🎉\n"})
    assert item.campaign == "Été 2026 — ブランド 🎉"
