"""Data quality of a fresh stats answer against the previous usable counters."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hashtag_tracker.source.base import HashtagStats
from hashtag_tracker.source.quality import StatsQuality, assess_stats, classify_stats


@dataclass
class Prior:
    views: int | None
    videos: int | None


def stats(views: int, videos: int) -> HashtagStats:
    return HashtagStats("1", "t", views, videos, 1)


def test_growing_counters_are_ok() -> None:
    assert classify_stats(stats(2_000, 20), [Prior(1_000, 10)]) is StatsQuality.OK


def test_a_zero_with_no_usable_reading_before_it_is_never_a_baseline() -> None:
    """Issue 16: a first reading of 0 (the upstream glitch, or a brand-new tag) is kept apart
    as suspect, so the next non-zero reading is not read as growth from 0."""
    # Given no usable history (a first reading, or one whose history expired)
    report = assess_stats(stats(0, 0), [])
    # Then the zeros are no baseline, and say why
    assert report.quality is StatsQuality.SUSPECT and not report.usable
    assert report.unbased == ("views", "videos")
    assert report.reason == "zero_without_baseline"
    # And the first non-zero reading after it is an ordinary, usable first reading
    assert classify_stats(stats(1_000_000, 3_662), []) is StatsQuality.OK


def test_a_first_reading_above_zero_is_ok() -> None:
    assert classify_stats(stats(5, 1), []) is StatsQuality.OK


def test_zero_videos_after_a_non_zero_value_is_suspect() -> None:
    # Given the known upstream glitch: videoCount 0 while views are fine
    report = assess_stats(stats(5_000, 0), [Prior(4_000, 12)])
    # Then it is suspect (kept apart), naming the counter
    assert report.quality is StatsQuality.SUSPECT
    assert report.zeroed == ("videos",)
    assert not report.usable


def test_zero_views_is_compared_with_the_newest_known_value() -> None:
    # Given history oldest first, the newest with views unknown
    history = [Prior(0, 0), Prior(900, 9), Prior(None, None)]
    assert classify_stats(stats(0, 9), history) is StatsQuality.SUSPECT


def test_zero_after_zero_is_not_a_glitch() -> None:
    assert classify_stats(stats(0, 0), [Prior(0, 0)]) is StatsQuality.OK


def test_counts_going_down_are_flagged_but_usable() -> None:
    # Given deleted videos: fewer videos than last time
    report = assess_stats(stats(5_000, 8), [Prior(4_000, 12)])
    # Then a data-quality event, still real data
    assert report.quality is StatsQuality.DECREASED
    assert report.decreased == ("videos",)
    assert report.usable


def test_absurd_counts_and_times_are_malformed_never_stored() -> None:
    # Given counters and times no real answer holds (DynamoDB stores at most 38 digits)
    from hashtag_tracker.source.errors import MalformedResponseError
    from hashtag_tracker.source.shapes import count, timestamp

    for bad_count in (10**18, 10**45, "9" * 40, "²", "9" * 5000):
        with pytest.raises(MalformedResponseError):
            count(bad_count, "viewCount")
    for bad_time in (1e20, float("inf"), 10**20):
        with pytest.raises(MalformedResponseError):
            timestamp(bad_time, "create_time")
    # And real values pass
    assert count(2_500_000_000, "viewCount") == 2_500_000_000
    assert timestamp(1_764_000_000.5, "create_time").year == 2025
