"""The polling planner under any mix of tags, plans and budgets: a tick never overspends,
never sends a tag twice or while it is in flight; over days of ticks every tag is polled in
time when the account can afford it, and none is starved when it cannot (issue 15)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hashtag_tracker.collection.planner import (
    COLD,
    HOT,
    Candidate,
    Reading,
    TickBudget,
    TickPlan,
    bounds_for,
    heat_interval,
    next_plan,
    plan_tick,
    sample_calls,
)
from hashtag_tracker.collection.policy import FetchPolicy
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus
from tests.property.conftest import STABLE

pytestmark = pytest.mark.property

START = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
KINDS = st.sampled_from(list(HashtagKind))
POLICIES = st.builds(
    FetchPolicy,
    video_pages=st.integers(min_value=0, max_value=3),
    jump_kinds=st.frozensets(KINDS),
)


def _tag(
    index: int, kind: HashtagKind, bounds: tuple[float, float] | None = None
) -> TrackedHashtag:
    thresholds = (
        {}
        if bounds is None
        else dict(zip(("min_interval_hours", "max_interval_hours"), bounds, strict=True))
    )
    return TrackedHashtag.parse(
        {"hashtag": f"tag{index:03d}", "kind": kind, "thresholds": thresholds}
    )


@st.composite
def _candidates(draw: st.DrawFn, tick: datetime) -> list[Candidate]:
    """Tags of any kind: never polled, polled long ago or just now, hot or cold, sampled
    today or not, some still in flight."""
    found = []
    for index in range(draw(st.integers(min_value=0, max_value=25))):
        hashtag = _tag(index, draw(KINDS))
        entry = None
        if draw(st.booleans()):
            interval = draw(st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 6.0, 12.0, 24.0]))
            last = tick - timedelta(minutes=draw(st.integers(min_value=0, max_value=48 * 60)))
            entry = PlanEntry(
                hashtag=hashtag.hashtag,
                interval_hours=interval,
                next_due=last + timedelta(hours=interval),
                reason="drawn",
                last_poll=last,
                heat=draw(st.floats(min_value=0, max_value=5)),
                sampled_on=draw(
                    st.sampled_from([None, tick.date(), tick.date() - timedelta(days=1)])
                ),
            )
        found.append(Candidate(hashtag, entry, in_flight=draw(st.booleans())))
    return found


@st.composite
def _ticks(draw: st.DrawFn) -> tuple[datetime, timedelta]:
    minutes = draw(st.sampled_from([15, 30, 60, 120]))
    slot = draw(st.integers(min_value=0, max_value=24 * 60 // minutes - 1))
    tick = datetime(2026, 11, 22, tzinfo=UTC) + timedelta(minutes=slot * minutes)
    return tick, timedelta(minutes=minutes)


@settings(STABLE, max_examples=300)
@given(
    data=st.data(),
    when=_ticks(),
    calls=st.integers(min_value=0, max_value=60),
    credits=st.integers(min_value=0, max_value=60),
    policy=POLICIES,
)
def test_a_tick_never_overspends_nor_sends_a_tag_it_must_not(
    data: st.DataObject,
    when: tuple[datetime, timedelta],
    calls: int,
    credits: int,
    policy: FetchPolicy,
) -> None:
    """A tick's polls under any mix.
    Input: up to 25 tags of any kind, each never polled or with a plan (any interval, last
    poll up to 2 days back, any heat, sampled today, yesterday or never), some in flight; a
    tick of 15 min to 2 h at any time of day; 0-60 calls and 0-60 credits; any fetch policy.
    Asserted: the planned calls and credits are what the polls cost and within the budget;
    no tag twice, none in flight; a tag not due goes only for its day's sample (not sampled
    today, not due again before midnight, with its sample's pages); the due tags sent are the
    most urgent, as many as the budget allows, the rest counted as carried.
    """
    tick, tick_length = when
    candidates = data.draw(_candidates(tick))
    plan = plan_tick(candidates, tick, tick_length, TickBudget(calls, credits), policy)
    by_name = {c.hashtag.hashtag: c for c in candidates}
    names = [p.hashtag.hashtag for p in plan.polls]

    cost = sum(1 + p.page_calls for p in plan.polls)
    assert plan.calls == plan.credits == cost
    assert cost <= calls and cost <= credits
    assert len(names) == len(set(names))
    assert not any(by_name[name].in_flight for name in names)

    midnight = datetime.combine(tick.date() + timedelta(days=1), datetime.min.time(), UTC)
    sent_due = []
    for poll in plan.polls:
        candidate = by_name[poll.hashtag.hashtag]
        assert poll.entry is candidate.entry
        if candidate.due(tick):
            sent_due.append(candidate)
            continue
        assert candidate.entry is not None and candidate.entry.next_due >= midnight
        assert not candidate.sampled_on_day_of(tick)
        assert poll.page_calls == sample_calls(policy, poll.hashtag.kind)

    due = [c for c in candidates if c.due(tick)]
    assert plan.due == len(due) and plan.in_flight == sum(c.in_flight for c in candidates)
    assert len(sent_due) == min(len(due), calls, credits)
    assert plan.carried == len(due) - len(sent_due)
    carried = [c for c in due if c not in sent_due]
    if sent_due and carried:
        assert min(c.urgency(tick) for c in sent_due) >= max(c.urgency(tick) for c in carried)


# -- days of ticks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TagSpec:
    """A synthetic tag: its kind and new videos an hour; every `flaky`-th reading is lost."""

    kind: HashtagKind
    videos_per_hour: float
    flaky: int = 0
    bounds: tuple[float, float] | None = None


@dataclass
class Run:
    tags: list[TrackedHashtag]
    ticks: list[TickPlan] = field(default_factory=list)
    # tag -> the hours (from START) of its polls, and of its polls with the day's sample
    polls: dict[str, list[int]] = field(default_factory=dict)
    sampled: dict[str, list[int]] = field(default_factory=dict)
    plans: dict[str, PlanEntry] = field(default_factory=dict)


def _reading(spec: TagSpec, name: str, hour: int, polls_so_far: int, tick: datetime) -> Snapshot:
    if spec.flaky and polls_so_far % spec.flaky == spec.flaky - 1:
        return Snapshot(
            hashtag=name,
            cycle=tick,
            taken_at=tick,
            status=SnapshotStatus.MISSING,
            reason="timeout",
        )
    return Snapshot(
        hashtag=name,
        cycle=tick,
        taken_at=tick,
        views=1_000_000 + 100 * hour,
        videos=10_000 + int(spec.videos_per_hour * hour),
    )


def simulate(specs: Sequence[TagSpec], calls: int, credits: int, hours: int = 72) -> Run:
    """Hourly ticks from START: plan_tick, then each polled tag's next plan from its synthetic
    reading (answered before the next tick, so nothing stays in flight)."""
    policy = FetchPolicy()
    run = Run([_tag(i, spec.kind, spec.bounds) for i, spec in enumerate(specs)])
    spec_of = {t.hashtag: spec for t, spec in zip(run.tags, specs, strict=True)}
    history: dict[str, list[Snapshot]] = {t.hashtag: [] for t in run.tags}
    run.polls = {t.hashtag: [] for t in run.tags}
    run.sampled = {t.hashtag: [] for t in run.tags}
    for hour in range(hours):
        tick = START + hour * HOUR
        candidates = [Candidate(t, run.plans.get(t.hashtag)) for t in run.tags]
        plan = plan_tick(candidates, tick, HOUR, TickBudget(calls, credits), policy)
        run.ticks.append(plan)
        for poll in plan.polls:
            name = poll.hashtag.hashtag
            sampled = poll.page_calls == sample_calls(policy, poll.hashtag.kind)
            snapshot = _reading(spec_of[name], name, hour, len(run.polls[name]), tick)
            reading = Reading(snapshot, history[name], sampled=sampled and snapshot.usable)
            bounds = bounds_for(poll.hashtag)
            run.plans[name] = next_plan(poll.hashtag, reading, poll.entry, bounds)
            history[name] = [s for s in history[name] if s.cycle > tick - 30 * HOUR]
            history[name].append(snapshot)
            run.polls[name].append(hour)
            if sampled and snapshot.usable:
                run.sampled[name].append(hour)
    return run


def _gaps(hours: list[int], end: int) -> list[int]:
    """Ticks between polls, and from the last poll to the end of the run."""
    return [b - a for a, b in zip(hours, [*hours[1:], end], strict=True)]


# New videos an hour: cold (heat 0.015), calm (0.15), warm (0.3), hot (0.6), viral (1.2).
RATES = st.sampled_from([0.5, 5.0, 10.0, 20.0, 40.0])
SPECS = st.builds(
    TagSpec,
    kind=KINDS,
    videos_per_hour=RATES,
    flaky=st.sampled_from([0, 0, 0, 3, 5]),
    bounds=st.one_of(
        st.none(),
        st.sampled_from([(0.5, 3.0), (1.0, 1.0), (2.0, 24.0), (4.0, 8.0)]),
    ),
)


@settings(STABLE, max_examples=20)
@given(specs=st.lists(SPECS, min_size=1, max_size=12))
def test_with_enough_capacity_every_tag_is_polled_within_its_maximum_interval(
    specs: list[TagSpec],
) -> None:
    """Three days of hourly ticks with room for every tag.
    Input: up to 12 tags of any kind, bounds (the kind's or their own) and pace, some
    losing every 3rd or 5th reading; 1,000 calls and credits a tick.
    Asserted: every tag is polled at the first tick and then at most its maximum interval
    (+ one tick) apart; each is sampled every UTC day; a steady hot tag ends at its minimum
    interval (a viral one: at it or, inside its alert's cooldown, at half its maximum) and a
    steady cold one at its maximum; nothing is ever carried.
    """
    run = simulate(specs, calls=1_000, credits=1_000)
    for hashtag, spec in zip(run.tags, specs, strict=True):
        name, bounds = hashtag.hashtag, bounds_for(hashtag)
        polls = run.polls[name]
        assert polls[0] == 0
        assert max(_gaps(polls, 72)) <= math.ceil(bounds.max_hours), (name, spec, polls)
        # each of the three days has its sample
        assert {hour // 24 for hour in run.sampled[name]} == {0, 1, 2}, (spec, run.sampled)
        heat = spec.videos_per_hour * 6 / 200
        if spec.flaky == 0 and heat >= 1:
            # viral all along: alerted, then watched at half its maximum through the cooldown
            watch = max(bounds.min_hours, bounds.max_hours / 2)
            assert run.plans[name].interval_hours in (bounds.min_hours, watch)
        elif spec.flaky == 0 and heat >= HOT:
            assert run.plans[name].interval_hours == bounds.min_hours
        if spec.flaky == 0 and heat <= COLD:
            assert run.plans[name].interval_hours == bounds.max_hours
    assert all(plan.carried == 0 for plan in run.ticks)


def _steady_hours(spec: TagSpec) -> float:
    """The interval a steady tag settles at: what its heat deserves (its minimum at heat
    0.8 and above, its maximum at 0.2 and below, geometric in between)."""
    bounds = bounds_for(_tag(0, spec.kind, spec.bounds))
    return bounds.clamp(heat_interval(spec.videos_per_hour * 6 / 200, bounds))


def _shortage(specs: Sequence[TagSpec], capacity: int) -> float:
    """How many times more calls an hour the tags need at their steady intervals than a
    tick of `capacity` calls gives (daily samples aside: a short tick has no room for them)."""
    return sum(1 / _steady_hours(s) for s in specs) / capacity


@settings(STABLE, max_examples=15)
@given(
    shortage=st.floats(min_value=1.1, max_value=1.6),
    capacity=st.integers(min_value=1, max_value=4),
    kind=KINDS,
    rates=st.lists(st.sampled_from([0.5, 2.0, 5.0]), min_size=1, max_size=5),
)
def test_too_little_capacity_stretches_every_tag_evenly_and_starves_none(
    shortage: float, capacity: int, kind: HashtagKind, rates: list[float]
) -> None:
    """Three days of hourly ticks with too few calls for every calm tag of a kind.
    Input: calm tags of one kind at a few paces, as many as need 1.1-1.6 times the 1-4 calls
    a tick has (plenty of credits) at their longest interval (where calm tags settle).
    Asserted: no tick plans more than its calls; every tag is polled; after the first day
    no tag waits more than 1.5 × tags / calls-per-tick ticks (+ 2); polls are shared evenly
    (the most- and least-polled tags differ by at most 2 polls).
    """
    longest = bounds_for(_tag(0, kind)).max_hours
    count = math.ceil(shortage * capacity * longest)
    specs = [TagSpec(kind, rates[i % len(rates)]) for i in range(count)]
    run = simulate(specs, calls=capacity, credits=1_000)
    assert all(plan.calls <= capacity for plan in run.ticks)
    share = count / capacity
    settled = {name: [h for h in hours if h >= 24] for name, hours in run.polls.items()}
    for name, hours in run.polls.items():
        assert hours, name
        assert max(_gaps(settled[name], 72)) <= 1.5 * share + 2, (name, hours, share)
    counts = [len(hours) for hours in settled.values()]
    assert max(counts) - min(counts) <= 2, counts


@settings(STABLE, max_examples=15)
@given(
    specs=st.lists(st.builds(TagSpec, kind=KINDS, videos_per_hour=RATES), min_size=4, max_size=20),
    target=st.floats(min_value=0.8, max_value=2.0),
)
def test_too_little_capacity_for_a_mix_never_overspends_and_starves_none(
    specs: list[TagSpec], target: float
) -> None:
    """Three days of hourly ticks, too few calls for a mix of kinds and paces (hot ones too).
    Input: 4-20 tags of any kind and pace; calls a tick such that the tags need up to twice
    the calls there are at the intervals they settle at (see the strict xfail below for
    more).
    Asserted: no tick plans more than its calls; every tag is polled, never waiting more
    than 3 × its settled interval stretched by the shortage (from the start too): the
    stretch is shared, hot tags polled more often but calm ones never left behind.
    """
    capacity = max(1, round(_shortage(specs, 1) / target))
    shortage = _shortage(specs, capacity)
    assume(shortage <= 2)
    run = simulate(specs, calls=capacity, credits=1_000)
    assert all(plan.calls <= capacity for plan in run.ticks)
    for hashtag, spec in zip(run.tags, specs, strict=True):
        hours = run.polls[hashtag.hashtag]
        bound = 3 * _steady_hours(spec) * max(1.0, shortage)
        assert hours, hashtag
        assert max(_gaps([0, *hours], 72)) <= bound, (hashtag.hashtag, hours, bound)


@pytest.mark.parametrize(
    ("kind", "count", "capacity", "hours"),
    [
        # 2.2× short: each tag's fair share is a poll every 26 ticks
        (HashtagKind.COMPETITOR, 26, 1, 72),
        # 3.8× short: a poll every 23 ticks
        (HashtagKind.CAMPAIGN, 23, 1, 72),
        # 4.5× short: ten days of ticks, a poll every 27 ticks
        (HashtagKind.CAMPAIGN, 27, 1, 240),
    ],
)
def test_a_new_tag_is_never_starved_when_the_account_is_short(
    kind: HashtagKind, count: int, capacity: int, hours: int
) -> None:
    # Given calm tags of one kind, all new, more than the calls a tick can poll
    specs = [TagSpec(kind, 0.5)] * count
    # When the ticks run
    run = simulate(specs, calls=capacity, credits=1_000, hours=hours)
    # Then every tag has been polled
    never = sorted(name for name, polls in run.polls.items() if not polls)
    assert never == []
