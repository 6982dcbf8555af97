"""The alert rules at, below and above their thresholds; milestones once each."""

from __future__ import annotations

from hashtag_tracker.models.codec import field_names, replace
from hashtag_tracker.models.hashtag import Thresholds
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.rules.alert import Alert, AlertRule, Severity
from hashtag_tracker.rules.engine import DAILY_RULES, MIN_SCORED_COMMENTS, assess, evaluate
from tests.unit.rules.builders import missing, mood, ok, suspect, tag


def rules(alerts: list[Alert]) -> list[AlertRule]:
    return [a.rule for a in alerts]


# -- viral (6 h) ----------------------------------------------------------------------------


def test_viral_fires_at_exactly_the_new_videos_threshold() -> None:
    # Given 200 new videos in 6 h on a large base (growth % far below 50)
    history = [ok(0, 50_000_000, 10_000)]

    # When the rules run
    at_threshold = evaluate(tag(), ok(6, 50_100_000, 10_200), history)
    below = evaluate(tag(), ok(6, 50_100_000, 10_199), history)

    # Then 200 fires and 199 does not
    assert rules(at_threshold) == [AlertRule.VIRAL]
    assert below == []


def test_viral_alert_carries_the_numbers_that_fired() -> None:
    history = [ok(0, 50_000_000, 10_000)]
    [alert] = evaluate(tag(), ok(6, 50_600_000, 10_400), history)

    assert alert.hashtag == "trybrandx" and alert.campaign == "BrandX"
    assert alert.window == "2026-11-02T06:00:00Z"
    assert alert.severity is Severity.WARNING
    assert alert.metrics["new_videos"] == 400
    assert alert.metrics["new_views"] == 600_000
    assert alert.metrics["views_per_hour"] == 100_000
    assert alert.metrics["window_hours"] == 6
    assert alert.magnitude == 2.0  # 400 / 200
    assert "400 new videos" in alert.text and "https://www.tiktok.com/tag/trybrandx" in alert.text


def test_viral_fires_on_views_growth_percent_and_respects_a_per_hashtag_threshold() -> None:
    # Given views grew 50 % (few new videos)
    history = [ok(0, 1_000_000, 1_000)]
    snapshot = ok(6, 1_500_000, 1_010)

    # Then it is viral with the default 50 %, not with a per-hashtag 60 %
    assert rules(evaluate(tag(), snapshot, history)) == [AlertRule.VIRAL]
    assert evaluate(tag(viral_growth_pct=60), snapshot, history) == []
    # And just under 50 % is not viral
    assert evaluate(tag(), ok(6, 1_499_999, 1_010), history) == []


def test_viral_fires_on_videos_growth_percent() -> None:
    history = [ok(0, 10_000_000, 100)]
    assert rules(evaluate(tag(), ok(6, 10_000_100, 150), history)) == [AlertRule.VIRAL]


def test_growth_percent_on_a_tiny_base_is_not_viral() -> None:
    # Given a brand-new tag going from 4 to 8 videos (+100 %)
    history = [ok(0, 2_000, 4)]
    assert evaluate(tag(), ok(6, 2_500, 8), history) == []


def test_no_viral_without_a_base() -> None:
    assert evaluate(tag(), ok(6, 9_000_000, 9_000), []) == []


def test_missing_and_suspect_snapshots_raise_nothing() -> None:
    # Given a zero glitch after real counters, and a missing fetch
    history = [ok(0, 5_000_000, 2_000)]

    # Then neither raises any alert (no drop, no low activity, no viral)
    assert evaluate(tag(), suspect(6), history) == []
    assert evaluate(tag(), missing(6), history) == []


def test_a_recovery_after_a_zero_glitch_is_not_a_spike() -> None:
    # Given a suspect 0 sits between two normal snapshots
    history = [ok(0, 5_000_000, 2_000), suspect(6)]

    # Then the next snapshot compares with... nothing within 6 h ± 2 h: no alert
    assert evaluate(tag(), ok(12, 5_010_000, 2_010), history) == []


def test_a_fall_is_a_data_quality_event_not_an_alert() -> None:
    history = [ok(0, 5_000_000, 2_000)]
    found = assess(tag(), ok(6, 5_000_000, 1_800), history)
    assert found.alerts == []
    assert found.decreased == ("videos",)


# -- milestones -----------------------------------------------------------------------------


def test_milestone_fires_when_views_cross_it() -> None:
    # Given the previous snapshot below 1M and this one at 1M
    history = [ok(0, 999_999, 100)]
    [alert] = evaluate(tag(), ok(6, 1_000_000, 101), history)

    assert alert.rule is AlertRule.MILESTONE and alert.window == "1000000"
    assert alert.cooldown_hours == 0 and alert.metrics["milestone"] == 1_000_000


