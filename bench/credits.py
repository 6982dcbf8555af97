"""Section 1: credits per hashtag per day and viral detection, product against a baseline."""

from __future__ import annotations

import os
import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bench.baseline import BaselinePoller
from bench.common import PLAN_RATE_LIMIT, bench_session, say, seed_quietly
from hashtag_tracker.clock import ManualClock
from hashtag_tracker_tools.local.scenario import DEFAULT_START, Scenario, Tracked
from hashtag_tracker_tools.simulator import Profile, ProfileKind, Simulator, procedural_profile

CYCLE = timedelta(hours=6)
KINDS = ("campaign", "competitor", "trend")
TIME_SCALE = 600.0


def _calm(name: str) -> Profile:
    """The simulator's procedural profile for `name`, without a spike of its own."""
    profile = procedural_profile(name)
    if profile.kind is ProfileKind.VIRAL:
        return replace(profile, kind=ProfileKind.STEADY, spike_at_hours=None, spike_rate=0.0)
    return profile


def _spiking(name: str, at_hours: float, rng: random.Random) -> Profile:
    """A calm profile with one injected spike, drawn from the simulator's own viral ranges."""
    return replace(
        _calm(name),
        kind=ProfileKind.VIRAL,
        spike_at_hours=at_hours,
        spike_rate=rng.uniform(80, 250),
        spike_tau=rng.uniform(6, 18),
    )


def scenario(hashtags: int, spikes: int, days: float, seed: int = 9) -> Scenario:
    """`hashtags` tags, a third of each kind; `spikes` of them get a spike, spread over the
    run from day 1 (so a 6-hour base exists) to half a day before the end."""
    rng = random.Random(seed)
    first, last = 26.0, days * 24 - 12
    step = (last - first) / max(1, spikes - 1) if spikes > 1 else 0.0
    tracked: list[Tracked] = []
    for i in range(hashtags):
        kind = KINDS[i % len(KINDS)]
        if i < spikes:
            # An odd minute offset, so spikes fall at every phase of the 6-hour cycle.
            at = round(first + i * step + rng.uniform(0, 6), 2)
            name = f"spike{i:03d}"
            profile = _spiking(name, at, rng)
        else:
            name = f"calm{i:03d}"
            profile = _calm(name)
        campaign = "Bench" if kind != "trend" else None
        tracked.append(Tracked(name, kind, campaign, profile, "bench"))
    return Scenario(tracked=tuple(tracked), invalid_items=(), start=DEFAULT_START)


def cycles(start: datetime, days: float) -> list[datetime]:
    count = int(days * 24 / 6)
    return [start + i * CYCLE for i in range(count)]


def detection(
    spike_times: dict[str, datetime], alerts: list[tuple[str, datetime]], times: list[datetime]
) -> dict[str, Any]:
    """Per injected spike: the first viral alert at or after it, and whether that was in the
    first cycle after the onset, or within one more cycle (the end-to-end tests' allowance)."""
    first_cycle, within_one, lags = 0, 0, []
    for name, spike in spike_times.items():
        after = [c for c in times if c >= spike]
        if not after:
            continue
        seen = min((when for tag, when in alerts if tag == name and when >= spike), default=None)
        if seen is None:
            continue
        lags.append((seen - spike).total_seconds() / 3600)
        first_cycle += seen == after[0]
        within_one += seen <= after[0] + CYCLE
    injected = len(spike_times)
    others = sum(1 for tag, _ in alerts if tag not in spike_times)
    return {
        "injected": injected,
        "first_cycle": first_cycle,
        "within_one_cycle": within_one,
        "share_within_one_cycle": within_one / injected if injected else None,
        "mean_lag_hours": round(sum(lags) / len(lags), 2) if lags else None,
        "viral_alerts_on_calm_tags": others,
    }


def run_product(plan: Scenario, days: float) -> dict[str, Any]:
    times = cycles(plan.start, days)
    alerts: list[tuple[str, datetime]] = []
    with bench_session(plan, TIME_SCALE) as bench:
        session = bench.session
        seed_quietly(session)
        for when in times:
            published = session.run_cycle(when)
            alerts += [(p.hashtag, when) for p in published if p.rule == "viral"]
        per_kind = _credits_per_kind_day(plan, times)
        truth = session.simulator.truth()
    spikes = {n: t for n, t in truth.spike_times.items() if n.startswith("spike")}
    return {
        "credits": truth.credits_charged,
        "calls": sum(truth.calls.values()),
        "too_many_requests": truth.answers.get(429, 0),
        "endpoint_calls": dict(truth.calls),
        "per_kind_day": per_kind,
        **detection(spikes, alerts, times),
    }


def _credits_per_kind_day(plan: Scenario, times: list[datetime]) -> dict[str, float]:
    """Credits per hashtag per day by kind, from the credits each snapshot recorded."""
    from hashtag_tracker.storage.snapshots import DynamoSnapshotStore

    store = DynamoSnapshotStore(os.environ["SNAPSHOTS_TABLE"])
    days = len(times) * CYCLE.total_seconds() / 86400
    totals: dict[str, list[int]] = {}
    for tracked in plan.tracked:
        spent = sum(s.credits or 0 for s in store.between(tracked.name, times[0], times[-1]))
        totals.setdefault(tracked.kind, []).append(spent)
    return {k: round(sum(v) / len(v) / days, 3) for k, v in totals.items()}


def run_baseline(plan: Scenario, days: float) -> dict[str, Any]:
    times = cycles(plan.start, days)
    clock = ManualClock(plan.start)
    names = [t.name for t in plan.tracked]
    with Simulator(
        clock,
        rate_limit_per_minute=PLAN_RATE_LIMIT,
        time_scale=TIME_SCALE,
        profiles=plan.profiles(),
        epoch=plan.start,
    ) as simulator:
        poller = BaselinePoller(simulator.base_url, simulator.api_key, TIME_SCALE)
        for when in times:
            clock.set(when)
            poller.cycle(names, when)
        truth = simulator.truth()
    spikes = {n: t for n, t in truth.spike_times.items() if n.startswith("spike")}
    return {
        "credits": truth.credits_charged,
        "calls": sum(truth.calls.values()),
        "too_many_requests": truth.answers.get(429, 0),
        "failed_calls": poller.failures,
        "endpoint_calls": dict(truth.calls),
        "per_kind_day": _baseline_per_kind(plan, truth.credits_charged, days),
        **detection(spikes, poller.viral, times),
    }


def _baseline_per_kind(plan: Scenario, credits: int, days: float) -> dict[str, float]:
    # The baseline treats every kind alike, so its per-kind figure is its average.
    each = credits / len(plan.tracked) / days
    return {kind: round(each, 3) for kind in KINDS}


def measure(hashtags: int, spikes: int, days: float) -> dict[str, Any]:
    plan = scenario(hashtags, spikes, days)
    say(f"credits: product, {hashtags} hashtags x {days:g} days")
    product = run_product(plan, days)
    say("credits: tutorial-style baseline, same scenario")
    baseline = run_baseline(plan, days)
    per_day = hashtags * days
    for side in (product, baseline):
        side["credits_per_hashtag_day"] = round(side["credits"] / per_day, 3)
    kinds = {k: sum(1 for t in plan.tracked if t.kind == k) for k in KINDS}
    return {
        "hashtags": hashtags,
        "kinds": kinds,
        "days": days,
        "time_scale": TIME_SCALE,
        "product": product,
        "baseline": baseline,
        "credit_ratio": round(product["credits"] / baseline["credits"], 3),
    }
