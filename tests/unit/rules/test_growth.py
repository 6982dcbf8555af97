"""Window growth: the base snapshot, irregular spacing, gaps, no base, and falls."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hashtag_tracker.models.codec import replace
from hashtag_tracker.rules.growth import (
    DAY_TOLERANCE,
    DAY_WINDOW,
    VIRAL_TOLERANCE,
    VIRAL_WINDOW,
    find_base,
    window_growth,
)
from tests.unit.rules.builders import at, missing, ok, suspect


def test_growth_over_six_hours_gives_deltas_velocity_and_percent() -> None:
    # Given two snapshots six hours apart
    history = [ok(0, 1_000_000, 400)]
    now = ok(6, 1_300_000, 500)

    # When growth over the 6-hour window is computed
    growth = window_growth(now, history, VIRAL_WINDOW, VIRAL_TOLERANCE)

    # Then the deltas, per-hour velocity and growth % are against the base
    assert growth is not None
    assert growth.base_cycle == at(0)
    assert growth.hours == 6
    assert growth.views.rise == 300_000
    assert growth.views.per_hour == 50_000
    assert growth.views.pct == pytest.approx(30.0)
    assert growth.videos.rise == 100
    assert growth.videos.pct == pytest.approx(25.0)
    assert growth.decreased == ()


def test_base_is_the_nearest_usable_snapshot_at_or_before_the_window_start() -> None:
    # Given irregular spacing (4-hour cycles): nothing exactly 6 h back
    history = [ok(0, 100, 10), ok(4, 200, 20), ok(8, 300, 30)]
    now = ok(12, 400, 40)

    # When the base is chosen
    base = find_base(now, history, VIRAL_WINDOW, VIRAL_TOLERANCE)

    # Then it is the snapshot 8 h back (at or before t−6h), not the closer one after it
    assert base is not None and base.cycle == at(4)
    growth = window_growth(now, history, VIRAL_WINDOW, VIRAL_TOLERANCE)
    assert growth is not None and growth.hours == 8 and growth.views.per_hour == 25


def test_a_gap_longer_than_the_tolerance_gives_no_comparison() -> None:
    # Given the snapshot 6 h back is missing and the one before is 12 h back
    history = [ok(0, 100, 10), missing(6)]
    now = ok(12, 400, 40)

    # Then there is no 6-hour growth (no base within 2 h of t−6h)
    assert window_growth(now, history, VIRAL_WINDOW, VIRAL_TOLERANCE) is None


def test_day_window_tolerates_one_missed_cycle() -> None:
    # Given the snapshot 24 h back is missing, one 30 h back exists
    history = [ok(0, 1_000, 10), missing(6), ok(12, 1_500, 12)]
    now = ok(30, 5_000, 20)

    # When the 24-hour growth is computed
    growth = window_growth(now, history, DAY_WINDOW, DAY_TOLERANCE)

    # Then it uses the 30-hour-old base and its real elapsed time
    assert growth is not None and growth.base_cycle == at(0) and growth.hours == 30


def test_suspect_and_missing_snapshots_are_never_a_base() -> None:
    # Given the only snapshot 6 h back is a zero glitch
    history = [suspect(0)]
    now = ok(6, 1_000, 10)

    # Then there is no growth (a 0 base would make everything look viral)
    assert window_growth(now, history, VIRAL_WINDOW, VIRAL_TOLERANCE) is None


def test_an_unusable_snapshot_has_no_growth() -> None:
    history = [ok(0, 1_000, 10)]
    assert window_growth(suspect(6), history, VIRAL_WINDOW, VIRAL_TOLERANCE) is None


def test_no_history_means_no_comparison() -> None:
    assert window_growth(ok(6, 1_000, 10), [], VIRAL_WINDOW, VIRAL_TOLERANCE) is None


def test_a_fall_is_flagged_and_never_counted_as_growth() -> None:
    # Given videos went down (deleted videos) while views went up
    history = [ok(0, 1_000_000, 500)]
    now = ok(6, 1_100_000, 450)

    # When growth is computed
    growth = window_growth(now, history, VIRAL_WINDOW, VIRAL_TOLERANCE)

    # Then the fall is a data-quality flag with zero growth, not a negative one
    assert growth is not None
    assert growth.decreased == ("videos",)
    assert growth.videos.delta == -50 and growth.videos.rise == 0
    assert growth.videos.pct == 0 and growth.videos.per_hour == 0


def test_a_rebound_after_a_fall_is_not_growth() -> None:
    # Given views fell at the base (deleted videos) and came back to their earlier high
    history = [ok(0, 2_000_000, 500), ok(6, 1_000_000, 500)]
    now = ok(12, 2_000_000, 500)

    # When growth over 6 h is computed from the dip
    growth = window_growth(now, history, VIRAL_WINDOW, VIRAL_TOLERANCE)

    # Then it is measured from the earlier high: no growth, not +100 %
    assert growth is not None and growth.views.rise == 0 and growth.views.pct == 0


def test_growth_pct_is_none_from_a_zero_start() -> None:
    history = [ok(0, 0, 0)]
    growth = window_growth(ok(6, 500, 5), history, VIRAL_WINDOW, VIRAL_TOLERANCE)
    assert growth is not None and growth.views.pct is None and growth.views.rise == 500


def test_late_worker_time_does_not_move_the_base() -> None:
    # Given the previous snapshot was taken 20 min into its cycle, this one on time
    base = replace(ok(0, 1_000, 10), taken_at=at(0) + timedelta(minutes=20))
    growth = window_growth(ok(6, 2_000, 20), [base], VIRAL_WINDOW, VIRAL_TOLERANCE)

    # Then the cycle picks the base and the velocity uses the real elapsed time
    assert growth is not None and growth.base_cycle == at(0)
    assert growth.hours == pytest.approx(5 + 40 / 60)


def test_a_snapshot_taken_long_after_its_cycle_gives_no_comparison() -> None:
    # Given the 06:00 snapshot was only taken the next day (its message waited in the DLQ)
    late = replace(ok(6, 2_000, 20), taken_at=at(25))
    # When its 6-hour growth is asked for, Then there is none: 25 h of growth is not 6 h's
    assert window_growth(late, [ok(0, 1_000, 10)], VIRAL_WINDOW, VIRAL_TOLERANCE) is None
    # And a few minutes late is still compared
    prompt = replace(ok(6, 2_000, 20), taken_at=at(6) + timedelta(minutes=30))
    assert window_growth(prompt, [ok(0, 1_000, 10)], VIRAL_WINDOW, VIRAL_TOLERANCE) is not None


@pytest.mark.parametrize("cycle_hours", [4, 8])
def test_a_few_minutes_of_lateness_keeps_the_comparison_on_4_and_8_hour_schedules(
    cycle_hours: int,
) -> None:
    # Given a schedule whose 6-hour base sits 8 h back, and a fetch a minute later in its
    # cycle than the base's
    base = replace(ok(0, 1_000, 10), taken_at=at(0) + timedelta(minutes=10))
    now = replace(ok(8, 2_000, 20), taken_at=at(8) + timedelta(minutes=11))
    # Then the growth is still compared
    assert window_growth(now, [base], VIRAL_WINDOW, VIRAL_TOLERANCE) is not None
