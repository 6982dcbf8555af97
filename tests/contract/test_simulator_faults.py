"""Issue 16, simulator half: the faults and billing switches tests script, over raw HTTP."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests

from hashtag_tracker.clock import ManualClock
from hashtag_tracker_tools.simulator import ALWAYS, Simulator
from hashtag_tracker_tools.simulator.faults import FaultBook

pytestmark = pytest.mark.contract

WALL = 1_800_000_000.0


def post(sim: Simulator, tag: str, path: str = "/api/v1/tiktok/hashtag") -> requests.Response:
    return requests.post(
        sim.base_url + path,
        json={"hashtag_name": tag},
        headers={"Authorization": f"Bearer {sim.api_key}"},
        timeout=5,
    )


def stats_of(answer: requests.Response) -> dict[str, Any]:
    stats: dict[str, Any] = answer.json()["data"]["challengeInfo"]["stats"]
    return stats


@pytest.fixture
def fixed_wall(clock: ManualClock) -> Any:
    with Simulator(clock, wall_time=lambda: WALL) as simulator:
        yield simulator


def test_zero_first_spoils_only_a_hashtags_first_stats_answer(sim: Simulator) -> None:
    # Given the first-reading glitch armed for every hashtag
    sim.set_faults(zero_first=ALWAYS)
    # When two tags are read twice, 6 hours apart
    first = [stats_of(post(sim, tag)) for tag in ("steadytag", "deadtag")]
    sim.clock.advance(timedelta(hours=6))  # type: ignore[attr-defined]
    second = [stats_of(post(sim, tag)) for tag in ("steadytag", "deadtag")]
    # Then each first answer says 0 and 0, and the next ones the world's counts
    assert first == [{"videoCount": 0, "viewCount": 0}] * 2
    views, videos = sim.expected_stats("steadytag")
    assert second[0] == {"videoCount": videos, "viewCount": views}
    # and the zeros were charged like any answer
    assert sim.truth().credits_by_hashtag == {"deadtag": 2, "steadytag": 2}


def test_zero_first_for_one_hashtag_waits_for_its_first_answer(sim: Simulator) -> None:
    sim.set_faults("viraltag", zero_first=1)
    assert stats_of(post(sim, "steadytag"))["videoCount"] > 0
    assert stats_of(post(sim, "viraltag")) == {"videoCount": 0, "viewCount": 0}
    assert stats_of(post(sim, "viraltag"))["videoCount"] > 0


def test_zero_first_is_not_used_up_by_a_later_answer(sim: Simulator) -> None:
    post(sim, "steadytag")
    sim.set_faults("steadytag", zero_first=1)
    assert stats_of(post(sim, "steadytag"))["videoCount"] > 0
    assert sim.truth().faults["hashtags"]["steadytag"]["zero_first"] == 1


@pytest.mark.parametrize(("switch", "charged"), [(True, 1), (False, 0)])
def test_a_non_json_200_is_charged_as_the_switch_says(
    sim: Simulator, switch: bool, charged: int
) -> None:
    sim.set_charging(malformed=switch)
    sim.set_faults(malformed_json=1)
    answer = post(sim, "steadytag")
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()
    truth = sim.truth()
    assert truth.credits_charged == charged
    assert truth.credits_by_hashtag == ({"steadytag": 1} if charged else {})
    assert truth.succeeded == 1


def test_the_truth_reports_credits_per_hashtag(sim: Simulator) -> None:
    for tag in ("steadytag", "steadytag", "deadtag"):
        post(sim, tag)
    hashtag_id = post(sim, "deadtag").json()["data"]["challengeInfo"]["challenge"]["id"]
    requests.post(
        sim.base_url + "/api/v1/tiktok/hashtag/videos",
        json={"hashtag_id": hashtag_id, "cursor": "0", "count": 5},
        headers={"Authorization": f"Bearer {sim.api_key}"},
        timeout=5,
    )
    truth = sim.truth()
    assert truth.credits_by_hashtag == {"deadtag": 3, "steadytag": 2}
    assert sum(truth.credits_by_hashtag.values()) == truth.credits_charged == 5


def test_envelope_counts_down_from_the_plan_allowance(clock: ManualClock) -> None:
    with Simulator(clock, credits=3) as sim:
        balances = [post(sim, "steadytag").json()["credits_remaining"] for _ in range(3)]
        refused = post(sim, "steadytag")
    assert balances == [2, 1, 0]
    assert refused.status_code == 402


def test_usage_needs_the_key_and_costs_nothing(sim: Simulator) -> None:
    anonymous = requests.get(sim.base_url + "/api/v1/usage", timeout=5)
    assert anonymous.status_code == 401
    sim.set_credits(42)
    usage = requests.get(
        sim.base_url + "/api/v1/usage",
        headers={"Authorization": f"Bearer {sim.api_key}"},
        timeout=5,
    ).json()
    assert usage == {
        "plan": "simulated",
        "credit_balance": 42,
        "period_start": "2026-01-01T00:00:00Z",
    }
    assert sim.truth().credits_charged == 0
    assert sim.truth().calls == {"hashtag": 0, "videos": 0, "comments": 0}


def test_scripted_429_with_retry_after_in_seconds_and_a_reset(fixed_wall: Simulator) -> None:
    fixed_wall.set_faults(rate_limited=1, retry_after_seconds=7, reset_in_seconds=30)
    refused = post(fixed_wall, "steadytag")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert refused.headers["Retry-After"] == "7"
    assert refused.headers["X-RateLimit-Reset"] == str(int(WALL) + 30)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # a scripted 429 is not the client's violation of the plan, and costs nothing
    assert post(fixed_wall, "steadytag").status_code == 200
    truth = fixed_wall.truth()
    assert (truth.rate_limit_violations, truth.credits_charged) == (0, 1)
    assert truth.answers == {200: 1, 429: 1}


def test_scripted_429_with_retry_after_as_an_http_date(fixed_wall: Simulator) -> None:
    fixed_wall.set_faults(rate_limited=1, retry_after_seconds=9, retry_after_form="date")
    header = post(fixed_wall, "steadytag").headers["Retry-After"]
    assert header.endswith(" GMT")
    assert parsedate_to_datetime(header).timestamp() == WALL + 9


def test_scripted_429_with_a_reset_in_the_past_or_no_headers(fixed_wall: Simulator) -> None:
    fixed_wall.set_faults(rate_limited=1, retry_after_seconds=None, reset_in_seconds=-30)
    past = post(fixed_wall, "steadytag").headers
    assert "Retry-After" not in past
    assert float(past["X-RateLimit-Reset"]) == WALL - 30
    fixed_wall.set_faults(rate_limited=1, retry_after_seconds=None, reset_in_seconds=None)
    bare = post(fixed_wall, "steadytag").headers
    assert "Retry-After" not in bare and "X-RateLimit-Reset" not in bare


def test_a_dropped_answer_hangs_up_after_charging(sim: Simulator) -> None:
    sim.set_faults(drop=1)
    with pytest.raises(requests.ConnectionError):
        post(sim, "steadytag")
    truth = sim.truth()
    assert (truth.lost_answers, truth.credits_charged, truth.answers) == (1, 1, {})


def test_admin_sets_the_switches_the_balance_and_the_429_headers(sim: Simulator) -> None:
    # Given switches, a balance and a scripted 429 set over HTTP
    armed = requests.post(
        sim.base_url + "/_sim/faults",
        json={
            "charging": {"lost_answers": False, "malformed": False},
            "credits": 10,
            "hashtag": "steadytag",
            "faults": {"rate_limited": 1, "retry_after_seconds": None, "reset_in_seconds": -5},
        },
        timeout=5,
    )
    assert armed.status_code == 200
    # Then the simulator follows them, and its truth says so
    assert "Retry-After" not in post(sim, "steadytag").headers
    truth = requests.get(sim.base_url + "/_sim/truth", timeout=5).json()
    assert truth["charging"] == {"lost_answers": False, "malformed": False}
    assert truth["credits_remaining"] == 10
    assert (truth["lost_answers"], truth["usage_calls"], truth["plan"]) == (0, 0, "simulated")


@pytest.mark.parametrize(
    "body",
    [
        {"charging": {"lost": True}},
        {"charging": {"malformed": "no"}},
        {"credits": -1},
        {"faults": {"retry_after_form": "weeks"}},
        {"faults": {"retry_after_seconds": -1}},
        {"faults": {"reset_in_seconds": "soon"}},
    ],
)
def test_admin_refuses_bad_switches(sim: Simulator, body: dict[str, Any]) -> None:
    answer = requests.post(sim.base_url + "/_sim/faults", json=body, timeout=5)
    assert answer.status_code == 400


def test_429_settings_belong_to_the_knobs_owner() -> None:
    book = FaultBook()
    book.set(None, {"rate_limited": 1, "retry_after_seconds": 3})
    book.set("a", {"rate_limited": 1, "retry_after_seconds": None, "reset_in_seconds": -2})
    scoped = book.take("rate_limited", "hashtag", "a")
    assert scoped is not None and scoped.retry_after_seconds is None
    glob = book.take("rate_limited", "hashtag", "a")
    assert glob is not None and glob.retry_after_seconds == 3
