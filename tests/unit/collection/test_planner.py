"""The polling planner's rules, with values: bounds, next interval and why, a tick's polls,
its calls and credits, and what the account can follow (issue 15)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hashtag_tracker.collection.planner import (
    Bounds,
    Candidate,
    Reading,
    TickBudget,
    TickPlan,
    acceleration,
    bounds_for,
    heat_interval,
    measure_heat,
    next_plan,
    plan_tick,
    resolution,
    sample_calls,
    tick_allowance,
    tick_calls,
)
from hashtag_tracker.collection.policy import FetchPolicy
from hashtag_tracker.models.codec import decode_json, replace, to_json
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus
from tests.unit.rules.builders import at, missing, ok, suspect, tag

CAMPAIGN = tag()
CAMPAIGN_BOUNDS = bounds_for(CAMPAIGN)
VIEWS = 1_000_000
VIDEOS = 10_000
POLICY = FetchPolicy()
HOUR = timedelta(hours=1)
TICK = datetime(2026, 11, 22, 12, tzinfo=UTC)
TODAY = TICK.date()


def _previous(hours: float) -> PlanEntry:
    return PlanEntry(
        hashtag="trybrandx", interval_hours=hours, next_due=at(0), reason="before", last_poll=at(0)
    )


def _plan(
    snapshot: Snapshot,
    history: list[Snapshot],
    previous_hours: float | None = 4.0,
    *,
    hashtag: TrackedHashtag = CAMPAIGN,
    counts_decreased: bool = False,
    sampled: bool = False,
) -> PlanEntry:
    previous = _previous(previous_hours) if previous_hours is not None else None
    reading = Reading(snapshot, history, sampled=sampled, counts_decreased=counts_decreased)
    return next_plan(hashtag, reading, previous, bounds_for(hashtag))


def _new_videos(count: int) -> tuple[Snapshot, list[Snapshot]]:
    """A reading `count` videos up on one 6 hours before, views steady."""
    return ok(6, VIEWS, VIDEOS + count), [ok(0, VIEWS, VIDEOS)]


# -- bounds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("campaign", Bounds(1.0, 6.0)),
        ("competitor", Bounds(2.0, 6.0)),
        ("trend", Bounds(2.0, 6.0)),
    ],
)
def test_each_kind_has_its_default_bounds(kind: str, expected: Bounds) -> None:
    hashtag = TrackedHashtag.parse({"hashtag": "x", "kind": kind})
    assert bounds_for(hashtag) == expected


@pytest.mark.parametrize(
    ("kind", "thresholds", "expected"),
    [
        ("campaign", {"min_interval_hours": 0.5, "max_interval_hours": 3}, Bounds(0.5, 3.0)),
        ("campaign", {"min_interval_hours": 3}, Bounds(3.0, 6.0)),
        ("competitor", {"max_interval_hours": 24}, Bounds(2.0, 24.0)),
        ("trend", {"min_interval_hours": 4, "max_interval_hours": 4}, Bounds(4.0, 4.0)),
        # A minimum above the kind's maximum: the maximum follows it up (never min > max).
        ("campaign", {"min_interval_hours": 8}, Bounds(8.0, 8.0)),
    ],
)
def test_a_tags_own_thresholds_override_its_kinds_bounds(
    kind: str, thresholds: dict[str, float], expected: Bounds
) -> None:
    hashtag = TrackedHashtag.parse({"hashtag": "x", "kind": kind, "thresholds": thresholds})
    assert bounds_for(hashtag) == expected


def test_a_fixed_cadence_is_every_tags_bounds_whatever_its_overrides() -> None:
    hashtag = tag(min_interval_hours=0.5, max_interval_hours=3)
    assert bounds_for(hashtag, fixed_hours=4) == Bounds(4, 4)
    assert bounds_for(hashtag, fixed_hours=None) == Bounds(0.5, 3.0)


def test_bounds_clamp() -> None:
    assert [Bounds(1, 6).clamp(h) for h in (0.25, 1, 3.5, 6, 12)] == [1, 1, 3.5, 6, 6]


# -- heat and acceleration -------------------------------------------------------------------


def test_heat_is_the_largest_pace_against_the_viral_rule_per_6_hours() -> None:
    # 160 new videos in 6 h (0.8 of 200); views +1 % (0.02 of 50 %); videos +1.6 % (0.032)
    heat = measure_heat(CAMPAIGN, ok(6, 1_010_000, VIDEOS + 160), [ok(0, VIEWS, VIDEOS)])
    assert (heat.value, heat.text) == (0.8, "160 new videos/6 h of 200")


def test_heat_projects_a_shorter_pace_to_6_hours_from_the_oldest_reading_of_8_hours() -> None:
    # Readings at -7 h (out of the 8-hour span), 0 h and 1 h; now at 2 h: 20 new videos since
    # 0 h (2 h) are 60 in 6 h; views +10 % in 2 h are +30 % in 6 h (0.6 of 50 %)
    history = [ok(-7, 500_000, 5_000), ok(0, VIEWS, VIDEOS), ok(1, 1_050_000, VIDEOS + 10)]
    heat = measure_heat(CAMPAIGN, ok(2, 1_100_000, VIDEOS + 20), history)
    assert (heat.value, heat.text) == (0.6, "views +30.0 %/6 h of +50 %")


def test_a_growth_pct_needs_a_base_large_enough() -> None:
    # 10 videos → 20 (+100 %) and 1,000 → 2,000 views are below the % rule's floors
    heat = measure_heat(CAMPAIGN, ok(6, 2_000, 20), [ok(0, 1_000, 10)])
    assert (heat.value, heat.text) == (0.05, "10 new videos/6 h of 200")


def test_no_earlier_usable_reading_is_no_heat() -> None:
    heat = measure_heat(CAMPAIGN, ok(6, VIEWS, VIDEOS), [missing(0), suspect(3)])
    assert (heat.value, heat.text) == (0.0, "no earlier reading")


def test_acceleration_is_the_last_intervals_pace_over_the_one_before() -> None:
    # 10 videos in 4 h (2.5/h), then 30 in 2 h (15/h): 6×; views steady (no ratio)
    history = [ok(0, VIEWS, 1_000), ok(4, VIEWS, 1_010)]
    assert acceleration(ok(6, VIEWS, 1_040), history) == pytest.approx(6.0)
    # two readings, or a pace of 0 before, say nothing
    assert acceleration(ok(6, VIEWS, 1_040), history[:1]) is None
    assert acceleration(ok(6, VIEWS, 1_040), [ok(0, VIEWS, 1_000), ok(4, VIEWS, 1_000)]) is None


# -- after a reading: the next interval ------------------------------------------------------


def test_hot_goes_to_the_minimum_at_once() -> None:
    plan = _plan(*_new_videos(160), previous_hours=6.0)
    assert plan.interval_hours == 1.0 and plan.heat == 0.8
    assert plan.reason == "hot: 160 new videos/6 h of 200"
    assert plan.last_poll == at(6) and plan.next_due == at(7)


def test_four_fifths_of_the_way_to_the_viral_threshold_is_hot() -> None:
    assert _plan(*_new_videos(160)).interval_hours == 1.0  # heat 0.8
    # heat 0.795: not hot, but it deserves just over the minimum, and goes there at once
    plan = _plan(*_new_videos(159))
    assert plan.interval_hours == pytest.approx(6 ** (0.005 / 0.6), abs=1e-4)
    assert plan.reason == "warm: 159 new videos/6 h of 200"


@pytest.mark.parametrize(
    ("heat", "campaign", "competitor"),
    [(0.8, 1.0, 2.0), (0.5, 6**0.5, 2 * 6**0.5), (0.2, 6.0, 12.0), (1.5, 1.0, 2.0), (0, 6.0, 12.0)],
)
def test_a_steady_pace_deserves_an_interval_geometric_in_its_heat(
    heat: float, campaign: float, competitor: float
) -> None:
    assert heat_interval(heat, Bounds(1, 6)) == pytest.approx(campaign)
    assert heat_interval(heat, Bounds(2, 12)) == pytest.approx(competitor)


def test_a_viral_alert_goes_to_the_minimum_and_says_so() -> None:
    plan = _plan(*_new_videos(250), previous_hours=6.0)
    assert plan.interval_hours == 1.0 and plan.heat == 1.25
    assert plan.reason == "viral alert: 250 new videos/6 h of 200"


def test_acceleration_with_some_heat_goes_to_the_minimum() -> None:
    # 40 new videos in 6 h (heat 0.2, calm on its own) at 6× the pace before
    history = [ok(0, VIEWS, 1_000), ok(4, VIEWS, 1_010)]
    plan = _plan(ok(6, VIEWS, 1_040), history, previous_hours=6.0)
    assert plan.interval_hours == 1.0 and plan.heat == 0.2
    assert plan.reason == "accelerating (6.0× the pace before): 40 new videos/6 h of 200"


def test_acceleration_bounds_are_inclusive() -> None:
    # 2.5/h then 5/h (exactly 2×), 20 new videos in 6 h (heat exactly 0.1)
    history = [ok(0, VIEWS, 1_000), ok(4, VIEWS, 1_010)]
    plan = _plan(ok(6, VIEWS, 1_020), history)
    assert plan.interval_hours == 1.0 and plan.reason.startswith("accelerating (2.0×")


def test_acceleration_of_a_cold_tag_is_calm() -> None:
    # 18× the pace before, but 10 new videos in 6 h (heat 0.05 < 0.1): doubled
    history = [ok(0, VIEWS, 1_000), ok(4, VIEWS, 1_001)]
    plan = _plan(ok(6, VIEWS, 1_010), history, previous_hours=2.0)
    assert plan.interval_hours == 4.0
    assert plan.reason == "calm: 10 new videos/6 h of 200"


def test_warm_tightens_at_once_to_what_its_heat_deserves() -> None:
    # heat 0.5 deserves √6 ≈ 2.45 h of a campaign's 1-6 h: from 6 h straight there
    plan = _plan(*_new_videos(100), previous_hours=6.0)
    assert plan.interval_hours == pytest.approx(2.4495) and plan.heat == 0.5
    assert plan.reason == "warm: 100 new videos/6 h of 200"
    assert plan.next_due == at(6) + timedelta(hours=plan.interval_hours)


def test_a_steady_pace_holds_its_interval() -> None:
    deserved = round(6**0.5, 4)
    plan = _plan(*_new_videos(100), previous_hours=deserved)
    assert plan.interval_hours == deserved
    assert plan.reason == "steady: 100 new videos/6 h of 200"


def test_a_cooler_pace_relaxes_step_by_step_toward_what_it_deserves() -> None:
    # heat 0.3 deserves 6^(5/6) ≈ 4.45 h: from 1 h it doubles to 2, 4, then stops at 4.45
    intervals = [1.0]
    for _ in range(4):
        intervals.append(_plan(*_new_videos(60), previous_hours=intervals[-1]).interval_hours)
    assert intervals == [1.0, 2.0, 4.0, 4.451, 4.451]
    assert _plan(*_new_videos(60), previous_hours=1.0).reason == "calm: 60 new videos/6 h of 200"


def test_a_fifth_of_the_way_or_less_is_calm() -> None:
    assert _plan(*_new_videos(40), previous_hours=4.0).interval_hours == 6.0  # heat 0.2
    assert _plan(*_new_videos(41), previous_hours=4.0).interval_hours < 6.0  # heat 0.205


def test_falling_counts_halve_the_interval() -> None:
    plan = _plan(*_new_videos(10), previous_hours=4.0, counts_decreased=True)
    assert plan.interval_hours == 2.0
    assert plan.reason == "sharp change (counts fell): 10 new videos/6 h of 200"


def test_falling_counts_of_a_hot_tag_still_go_to_the_minimum() -> None:
    plan = _plan(*_new_videos(160), previous_hours=4.0, counts_decreased=True)
    assert plan.interval_hours == 1.0 and plan.reason.startswith("hot: ")


def test_calm_doubles_step_by_step_up_to_the_maximum() -> None:
    intervals = []
    previous: float = 1.0
    for _ in range(4):
        previous = _plan(*_new_videos(10), previous_hours=previous).interval_hours
        intervals.append(previous)
    assert intervals == [2.0, 4.0, 6.0, 6.0]
    assert _plan(*_new_videos(10)).reason == "calm: 10 new videos/6 h of 200"
    # at its maximum it stays there, still calm
    assert _plan(*_new_videos(10), previous_hours=6.0).reason == "calm: 10 new videos/6 h of 200"


def test_a_calm_competitor_relaxes_to_its_maximum() -> None:
    rival = TrackedHashtag.parse({"hashtag": "trybrandx", "kind": "competitor"})
    plan = _plan(*_new_videos(10), previous_hours=4.0, hashtag=rival)
    assert plan.interval_hours == 6.0 and plan.next_due == at(12)
    # a user who wants it cheaper sets a longer maximum on the tag
    cheap = TrackedHashtag.parse(
        {"hashtag": "trybrandx", "kind": "competitor", "thresholds": {"max_interval_hours": 12}}
    )
    assert _plan(*_new_videos(10), previous_hours=8.0, hashtag=cheap).interval_hours == 12.0


def test_a_hot_competitor_tightens_to_2_hours() -> None:
    rival = TrackedHashtag.parse({"hashtag": "trybrandx", "kind": "competitor"})
    assert _plan(*_new_videos(160), previous_hours=6.0, hashtag=rival).interval_hours == 2.0


def test_a_tags_own_bounds_hold_its_interval() -> None:
    tight = tag(min_interval_hours=0.5, max_interval_hours=3)
    assert _plan(*_new_videos(160), hashtag=tight).interval_hours == 0.5
    assert _plan(*_new_videos(10), previous_hours=2.0, hashtag=tight).interval_hours == 3.0
    # a previous interval outside the bounds (they were edited) is first brought inside, then
    # heat 0.3 deserves 0.5 × 6^(5/6) ≈ 2.23 h of its 0.5-3 h
    plan = _plan(*_new_videos(60), previous_hours=12.0, hashtag=tight)
    assert plan.interval_hours == 2.2255


def test_a_first_reading_starts_at_the_minimum() -> None:
    plan = _plan(ok(6, VIEWS, VIDEOS), [], previous_hours=None)
    assert plan.interval_hours == 1.0 and plan.reason == "new: learning its pace"
    assert plan.heat == 0.0 and plan.sampled_on is None


def test_without_a_previous_plan_a_calm_tag_doubles_from_the_minimum() -> None:
    assert _plan(*_new_videos(10), previous_hours=None).interval_hours == 2.0


@pytest.mark.parametrize("reason", ["timeout", "unavailable", "rate_limited", "malformed"])
def test_a_missing_reading_halves_the_interval(reason: str) -> None:
    lost = Snapshot(
        hashtag="trybrandx",
        cycle=at(6),
        taken_at=at(6),
        status=SnapshotStatus.MISSING,
        reason=reason,
    )
    plan = _plan(lost, [ok(0, VIEWS, VIDEOS)], previous_hours=4.0)
    assert plan.interval_hours == 2.0 and plan.heat == 0.0
    assert plan.reason == f"missing reading ({reason}): polling sooner"


@pytest.mark.parametrize("reason", ["budget_exhausted", "not_found", "out_of_credits"])
def test_a_missing_reading_no_sooner_poll_can_mend_backs_off_to_the_maximum(reason: str) -> None:
    lost = Snapshot(
        hashtag="trybrandx",
        cycle=at(6),
        taken_at=at(6),
        status=SnapshotStatus.MISSING,
        reason=reason,
    )
    plan = _plan(lost, [ok(0, VIEWS, VIDEOS)], previous_hours=1.0)
    assert plan.interval_hours == 6.0 and plan.next_due == at(12)
    assert plan.reason == f"missing reading ({reason}): backing off"


def test_a_suspect_reading_halves_the_interval() -> None:
    plan = _plan(suspect(6), [ok(0, VIEWS, VIDEOS)], previous_hours=6.0)
    assert plan.interval_hours == 3.0
    assert plan.reason == "suspect reading (zero after non-zero): checking sooner"


def test_halving_stops_at_the_minimum() -> None:
    assert _plan(suspect(6), [ok(0, VIEWS, VIDEOS)], previous_hours=1.0).interval_hours == 1.0


@pytest.mark.parametrize(
    ("snapshot", "history", "counts_decreased"),
    [
        (*_new_videos(250), False),  # viral
        (*_new_videos(160), False),  # hot
        (*_new_videos(60), False),  # warm
        (*_new_videos(10), False),  # calm
        (*_new_videos(10), True),  # counts fell
        (ok(6, VIEWS, VIDEOS), [], False),  # new
        (missing(6), [ok(0, VIEWS, VIDEOS)], False),
        (suspect(6), [ok(0, VIEWS, VIDEOS)], False),
    ],
)
def test_a_fixed_cadence_is_always_that_interval(
    snapshot: Snapshot, history: list[Snapshot], counts_decreased: bool
) -> None:
    fixed = bounds_for(CAMPAIGN, fixed_hours=3)
    for previous in (None, _previous(1.0), _previous(3.0), _previous(6.0)):
        reading = Reading(snapshot, history, counts_decreased=counts_decreased)
        plan = next_plan(CAMPAIGN, reading, previous, fixed)
        assert plan.interval_hours == 3.0 and plan.next_due == at(9)


def test_a_sampled_reading_records_its_day_and_later_ones_keep_it() -> None:
    first = next_plan(
        CAMPAIGN, Reading(*_new_videos(10), sampled=True), _previous(2.0), CAMPAIGN_BOUNDS
    )
    assert first.sampled_on == date(2026, 11, 2)
    later = next_plan(CAMPAIGN, Reading(ok(12, VIEWS, VIDEOS + 20), []), first, CAMPAIGN_BOUNDS)
    assert later.sampled_on == date(2026, 11, 2)


def test_fractional_intervals_are_kept() -> None:
    tight = tag(min_interval_hours=0.25, max_interval_hours=0.75)
    plan = _plan(*_new_videos(10), previous_hours=0.3, hashtag=tight)
    assert plan.interval_hours == 0.6 and plan.next_due == at(6) + timedelta(minutes=36)


# -- at a tick: which tags go out ------------------------------------------------------------


def _tracked(name: str, kind: str = "campaign") -> TrackedHashtag:
    return TrackedHashtag.parse({"hashtag": name, "kind": kind})


def _entry(
    name: str,
    polled_hours_ago: float,
    interval: float,
    heat: float = 0.0,
    sampled_on: date | None = TODAY,
    tick: datetime = TICK,
) -> PlanEntry:
    last = tick - timedelta(hours=polled_hours_ago)
    return PlanEntry(
        hashtag=name,
        interval_hours=interval,
        next_due=last + timedelta(hours=interval),
        reason="before",
        last_poll=last,
        heat=heat,
        sampled_on=sampled_on,
    )


def _candidate(
    name: str,
    polled_hours_ago: float,
    interval: float,
    heat: float = 0.0,
    *,
    kind: str = "campaign",
    sampled_on: date | None = TODAY,
    in_flight: bool = False,
    tick: datetime = TICK,
) -> Candidate:
    entry = _entry(name, polled_hours_ago, interval, heat, sampled_on, tick)
    return Candidate(_tracked(name, kind), entry, in_flight=in_flight)


def _sent(plan: TickPlan) -> dict[str, int]:
    return {p.hashtag.hashtag: p.page_calls for p in plan.polls}


def _tick(candidates: list[Candidate], calls: int, credits: int, tick: datetime = TICK) -> TickPlan:
    return plan_tick(candidates, tick, HOUR, TickBudget(calls, credits), POLICY)


URGENCY_MIX = [
    _candidate("calm", 6, 6.0),  # 1 interval since: urgency 1.0
    _candidate("hot", 2, 1.0, heat=0.5),  # (1 + 0.5) × 2 = 3.0
    _candidate("late", 4, 2.0),  # 2.0
    Candidate(_tracked("fresh"), None),  # never polled: before every polled tag
    _candidate("later", 1, 2.0),  # not due
]


def test_due_tags_go_out_most_urgent_first_within_the_calls() -> None:
    plan = _tick(URGENCY_MIX, calls=3, credits=100)
    assert [p.hashtag.hashtag for p in plan.polls] == ["fresh", "hot", "late"]
    assert (plan.due, plan.carried, plan.calls, plan.credits) == (4, 1, 3, 3)


def test_the_credit_allowance_caps_a_tick_too() -> None:
    plan = _tick(URGENCY_MIX, calls=100, credits=2)
    assert [p.hashtag.hashtag for p in plan.polls] == ["fresh", "hot"]
    assert (plan.carried, plan.calls, plan.credits) == (2, 2, 2)


def test_urgency_is_heat_times_how_overdue() -> None:
    assert [c.urgency(TICK) for c in URGENCY_MIX] == [1.0, 3.0, 2.0, float("inf"), 0.5]


def test_a_tick_with_nothing_to_spend_sends_nothing() -> None:
    plan = _tick(URGENCY_MIX, calls=0, credits=100)
    assert plan.polls == [] and (plan.due, plan.carried, plan.calls) == (4, 4, 0)


def test_daily_samples_ride_on_polls_when_the_tick_has_room() -> None:
    # Given three due tags none sampled today, one of each kind
    candidates = [
        _candidate(name, 6, 6.0, kind=kind, sampled_on=date(2026, 11, 21))
        for name, kind in (("brand", "campaign"), ("rival", "competitor"), ("wave", "trend"))
    ]
    # When the tick has room for the stats calls and every sample
    plan = _tick(candidates, calls=100, credits=100)
    # Then each poll carries its sample's pages: 1 video page + 2, 1, 0 comment pages
    assert _sent(plan) == {"brand": 3, "rival": 2, "wave": 1}
    assert (plan.samples, plan.calls, plan.credits) == (3, 9, 9)


def test_samples_wait_for_a_tick_with_room() -> None:
    candidates = [
        _candidate("brand", 6, 6.0, sampled_on=None),
        _candidate("rival", 6, 6.0, kind="competitor", sampled_on=None),
    ]
    # Room for the two stats calls and 2 more: the campaign's 3-call sample does not fit,
    # the competitor's 2 do
    plan = _tick(candidates, calls=4, credits=100)
    assert _sent(plan) == {"brand": 0, "rival": 2} and plan.samples == 1
    assert plan.calls == 4


def test_a_campaign_sampled_today_gets_a_spare_page_for_a_jump() -> None:
    candidates = [
        _candidate("brand", 6, 6.0),
        _candidate("rival", 6, 6.0, kind="competitor"),
    ]
    plan = _tick(candidates, calls=100, credits=100)
    assert _sent(plan) == {"brand": 1, "rival": 0} and plan.samples == 0
    # and none when the tick has no spare call
    assert _sent(_tick(candidates, calls=2, credits=100)) == {"brand": 0, "rival": 0}


def test_in_flight_tags_are_never_sent_again() -> None:
    candidates = [
        _candidate("queued", 12, 1.0, heat=2.0, in_flight=True),
        _candidate("waiting", 3, 6.0, sampled_on=None, in_flight=True),
        _candidate("due", 6, 6.0),
    ]
    plan = _tick(candidates, calls=100, credits=100, tick=TICK.replace(hour=23))
    assert list(_sent(plan)) == ["due"]
    assert (plan.in_flight, plan.due) == (2, 1)


def test_tags_not_due_before_midnight_are_polled_for_their_sample_a_share_a_tick() -> None:
    # Given six calm tags not sampled today and not due again before the UTC day ends
    tick = TICK.replace(hour=20)
    waiting = [
        _candidate(f"tag{i}", 1, 12.0, kind="competitor", sampled_on=date(2026, 11, 21), tick=tick)
        for i in range(6)
    ]
    # When the 20:00 tick plans (four ticks left today: 20, 21, 22 and 23)
    plan = _tick(waiting, calls=100, credits=100, tick=tick)
    # Then their share of it (6 over 4 ticks: 2) goes out, each with its sample
    assert _sent(plan) == {"tag0": 2, "tag1": 2}
    assert (plan.due, plan.samples, plan.calls) == (0, 2, 6)
    # And the last tick of the day takes all that still wait
    last = _tick(waiting[2:], calls=100, credits=100, tick=TICK.replace(hour=23))
    assert list(_sent(last)) == ["tag2", "tag3", "tag4", "tag5"]


def test_a_tag_due_later_today_or_sampled_today_is_not_polled_for_a_sample() -> None:
    tick = TICK.replace(hour=20)
    candidates = [
        _candidate("soon", 1, 2.0, sampled_on=None, tick=tick),  # due at 21:00
        _candidate("done", 1, 12.0, tick=tick),  # sampled today
        Candidate(_tracked("never"), None, in_flight=True),
    ]
    assert _tick(candidates, calls=100, credits=100, tick=tick).polls == []


def test_sample_polls_stop_at_the_ticks_budget() -> None:
    tick = TICK.replace(hour=23)
    waiting = [_candidate(f"tag{i}", 1, 6.0, sampled_on=None, tick=tick) for i in range(3)]
    # one campaign sample poll costs 1 + 3 calls: 9 calls pay for two
    plan = _tick(waiting, calls=9, credits=100, tick=tick)
    assert _sent(plan) == {"tag0": 3, "tag1": 3} and plan.calls == 8


def test_sample_calls_per_kind() -> None:
    assert [sample_calls(POLICY, kind) for kind in HashtagKind] == [3, 2, 1]
    assert sample_calls(FetchPolicy(video_pages=2), HashtagKind.CAMPAIGN) == 4


# -- the tick's budget -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "minutes", "queued", "expected"),
    [
        (10, 60, 0, 540),  # 600 calls an hour less 10 %
        (10, 60, 100, 440),  # less what is still queued
        (10, 60, 540, 0),
        (10, 60, 5_000, 0),  # never below 0
        (1, 15, 0, 13),  # 13.5, rounded down
        (0.1, 60, 0, 5),
    ],
)
def test_tick_calls(rate: float, minutes: int, queued: int, expected: int) -> None:
    assert tick_calls(rate, timedelta(minutes=minutes), queued) == expected


MONTH_END = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("remaining", "tick", "expected"),
    [
        # 204 hourly ticks left: 3 × 20,000 / 204 = 294.1
        (20_000, datetime(2026, 11, 22, 12, tzinfo=UTC), 294),
        # the month's first tick: 720 left, 3 × 7,200 / 720
        (7_200, datetime(2026, 11, 1, tzinfo=UTC), 30),
        # two ticks left: 3 × 50 / 2 = 75, but only 50 are left
        (50, datetime(2026, 11, 30, 22, tzinfo=UTC), 50),
        # the last tick may spend what is left, never more
        (50, datetime(2026, 11, 30, 23, tzinfo=UTC), 50),
        (0, datetime(2026, 11, 22, 12, tzinfo=UTC), 0),
        (-12, datetime(2026, 11, 22, 12, tzinfo=UTC), 0),  # overspent already
    ],
)
def test_tick_allowance(remaining: int, tick: datetime, expected: int) -> None:
    assert tick_allowance(remaining, tick, MONTH_END, HOUR) == expected


def test_the_allowance_over_a_month_never_overspends_and_rolls_unspent_forward() -> None:
    # Given a budget spent in full at every tick of the month
    remaining, tick, spent = 1_000, datetime(2026, 11, 1, tzinfo=UTC), []
    while tick < MONTH_END:
        allowance = tick_allowance(remaining, tick, MONTH_END, HOUR)
        spent.append(allowance)
        remaining -= allowance
        tick += HOUR
    # Then the month spends all of it and no more, evenly: no tick more than 3× its share
    assert sum(spent) <= 1_000 and remaining >= 0
    assert max(spent) <= 3 * 1_000 / 720 + 1
    # And an idle first half leaves the second half more a tick
    half = datetime(2026, 11, 16, tzinfo=UTC)
    assert tick_allowance(1_000, half, MONTH_END, HOUR) == 8  # 3 × 1,000 / 360


# -- what the account can follow -------------------------------------------------------------


def test_resolution_when_only_the_samples_do_not_fit() -> None:
    # Four campaigns at 6 h (4/6 = 0.67 calls an hour) with a 3-call daily sample (0.5 an
    # hour) against 1 call an hour: the stats fit, the samples get the 0.33 to spare
    need = resolution([Bounds(1, 6)] * 4, [3] * 4, calls_per_hour=54, credits_per_hour=1.0)
    assert need.needed_per_hour == pytest.approx(7 / 6) and not need.enough
    assert need.effective_hours == 6.0  # the stats keep every longest interval
    assert need.sampled_per_day == pytest.approx(8 / 3)  # 8 spare calls a day / 3 a sample
    # 1 call an hour over (1/6 + 3/24) a tag
    assert need.followable(6) == 3 and need.followable(12) == 4 and need.followable(1) == 0
    assert need.text(6) == (
        "4 tracked hashtags need 1.2 calls an hour at their longest intervals (daily samples "
        "included); the plan's rate limit and the month's credit allowance allow 1.0. Every "
        "tag keeps its longest interval, but the daily samples (video pages, comments) go out "
        "only with calls to spare: about 3 of 4 tags a day. At 6-hour resolution this "
        "account can follow about 3 hashtags: raise the plan or the budget, or track fewer "
        "tags."
    )


def test_resolution_of_too_many_tags_says_how_far_intervals_stretch() -> None:
    # The same four against 0.5 calls an hour: the stats alone need 0.67
    need = resolution([Bounds(1, 6)] * 4, [3] * 4, calls_per_hour=0.5, credits_per_hour=9)
    assert need.effective_hours == 8.0 and need.sampled_per_day == 0
    assert "Intervals stretch evenly, to about 8.0 h on average, and the daily samples" in (
        need.text(6)
    )


def test_resolution_takes_the_lower_of_the_rate_and_the_credits() -> None:
    need = resolution([Bounds(2, 12)] * 2, [2] * 2, calls_per_hour=0.1, credits_per_hour=9)
    assert need.allowed_per_hour == 0.1 and need.longest_hours == 12 and need.sample_calls == 2
    assert need.effective_hours == pytest.approx(12 * (2 / 12) / 0.1, abs=0.01)


def test_resolution_with_room_stretches_nothing() -> None:
    need = resolution(
        [Bounds(1, 6), Bounds(2, 12)], [3, 1], calls_per_hour=540, credits_per_hour=98
    )
    assert need.enough and need.effective_hours == 9.0  # the mean longest interval
    assert need.followable(6) == 392  # 98 / (1/6 + 2/24)


def test_resolution_with_nothing_allowed() -> None:
    need = resolution([Bounds(1, 6)], [3], calls_per_hour=540, credits_per_hour=0)
    assert need.effective_hours is None and need.followable(6) == 0
    assert "Nothing can be polled until the month's credits reset." in need.text(6)
    assert "follow about 0 hashtags" in need.text(6)


def test_resolution_of_no_tags() -> None:
    need = resolution([], [], calls_per_hour=540, credits_per_hour=98)
    assert need.enough and need.tags == 0 and need.needed_per_hour == 0


def test_a_fixed_cadence_below_a_quarter_hour_still_gives_a_readable_plan() -> None:
    plan = next_plan(
        CAMPAIGN, Reading(*_new_videos(10)), None, bounds_for(CAMPAIGN, fixed_hours=0.1)
    )
    assert decode_json(to_json(plan), PlanEntry) == plan


# -- after an alert: the same moment is watched, not polled hourly -----------------------------


def _after_alert(hours_since: float, snapshot: Snapshot, history: list[Snapshot]) -> PlanEntry:
    previous = replace(_previous(1.0), alerted_at=snapshot.cycle - timedelta(hours=hours_since))
    reading = Reading(snapshot, history)
    return next_plan(CAMPAIGN, reading, previous, bounds_for(CAMPAIGN))


def test_a_viral_alert_records_when_it_fired() -> None:
    plan = _plan(*_new_videos(250), previous_hours=6.0)
    assert plan.alerted_at == at(6) and plan.interval_hours == 1.0


def test_inside_the_cooldown_the_alerted_moment_is_watched_at_half_the_maximum() -> None:
    # Given an alert 2 h ago and a reading that still meets the rule (the same moment)
    plan = _after_alert(2, *_new_videos(250))
    # Then it is read every 3 h (half of 6), keeping the alert's time
    assert plan.interval_hours == 3.0 and plan.alerted_at == at(4)
    assert plan.reason == "alerted 2 h ago, watching: 250 new videos/6 h of 200"
    # And a hot reading of its fading tail too
    assert _after_alert(5, *_new_videos(170)).interval_hours == 3.0


def test_a_second_surge_inside_the_cooldown_goes_to_the_minimum() -> None:
    # 10 videos in 4 h (2.5/h), then 300 in 2 h (150/h): a new surge, 60× the pace before
    history = [ok(0, VIEWS, 1_000), ok(4, VIEWS, 1_010)]
    plan = _after_alert(3, ok(6, VIEWS, 1_310), history)
    assert plan.interval_hours == 1.0 and plan.reason.startswith("accelerating (60.0×")


def test_after_the_cooldown_the_rule_alerts_and_tightens_again() -> None:
    plan = _after_alert(24, *_new_videos(250))
    assert plan.interval_hours == 1.0 and plan.alerted_at == at(6)
    assert plan.reason == "viral alert: 250 new videos/6 h of 200"