def test_milestone_does_not_fire_again_once_passed() -> None:
    history = [ok(0, 900_000, 100), ok(6, 1_100_000, 101)]
    assert evaluate(tag(), ok(12, 1_200_000, 102), history) == []


def test_milestone_does_not_fire_again_after_a_dip_below_it() -> None:
    # Given views fell below 10M (deleted videos) and came back
    history = [ok(0, 10_200_000, 100), ok(6, 9_900_000, 100)]
    assert [a for a in evaluate(tag(), ok(12, 10_100_000, 100), history)] == []


def test_a_jump_across_two_milestones_fires_each_once() -> None:
    history = [ok(0, 900_000, 10_000)]
    alerts = evaluate(tag(), ok(6, 10_500_000, 10_010), history)
    assert sorted(a.window for a in alerts if a.rule is AlertRule.MILESTONE) == [
        "1000000",
        "10000000",
    ]


def test_no_milestone_on_the_first_snapshot_of_a_big_tag() -> None:
    assert evaluate(tag(), ok(0, 50_000_000, 10_000), []) == []


# -- daily rules ----------------------------------------------------------------------------


def _day(
    views_then: int, views_now: int, videos_then: int = 1_000, videos_now: int = 1_000
) -> tuple[list[Snapshot], Snapshot]:
    return [ok(0, views_then, videos_then)], ok(24, views_now, videos_now)


def test_viral_day_at_and_below_threshold() -> None:
    history, at_threshold = _day(50_000_000, 51_000_000)
    _, below = _day(50_000_000, 50_999_999)

    assert AlertRule.VIRAL_DAY in rules(evaluate(tag(), at_threshold, history))
    assert AlertRule.VIRAL_DAY not in rules(evaluate(tag(), below, history))
    # And the per-hashtag threshold wins
    assert AlertRule.VIRAL_DAY not in rules(
        evaluate(tag(viral_day_views=2_000_000), at_threshold, history)
    )


def test_viral_day_window_is_the_utc_day() -> None:
    history, snapshot = _day(50_000_000, 52_000_000)
    [alert] = [a for a in evaluate(tag(), snapshot, history) if a.rule is AlertRule.VIRAL_DAY]
    assert alert.window == "2026-11-03" and alert.magnitude == 2.0


def test_high_participation_at_and_below_threshold() -> None:
    history, at_threshold = _day(50_000_000, 50_100_000, 100_000, 100_500)
    _, below = _day(50_000_000, 50_100_000, 100_000, 100_499)

    assert rules(evaluate(tag(), at_threshold, history)) == [AlertRule.HIGH_PARTICIPATION]
    assert evaluate(tag(), below, history) == []


def test_low_activity_below_threshold_only() -> None:
    history, quiet = _day(400_000, 400_999)
    _, at_threshold = _day(400_000, 401_000)

    [alert] = evaluate(tag(), quiet, history)
    assert alert.rule is AlertRule.LOW_ACTIVITY and alert.metrics["new_views"] == 999
    assert evaluate(tag(), at_threshold, history) == []


def test_low_activity_never_fires_on_a_brand_new_hashtag() -> None:
    # Given a tag tracked for 12 hours with no views growth at all
    history = [ok(12, 400_000, 150), ok(18, 400_000, 150)]
    assert evaluate(tag(), ok(24, 400_000, 150), history) == []


def test_low_activity_never_fires_on_a_fall() -> None:
    history, fell = _day(400_000, 390_000)
    assert evaluate(tag(), fell, history) == []


def test_negative_sentiment_at_threshold_with_enough_comments() -> None:
    history = [ok(0, 50_000_000, 10_000)]
    share = 0.35

    fired = evaluate(
        tag(), ok(6, 50_010_000, 10_001, sentiment=mood(share, MIN_SCORED_COMMENTS)), history
    )
    below = evaluate(tag(), ok(6, 50_010_000, 10_001, sentiment=mood(0.34, 100)), history)
    too_few = evaluate(
        tag(), ok(6, 50_010_000, 10_001, sentiment=mood(0.9, MIN_SCORED_COMMENTS - 1)), history
    )

    assert rules(fired) == [AlertRule.NEGATIVE_SENTIMENT]
    assert fired[0].metrics["negative_share"] == 0.35
    assert below == [] and too_few == []


def test_lasting_conditions_repeat_weekly_and_events_daily() -> None:
    # Given a quiet day with sour comments, and a viral jump, on default thresholds
    history, quiet = _day(400_000, 400_500)
    sour = replace(quiet, sentiment=mood(0.6, MIN_SCORED_COMMENTS))
    conditions = evaluate(tag(), sour, history)
    viral = evaluate(tag(), ok(6, 10_000_000, 1_200), [ok(0, 10_000_000, 1_000)])
    # Then low activity and negative comments stay quiet for a week once said (a lasting
    # condition), while a viral moment may page again the next day
    assert {a.rule: a.cooldown_hours for a in conditions} == {
        AlertRule.LOW_ACTIVITY: 168,
        AlertRule.NEGATIVE_SENTIMENT: 168,
    }
    assert [(a.rule, a.cooldown_hours) for a in viral] == [(AlertRule.VIRAL, 24)]
    # And a hashtag can shorten it
    brisk = tag(condition_cooldown_hours=48)
    assert {a.cooldown_hours for a in evaluate(brisk, sour, history)} == {48}


