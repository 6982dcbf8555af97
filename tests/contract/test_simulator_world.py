"""The simulator's world and plan limit: what benchmarks and demos rely on being true."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from hashtag_tracker_tools.simulator import DEFAULT_PROFILES, ProfileKind, World, procedural_profile
from hashtag_tracker_tools.simulator.faults import FaultBook, SlidingWindowLimit, reset_header
from hashtag_tracker_tools.simulator.world import NEGATIVE_TEXTS, NEUTRAL_TEXTS, POSITIVE_TEXTS

EPOCH = datetime(2026, 1, 5, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def six_hour_growth(world: World, name: str, end: datetime) -> tuple[int, float]:
    views0, videos0 = world.stats(name, end - timedelta(hours=6))
    views1, videos1 = world.stats(name, end)
    return videos1 - videos0, (views1 - views0) / views0


def test_viral_tag_crosses_the_viral_threshold_only_around_its_spike() -> None:
    # Given the demo world
    world = World(EPOCH)
    spike = world.spike_time("viraltag")
    assert spike == EPOCH + timedelta(hours=50)
    # Then the 6 h after the spike add >= 200 videos, and the 6 h before do not
    assert six_hour_growth(world, "viraltag", spike + timedelta(hours=6))[0] >= 200
    assert six_hour_growth(world, "viraltag", spike)[0] < 200
    # and a steady tag never does over four weeks
    for cycle in range(1, 4 * 28):
        assert six_hour_growth(world, "steadytag", EPOCH + timedelta(hours=6 * cycle))[0] < 200


def test_dead_tag_is_flat_and_decaying_tag_slows() -> None:
    world = World(EPOCH)
    week = timedelta(days=7)
    assert world.stats("deadtag", EPOCH)[1] == world.stats("deadtag", EPOCH + 4 * week)[1]
    day_views = (
        world.stats("deadtag", EPOCH + timedelta(days=1))[0] - world.stats("deadtag", EPOCH)[0]
    )
    assert day_views < 1_000  # the documented low-activity threshold
    first = world.stats("decayingtag", EPOCH + week)[1] - world.stats("decayingtag", EPOCH)[1]
    third = (
        world.stats("decayingtag", EPOCH + 3 * week)[1]
        - world.stats("decayingtag", EPOCH + 2 * week)[1]
    )
    assert third < first / 4


def test_any_name_gets_a_deterministic_profile() -> None:
    # Given 5,000 names nobody configured (non-Latin ones too)
    names = [f"tag{i}" for i in range(5_000)] + ["日本旅行", "कला"]
    # When their profiles are drawn twice
    first = [procedural_profile(n) for n in names]
    second = [procedural_profile(n) for n in names]
    # Then they are the same, and every kind occurs
    assert first == second
    assert {p.kind for p in first} == set(ProfileKind)
    world = World(EPOCH)
    assert world.stats("日本旅行", EPOCH + timedelta(days=3))[1] > 0


def test_configured_names_keep_their_configured_profile() -> None:
    world = World(EPOCH)
    assert world.profile("trybrandx") == DEFAULT_PROFILES["trybrandx"]


def test_comment_texts_score_as_labelled_by_vader() -> None:
    analyzer = SentimentIntensityAnalyzer()
    assert all(analyzer.polarity_scores(t)["compound"] >= 0.05 for t in POSITIVE_TEXTS)
    assert all(analyzer.polarity_scores(t)["compound"] <= -0.05 for t in NEGATIVE_TEXTS)
    assert all(-0.05 < analyzer.polarity_scores(t)["compound"] < 0.05 for t in NEUTRAL_TEXTS)


def test_comments_carry_the_profiles_sentiment_mix() -> None:
    # Given a video with many comments on a tag whose crowd is mostly negative
    world = World(EPOCH)
    when = EPOCH + timedelta(days=10)
    total = world.profile("colacrew").videos_at(world.hours(when))
    video = max(
        (world.video("colacrew", total - 1 - i, when) for i in range(30)), key=lambda v: v.comments
    )
    comments, _ = world.comments(video, when, 0, 40)
    assert len(comments) == 40
    # Then 40 comments hold exactly the configured shares (0.3 positive, 0.45 negative)
    labels = [c.sentiment for c in comments]
    assert labels.count("positive") == 12
    assert labels.count("negative") == 18


def test_video_counters_only_grow_with_time() -> None:
    world = World(EPOCH)
    t1, t2 = EPOCH + timedelta(days=2), EPOCH + timedelta(days=3)
    a, b = world.video("trybrandx", 310, t1), world.video("trybrandx", 310, t2)
    assert a.video_id == b.video_id and a.created_at == b.created_at
    assert (b.plays, b.likes, b.shares) >= (a.plays, a.likes, a.shares)


def test_sliding_window_limit_refuses_the_extra_call_until_a_slot_frees() -> None:
    # Given a 10/min plan where a minute lasts 1 s (scale 60), on a fake monotonic clock
    now = [100.0]
    limit = SlidingWindowLimit(10, time_scale=60, monotonic=lambda: now[0])
    verdicts = [limit.check() for _ in range(11)]
    # Then the 11th inside the window is refused, saying when the oldest slot frees
    assert [v.allowed for v in verdicts] == [True] * 10 + [False]
    assert verdicts[-1].reset_in_seconds == pytest.approx(1.0)
    now[0] += 1.0
    assert limit.check().allowed


def test_the_reset_header_is_never_early() -> None:
    # A client that waits until X-RateLimit-Reset must not come back before the window frees:
    # the reset is rounded up, to the millisecond on a scaled plan, to the second on a real one
    assert reset_header(1_800_000_000.0, 0.2501, time_scale=120) == "1800000000.251"
    assert reset_header(1_800_000_000.0, 0.25, time_scale=120) == "1800000000.250"
    assert reset_header(1_800_000_000.0, 30.2, time_scale=1) == "1800000031"


def test_fault_counts_are_used_up_per_hashtag_first() -> None:
    book = FaultBook()
    book.set("a", {"server_errors": 1})
    book.set(None, {"server_errors": 1})
    assert book.take("server_errors", "hashtag", "a") is not None  # a's own
    assert book.take("server_errors", "hashtag", "a") is not None  # then the global one
    assert book.take("server_errors", "hashtag", "a") is None
    with pytest.raises(ValueError):
        book.set(None, {"nonsense": 1})


def test_standalone_command_serves_and_prints_its_url_and_key() -> None:
    # Given the documented command on a free port
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hashtag_tracker_tools.simulator",
            "--port",
            "0",
            "--rate-limit",
            "10",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" at ")[1].strip()
        key = process.stdout.readline().split(": ")[1].strip()
        # When a client calls it
        answer = requests.post(
            url + "/api/v1/tiktok/hashtag",
            json={"hashtag_name": "trybrandx"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=5,
        )
        # Then it answers in the documented envelope with the plan's headers
        assert answer.status_code == 200
        assert answer.json()["data"]["challengeInfo"]["stats"]["videoCount"] > 0
        assert answer.headers["X-RateLimit-Limit"] == "10"
    finally:
        process.terminate()
        process.wait(timeout=5)
