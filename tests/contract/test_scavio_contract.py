"""The Scavio client against the simulator over real HTTP: every endpoint, every fault."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import requests

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.source.base import HashtagStats
from hashtag_tracker.source.errors import (
    AuthError,
    HashtagNotFoundError,
    MalformedResponseError,
    OutOfCreditsError,
    RateLimitedError,
    SourceError,
    TransientError,
    VideoNotFoundError,
)
from hashtag_tracker.source.quality import StatsQuality, classify_stats
from hashtag_tracker.source.scavio import HASHTAG, plan_slot_seconds
from hashtag_tracker_tools.simulator import ALWAYS, Simulator
from tests.contract.conftest import Client

pytestmark = pytest.mark.contract

WALL = 1_800_000_000.0  # the fake wall clock's start, where a test fixes it


def test_stats_videos_and_comments_round_trip(sim: Simulator, client: Client) -> None:
    # Given the demo brand campaign a few days in
    sim.clock.advance(timedelta(hours=60))  # type: ignore[attr-defined]
    # When the client reads its stats, pages through the video sample and reads comments
    stats = client.provider.hashtag_stats("trybrandx")
    videos, cursor = [], "0"
    while True:
        page = client.provider.hashtag_videos(stats.hashtag_id, cursor, 30)
        videos.extend(page.videos)
        if not page.has_more:
            break
        cursor = page.cursor
    comments = client.provider.video_comments(max(videos, key=lambda v: v.plays).video_id)
    # Then the counters are the world's, the sample is the capped newest-first list,
    assert (stats.views, stats.videos) == sim.expected_stats("trybrandx")
    assert len(videos) == sim.video_sample_cap == 90
    assert [v.created_at for v in videos] == sorted((v.created_at for v in videos), reverse=True)
    assert all(v.author_followers and v.author_followers > 0 for v in videos)
    assert comments.comments and comments.credits_used == 1
    # and the ground truth saw exactly what the client saw, charging 1 credit per success
    truth = sim.truth()
    assert truth.served_videos["trybrandx"] == [v.video_id for v in videos]
    assert truth.served_creators["trybrandx"] == {v.author_id: v.author_followers for v in videos}
    assert truth.calls == {"hashtag": 1, "videos": 3, "comments": 1}
    assert truth.credits_charged == truth.succeeded == len(client.records) == 5


def test_new_videos_in_the_list_match_the_growth_of_video_count(
    sim: Simulator, client: Client
) -> None:
    # Given a steady tag read now and 6 hours later
    before = client.provider.hashtag_stats("steadytag")
    sim.clock.advance(timedelta(hours=6))  # type: ignore[attr-defined]
    after = client.provider.hashtag_stats("steadytag")
    # When the newest videos are listed
    page = client.provider.hashtag_videos(after.hashtag_id, "0", 30)
    # Then exactly the new videos carry a create time inside the 6 hours
    then = sim.truth().now - timedelta(hours=6)
    new = [v for v in page.videos if v.created_at > then]
    assert len(new) == after.videos - before.videos > 0


def test_plan_rate_limit_refuses_the_extra_call_with_documented_headers(sim: Simulator) -> None:
    # Given a plan of 5 calls a minute (real minutes)
    sim.set_rate_limit(5, time_scale=1.0)
    url = sim.base_url + HASHTAG
    headers = {"Authorization": f"Bearer {sim.api_key}"}
    # When 6 calls are made at once
    answers = [
        requests.post(url, json={"hashtag_name": "steadytag"}, headers=headers, timeout=5)
        for _ in range(6)
    ]
    # Then the first 5 succeed, counting down the remaining calls
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    refused = answers[5]
    # and the 6th is a 429 with the error envelope and the documented headers
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert refused.headers["X-RateLimit-Limit"] == "5"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    reset = float(refused.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61
    # and the truth counts the violation, and charges only the calls that succeeded
    truth = sim.truth()
    assert truth.rate_limit_violations == 1
    assert truth.credits_charged == truth.succeeded == 5


def test_client_hands_the_work_back_on_a_long_rate_limit(sim: Simulator, client: Client) -> None:
    # Given a 5/min plan already used up
    sim.set_rate_limit(5, time_scale=1.0)
    for _ in range(5):
        client.provider.hashtag_stats("steadytag")
    # When one more call is made
    with pytest.raises(RateLimitedError) as caught:
        client.provider.hashtag_stats("steadytag")
    # Then it says when to come back (within the minute) and did not sleep
    assert 0 < caught.value.retry_after_seconds <= 61
    assert client.sleeps == []


def test_client_waits_out_a_short_scaled_rate_limit(clock: ManualClock) -> None:
    # Given a 5/min plan where a minute lasts 0.5 s, on a fake clock that only the client's
    # sleeps move (the simulator's window and both wall clocks read it: no real sleep, no
    # dependence on the machine's speed), and a client that knows the plan (one slot:
    # 0.5 s / 5)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def wall() -> float:
        return WALL + now[0]

    with Simulator(clock, monotonic=lambda: now[0], wall_time=wall) as sim:
        sim.set_rate_limit(5, time_scale=120.0)
        client = Client(sim, sleep=sleep, wall_time=wall, min_429_wait=plan_slot_seconds(5, 0.5))
        # When 6 calls are made back to back
        results = [client.provider.hashtag_stats("steadytag") for _ in range(6)]
    # Then all succeed: the 6th waited for the window's reset after one 429
    assert len(results) == 6
    assert now[0] == 0.5
    truth = sim.truth()
    assert truth.rate_limit_violations == 1
    assert truth.credits_charged == 6


def test_5xx_burst_is_retried_and_recovers(sim: Simulator, client: Client) -> None:
    sim.set_faults("steadytag", server_errors=2)
    stats = client.provider.hashtag_stats("steadytag")
    assert (stats.views, stats.videos) == sim.expected_stats("steadytag")
    assert [r.status for r in client.records] == [500, 500, 200]
    assert len(client.sleeps) == 2
    assert sim.truth().credits_charged == 1


def test_persistent_5xx_becomes_transient_error(sim: Simulator, client: Client) -> None:
    sim.set_faults(server_errors=ALWAYS)
    with pytest.raises(TransientError):
        client.provider.hashtag_stats("steadytag")
    assert sim.truth().calls["hashtag"] == 4
    assert sim.truth().credits_charged == 0


def test_slow_answer_times_out_and_is_retried(sim: Simulator) -> None:
    # Given one answer that hangs until the client gives up (so it outlasts any timeout), and
    # a timeout far above a normal answer (a few ms), so the retry never times out
    sim.set_faults(slow=1)
    client = Client(sim, timeout=1.0)
    # When called, Then the timeout is retried and the second answer is used
    stats = client.provider.hashtag_stats("steadytag")
    assert stats.videos == sim.expected_stats("steadytag")[1]
    assert [r.status for r in client.records] == [None, 200]


def test_always_slow_becomes_transient_error(sim: Simulator) -> None:
    # Every answer hangs until the client gives up: no answer is ever on time
    sim.set_faults(slow=ALWAYS)
    client = Client(sim, timeout=0.15, max_retries=1)
    with pytest.raises(TransientError):
        client.provider.hashtag_stats("steadytag")


def test_malformed_json_is_a_typed_error(sim: Simulator, client: Client) -> None:
    sim.set_faults(malformed_json=1)
    with pytest.raises(MalformedResponseError):
        client.provider.hashtag_stats("steadytag")
    # the broken 200 was still charged, and the client made a single call
    assert sim.truth().credits_charged == 1
    assert len(client.records) == 1


@pytest.mark.parametrize("endpoint", ["hashtag", "videos", "comments"])
def test_missing_fields_are_typed_errors_on_every_endpoint(
    sim: Simulator, client: Client, endpoint: str
) -> None:
    # Given the ids the later calls need
    stats = client.provider.hashtag_stats("steadytag")
    video = client.provider.hashtag_videos(stats.hashtag_id, "0", 5).videos[0]
    # When the next answer on that endpoint lacks a documented field
    sim.set_faults(missing_fields=1)
    call: dict[str, Any] = {
        "hashtag": lambda: client.provider.hashtag_stats("steadytag"),
        "videos": lambda: client.provider.hashtag_videos(stats.hashtag_id, "0", 5),
        "comments": lambda: client.provider.video_comments(video.video_id),
    }
    # Then it is MalformedResponseError, not a result with zeros
    with pytest.raises(MalformedResponseError):
        call[endpoint]()


def test_zero_glitch_is_classified_suspect(sim: Simulator, client: Client) -> None:
    # Given a usable reading, then the upstream glitch on the next one
    first = client.provider.hashtag_stats("steadytag")
    sim.clock.advance(timedelta(hours=6))  # type: ignore[attr-defined]
    sim.set_faults("steadytag", zero_videos=1)
    glitched = client.provider.hashtag_stats("steadytag")
    # Then the zero is kept apart as suspect, never taken as data
    assert glitched.videos == 0
    assert classify_stats(glitched, [first]) is StatsQuality.SUSPECT


def test_counts_going_down_are_flagged(sim: Simulator, client: Client) -> None:
    first = client.provider.hashtag_stats("trybrandx")
    sim.clock.advance(timedelta(hours=6))  # type: ignore[attr-defined]
    sim.set_faults("trybrandx", counts_down=1)
    lower = client.provider.hashtag_stats("trybrandx")
    assert 0 < lower.videos < first.videos
    assert classify_stats(lower, [first]) is StatsQuality.DECREASED


@pytest.mark.parametrize("knob", ["unauthorized", "forbidden"])
def test_refused_key_is_fatal_and_not_retried(sim: Simulator, client: Client, knob: str) -> None:
    sim.set_faults(**{knob: ALWAYS})
    with pytest.raises(AuthError) as caught:
        client.provider.hashtag_stats("steadytag")
    assert len(client.records) == 1
    assert sim.api_key not in str(caught.value)


def test_wrong_key_is_refused(sim: Simulator) -> None:
    client = Client(sim)
    client.provider = type(client.provider)(sim.base_url, lambda: "not-the-key")
    with pytest.raises(AuthError) as caught:
        client.provider.hashtag_stats("steadytag")
    assert "not-the-key" not in str(caught.value)


def test_out_of_credits(sim: Simulator, client: Client) -> None:
    sim.set_faults(out_of_credits=1)
    with pytest.raises(OutOfCreditsError):
        client.provider.hashtag_stats("steadytag")
    assert sim.truth().credits_charged == 0


def test_an_exhausted_balance_answers_402(clock: Any) -> None:
    with Simulator(clock, credits=1) as sim:
        client = Client(sim)
        client.provider.hashtag_stats("steadytag")
        with pytest.raises(OutOfCreditsError):
            client.provider.hashtag_stats("steadytag")


def test_unknown_hashtag_and_video_are_not_found(sim: Simulator, client: Client) -> None:
    with pytest.raises(HashtagNotFoundError):
        client.provider.hashtag_stats("nosuchtag")
    with pytest.raises(HashtagNotFoundError):
        client.provider.hashtag_videos("123", "0", 30)
    with pytest.raises(VideoNotFoundError):
        client.provider.video_comments("7000000000000000000")


def test_faults_set_for_one_hashtag_leave_the_others_alone(sim: Simulator, client: Client) -> None:
    sim.set_faults("viraltag", server_errors=ALWAYS)
    assert client.provider.hashtag_stats("steadytag").videos > 0
    with pytest.raises(TransientError):
        client.provider.hashtag_stats("viraltag")


FAULTS: list[dict[str, Any]] = [
    {"server_errors": ALWAYS},
    {"slow": ALWAYS},
    {"malformed_json": ALWAYS},
    {"missing_fields": ALWAYS},
    {"zero_videos": ALWAYS},
    {"zero_views": ALWAYS},
    {"counts_down": ALWAYS},
    {"unauthorized": ALWAYS},
    {"forbidden": ALWAYS},
    {"out_of_credits": ALWAYS},
]


@pytest.mark.parametrize("knobs", FAULTS, ids=lambda k: next(iter(k)))
def test_no_fault_ever_yields_a_usable_zero(sim: Simulator, knobs: dict[str, Any]) -> None:
    # Given a usable first reading (a timeout far above a normal answer's few ms), then a
    # fault on every answer (a slow one hangs until the client gives up)
    client = Client(sim, timeout=1.0, max_retries=1)
    first = client.provider.hashtag_stats("steadytag")
    sim.set_faults("steadytag", **knobs)
    # When read again
    try:
        fresh: HashtagStats | None = client.provider.hashtag_stats("steadytag")
    except SourceError:
        fresh = None
    # Then it is either a typed error, or counters that are non-zero or classified suspect
    if fresh is not None:
        zero = fresh.views == 0 or fresh.videos == 0
        assert not zero or classify_stats(fresh, [first]) is StatsQuality.SUSPECT


def test_admin_endpoint_arms_faults_and_truth_is_served(sim: Simulator, client: Client) -> None:
    # Given a fault armed over HTTP
    armed = requests.post(
        sim.base_url + "/_sim/faults",
        json={"hashtag": "steadytag", "faults": {"unauthorized": 1}},
        timeout=5,
    )
    assert armed.status_code == 200
    # When the client calls twice
    with pytest.raises(AuthError):
        client.provider.hashtag_stats("steadytag")
    client.provider.hashtag_stats("steadytag")
    # Then the truth endpoint reports what happened
    truth = requests.get(sim.base_url + "/_sim/truth", timeout=5).json()
    assert truth["calls"]["hashtag"] == 2
    assert truth["answers"] == {"200": 1, "401": 1}
    assert truth["credits_charged"] == 1
    assert truth["spike_times"]["viraltag"] == "2026-01-07T02:00:00Z"


def test_admin_refuses_unknown_knobs(sim: Simulator) -> None:
    answer = requests.post(
        sim.base_url + "/_sim/faults", json={"faults": {"explode": 1}}, timeout=5
    )
    assert answer.status_code == 400