def test_sour_comments_fire_without_a_day_of_history() -> None:
    # Given a brand-new hashtag (no 24 h base) whose comments are sour
    alerts = evaluate(tag(), ok(6, 400_000, 150, sentiment=mood(0.7, 40)), [ok(0, 400_000, 150)])
    # Then only the comment rule, which needs no base, speaks
    [alert] = alerts
    assert alert.rule is AlertRule.NEGATIVE_SENTIMENT and alert.window == "2026-11-02"
    assert alert.metrics == {"negative_share": 0.7, "comments_scored": 40.0, "threshold": 0.35}
    assert alert.magnitude == 2.0


def test_every_daily_rule_fires_together_in_table_order() -> None:
    # Given a day that crosses every daily threshold at once (low activity set very high)
    history, day = _day(50_000_000, 52_000_000, 100_000, 101_000)
    sour = replace(day, sentiment=mood(0.7, 40))
    limits = tag(low_activity_views=3_000_000)
    alerts = evaluate(limits, sour, history)
    # Then each fires once, in the table's order, with its threshold and texts
    assert rules(alerts) == [rule.rule for rule in DAILY_RULES]
    assert [a.metrics["threshold"] for a in alerts] == [1_000_000, 500, 3_000_000, 0.35]
    assert [a.magnitude for a in alerts] == [2.0, 2.0, 1.0, 2.0]
    assert [a.summary for a in alerts] == [
        "#trybrandx gained 2,000,000 views in 24 h.",
        "#trybrandx got 1,000 new videos in 24 h.",
        "#trybrandx gained only 2,000,000 views in 24 h (fewer than 3,000,000).",
        "70% of 40 recent comments on #trybrandx are negative.",
    ]


def test_daily_rule_thresholds_are_threshold_fields() -> None:
    fields = set(field_names(Thresholds))
    assert {rule.threshold for rule in DAILY_RULES} <= fields
    assert len({rule.rule for rule in DAILY_RULES}) == len(DAILY_RULES)


# -- uneven intervals (issue 15) --------------------------------------------------------------


def test_a_reading_12_hours_after_the_last_reads_the_viral_rule_over_the_whole_span() -> None:
    # Given a calm tag read every 12 h (no reading near 6 h back) whose count then jumped
    history = [ok(0, 5_000_000, 2_000)]
    # When 12 h later it has 400 new videos (two 6-hour windows' worth) or 399
    fired = evaluate(tag(), ok(12, 5_100_000, 2_400), history)
    quiet = evaluate(tag(), ok(12, 5_100_000, 2_399), history)
    # Then 400 fires (one of the two 6-hour windows held at least 200), 399 does not
    [alert] = [a for a in fired if a.rule is AlertRule.VIRAL]
    assert alert.metrics["threshold"] == 400 and alert.metrics["window_hours"] == 12.0
    assert alert.magnitude == 1.0 and "400 new videos in 12.0 h" in alert.summary
    assert not [a for a in quiet if a.rule is AlertRule.VIRAL]


def test_the_longer_span_needs_a_whole_extra_window_for_any_part_of_one() -> None:
    # 10 hours (past the 6-hour window's 2-hour tolerance) take two windows of at most 6:
    # 399 new videos is not enough, 400 is
    history = [ok(0, 5_000_000, 2_000)]
    assert not [a for a in evaluate(tag(), ok(10, 5_000_000, 2_399), history) if a.rule == "viral"]
    assert [a for a in evaluate(tag(), ok(10, 5_000_000, 2_400), history) if a.rule == "viral"]


def test_a_reading_too_old_is_no_base_for_the_viral_rule() -> None:
    # A reading 15 h back is past the 14 h the longer span reaches: no viral comparison
    history = [ok(0, 5_000_000, 2_000)]
    assert not [a for a in evaluate(tag(), ok(15, 5_000_000, 9_000), history) if a.rule == "viral"]


def test_a_reading_near_the_window_start_keeps_the_six_hour_rule() -> None:
    # With a reading 6 h back, growth % and the plain threshold apply, never the longer span
    history = [ok(0, 5_000_000, 2_000), ok(6, 5_000_000, 2_000)]
    [alert] = [a for a in evaluate(tag(), ok(12, 5_000_000, 2_200), history) if a.rule == "viral"]
    assert alert.metrics["window_hours"] == 6.0 and "threshold" not in alert.metrics
