"""The anomaly rule: robust z on log growth, the short-history fallback, 'dead' campaigns."""

from __future__ import annotations

from hashtag_tracker.report.anomaly import combine, detect_anomaly, flag_weeks
from hashtag_tracker.report.model import AnomalyKind, AnomalyMethod

REGULAR = [10_000.0, 11_000.0, 9_500.0, 10_500.0, 10_200.0]


def test_a_week_far_above_a_regular_history_is_a_robust_z_spike() -> None:
    # Given five ordinary weeks of ~10k views
    # When a week brings 60k
    verdict = detect_anomaly(60_000, REGULAR)
    # Then it is a spike by the robust z rule, with its score above 3.5
    assert verdict.kind is AnomalyKind.SPIKE
    assert verdict.method is AnomalyMethod.ROBUST_Z
    assert verdict.score is not None and verdict.score > 3.5
    assert verdict.history_weeks == 5


def test_ordinary_variation_is_not_an_anomaly_even_when_history_is_perfectly_flat() -> None:
    # Given weeks of identical growth (MAD = 0; the floor keeps z finite)
    flat = [10_000.0] * 6
    # When this week is 60 % higher, or 40 % lower
    # Then nothing is flagged: the MAD floor demands about x2.2 before calling it odd
    assert detect_anomaly(16_000, flat).kind is AnomalyKind.NONE
    assert detect_anomaly(6_000, flat).kind is AnomalyKind.NONE
    assert detect_anomaly(25_000, flat).kind is AnomalyKind.SPIKE


def test_a_week_far_below_history_is_a_drop_and_near_zero_is_dead() -> None:
    assert detect_anomaly(2_000, REGULAR).kind is AnomalyKind.DROP
    dead = detect_anomaly(100, REGULAR)
    assert dead.kind is AnomalyKind.DEAD
    # A counter that went backwards is no growth at all, not a negative log
    assert detect_anomaly(-5_000, REGULAR).kind is AnomalyKind.DEAD


def test_with_fewer_than_four_weeks_the_fallback_compares_with_their_median() -> None:
    # Given only one earlier week of 10k views
    # When this week triples it, or falls to a third, or stays in between
    spike = detect_anomaly(30_000, [10_000])
    drop = detect_anomaly(3_000, [10_000])
    normal = detect_anomaly(25_000, [10_000])
    # Then the ratio rule decides, and says it used the fallback
    assert (spike.kind, spike.method) == (AnomalyKind.SPIKE, AnomalyMethod.FALLBACK)
    assert drop.kind is AnomalyKind.DROP
    assert normal.kind is AnomalyKind.NONE
    assert normal.score == 2.5
    # With three earlier weeks their median (not the last one) is the reference
    assert detect_anomaly(30_000, [9_000, 10_000, 50_000]).reference == 10_000


def test_growth_collapsing_after_real_activity_is_dead_in_the_fallback_too() -> None:
    verdict = detect_anomaly(0, [2_400, 2_500], metric="videos")
    assert verdict.kind is AnomalyKind.DEAD
    assert verdict.metric == "videos"


def test_tiny_tags_do_not_flap_below_the_minimum_activity() -> None:
    # 1 -> 4 new videos a week is x4, but below the minimum of 5 new videos a week
    assert detect_anomaly(4, [1], metric="videos").kind is AnomalyKind.NONE
    # a tag that never had activity cannot "die"
    assert detect_anomaly(0, [3, 4, 2, 3], metric="videos").kind is AnomalyKind.NONE


def test_no_history_or_no_data_gives_no_verdict() -> None:
    assert detect_anomaly(50_000, []).method is AnomalyMethod.INSUFFICIENT_HISTORY
    assert detect_anomaly(None, REGULAR).method is AnomalyMethod.NO_DATA
    assert not detect_anomaly(None, REGULAR).flagged


def test_each_week_is_judged_against_the_other_weeks_of_the_window() -> None:
    # Given a spike in the first week, ordinary weeks after it, and a week without data
    growths: list[float | None] = [50_000, 10_000, None, 10_500, 9_800]
    # When every week is judged against the others
    verdicts = flag_weeks(growths, "views")
    # Then only the spike week is flagged, and the gap has no verdict (never a zero)
    assert [v.kind for v in verdicts] == [
        AnomalyKind.SPIKE,
        AnomalyKind.NONE,
        AnomalyKind.NONE,
        AnomalyKind.NONE,
        AnomalyKind.NONE,
    ]
    assert verdicts[2].method is AnomalyMethod.NO_DATA


def test_combine_prefers_views_and_falls_back_to_videos() -> None:
    views_ok = detect_anomaly(10_000, REGULAR)
    videos_dead = detect_anomaly(0, [100, 120, 110], metric="videos")
    assert combine(views_ok, videos_dead).metric == "videos"
    views_spike = detect_anomaly(90_000, REGULAR)
    assert combine(views_spike, videos_dead).metric == "views"
