"""Day over day (rules.day_over_day): the label at the edges of its ±10 % band, and which
readings it compares (never a guess when one of the three is missing)."""

from __future__ import annotations

import pytest

from hashtag_tracker.rules.day_over_day import STABLE_BAND, DayLabel, day_over_day, label_for
from tests.unit.rules.builders import at, missing, ok, suspect


@pytest.mark.parametrize(
    ("today", "yesterday", "label"),
    [
        # exactly +10 % is rising; one view less is stable
        (1_100, 1_000, DayLabel.RISING),
        (1_099, 1_000, DayLabel.STABLE),
        # exactly −10 % is falling; one view more is stable
        (900, 1_000, DayLabel.FALLING),
        (901, 1_000, DayLabel.STABLE),
        (1_000, 1_000, DayLabel.STABLE),
        # from nothing: any new view is rising, none is stable
        (1, 0, DayLabel.RISING),
        (0, 0, DayLabel.STABLE),
        # to nothing: falling
        (0, 1, DayLabel.FALLING),
        # a band of 10 % of 1 view: 1 against 1 stays stable
        (1, 1, DayLabel.STABLE),
    ],
)
def test_label_at_the_band_edges(today: int, yesterday: int, label: DayLabel) -> None:
    assert STABLE_BAND == 0.10
    assert label_for(today, yesterday) is label


def test_a_narrower_band_moves_the_edges() -> None:
    assert label_for(1_050, 1_000, band=0.05) is DayLabel.RISING
    assert label_for(1_049, 1_000, band=0.05) is DayLabel.STABLE
    assert label_for(950, 1_000, band=0.05) is DayLabel.FALLING


def _three_days(last_day_views: int) -> list:  # type: ignore[type-arg]
    # 48 h ago: 10,000; 24 h ago: 11,000 (yesterday +1,000); now: 11,000 + last_day_views
    return [ok(0, 10_000, 100), ok(24, 11_000, 110), ok(48, 11_000 + last_day_views, 120)]


@pytest.mark.parametrize(
    ("last_day", "label"),
    [(1_100, DayLabel.RISING), (1_099, DayLabel.STABLE), (900, DayLabel.FALLING)],
)
def test_day_over_day_compares_the_last_24_hours_with_the_24_before(
    last_day: int, label: DayLabel
) -> None:
    result = day_over_day(_three_days(last_day), at(48))
    assert result is not None
    assert (result.today, result.yesterday, result.label) == (last_day, 1_000, label)
    assert result.ratio == pytest.approx(last_day / 1_000)


def test_readings_after_now_are_not_used() -> None:
    snapshots = [*_three_days(2_000), ok(54, 20_000, 130)]
    result = day_over_day(snapshots, at(48))
    assert result is not None and result.today == 2_000


def test_the_comparison_readings_may_sit_up_to_6_hours_off_but_not_more() -> None:
    # The reading nearest 24 h before sits 6 h off (at 18 h): still used ...
    within = [ok(0, 10_000, 100), ok(18, 10_600, 105), ok(48, 12_000, 120)]
    result = day_over_day(within, at(48))
    assert result is not None and (result.today, result.yesterday) == (1_400, 600)
    # ... 7 h off (at 17 h) it is not, and there is no label at all
    beyond = [ok(0, 10_000, 100), ok(17, 10_600, 105), ok(48, 12_000, 120)]
    assert day_over_day(beyond, at(48)) is None


def test_no_label_without_three_usable_readings() -> None:
    assert day_over_day([], at(48)) is None
    assert day_over_day([ok(24, 11_000, 110), ok(48, 12_000, 120)], at(48)) is None
    # a missing or suspect reading is never a base
    assert day_over_day([missing(0), ok(24, 11_000, 110), ok(48, 12_000, 120)], at(48)) is None
    assert day_over_day([suspect(0), ok(24, 11_000, 110), ok(48, 12_000, 120)], at(48)) is None


def test_counts_that_went_down_are_no_negative_day() -> None:
    result = day_over_day([ok(0, 10_000, 100), ok(24, 11_000, 110), ok(48, 10_500, 105)], at(48))
    assert result is not None
    assert (result.today, result.yesterday, result.label) == (0, 1_000, DayLabel.FALLING)
