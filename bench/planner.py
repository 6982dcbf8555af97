"""Section 1: polling policies side by side (issue 15): credits, detection lag, false alerts.

One scenario, four policies, each against its own simulator (credits counted apart): the
tutorial baseline (every tag every 6 h, bench/baseline.py), the product at a fixed 6 h, the
product's adaptive planner, and the product at the fixed cadence that spends what the
adaptive policy spent. The product runs tick hourly (TickMinutes 60, the template's default),
fixed cadences included: with FixedIntervalHours set, a tag is simply not due between its
polls, which is how a deployment with that setting runs. Injected viral moments come in two
onsets, a step (full rate at once) and a logistic ramp over 3–12 h; the lag of a moment runs
from when its true counters first meet the viral rule (the simulator's `viral_times`) to the
first viral alert on the tag (the alert's `at`, the tick that read it).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bench.awscount import by_operation, service_total
from bench.baseline import BaselinePoller
from bench.common import PLAN_RATE_LIMIT, bench_session, say, seed_quietly
from bench.timing import InvokeTimer
from hashtag_tracker.clock import ManualClock
from hashtag_tracker_tools.local.scenario import DEFAULT_START, Scenario, Tracked
from hashtag_tracker_tools.simulator import Profile, ProfileKind, Simulator, procedural_profile
from hashtag_tracker_tools.simulator.world import first_viral_moment, meets_viral_rule

KINDS = ("campaign", "competitor", "trend")
TICK = timedelta(hours=1)
BASELINE_CYCLE = timedelta(hours=6)
TIME_SCALE = 600.0
RAMP_HOURS = (3.0, 12.0)
# The last viral moment comes this long before the run ends, so a 6-hourly poller still
# has a poll after it (and the moment is judged, not cut off by the run's end).
TAIL_HOURS = 9.0
FIXED_HOURS = 6.0


@dataclass(frozen=True)
class Policy:
    """One side of the comparison: the template parameters it runs with (product), or None
    for the tutorial baseline."""

    name: str
    parameters: dict[str, str] | None


BASELINE = Policy("tutorial baseline", None)
FIXED = Policy("product, fixed 6 h", {"FixedIntervalHours": "6"})
ADAPTIVE = Policy("product, adaptive", {"FixedIntervalHours": "0", "TickMinutes": "60"})


def _never_viral(profile: Profile, hours: float) -> Profile:
    """`profile`, slowed until its true counters never meet the viral rule in [0, hours]:
    a calm tag is one the ground truth never calls viral, so any alert on it is false."""
    for _ in range(20):
        if not any(meets_viral_rule(profile, h) for h in range(0, math.ceil(hours) + 1)):
            return profile
        profile = replace(
            profile,
            rate=profile.rate / 2,
            accel=profile.accel / 2,
            tail_views_per_hour=profile.tail_views_per_hour / 2,
        )
    return replace(profile, rate=0.0, accel=0.0, tail_views_per_hour=0.0)


def _calm(name: str, hours: float) -> Profile:
    profile = procedural_profile(name)
    if profile.kind is ProfileKind.VIRAL:
        profile = replace(profile, kind=ProfileKind.STEADY, spike_at_hours=None, spike_rate=0.0)
    return _never_viral(profile, hours + 6)


def _spiking(name: str, hours: float, at: float, ramp: float, rng: random.Random) -> Profile:
    """A calm profile with one spike (the simulator's own viral ranges), its onset moved
    earlier when needed so the true viral moment comes TAIL_HOURS before the run ends."""
    profile = replace(
        _calm(name, hours),
        kind=ProfileKind.VIRAL,
        spike_at_hours=at,
        spike_rate=rng.uniform(80, 250),
        spike_tau=rng.uniform(6, 18),
        spike_ramp_hours=ramp,
    )
    onset = at
    while onset >= 1.0:
        moment = first_viral_moment(profile, onset, hours)
        if moment is not None and moment <= hours - TAIL_HOURS:
            return profile
        onset = round(onset - 1.0, 2)
        profile = replace(profile, spike_at_hours=onset)
    raise ValueError(f"{name}: its spike never meets the viral rule within {hours:g} h")


def scenario(hashtags: int, spikes: int, days: float, seed: int = 15) -> Scenario:
    """`hashtags` tags, a third of each kind; `spikes` of them get one viral moment, half
    step onsets and half ramps of 3–12 h, spread from day 1 (a 6-hour base exists) to the
    run's end, each at an odd minute so onsets fall at every phase of a tick."""
    rng = random.Random(seed)
    hours = days * 24
    first, last = 26.0, hours - TAIL_HOURS - 6
    step = (last - first) / max(1, spikes - 1)
    tracked: list[Tracked] = []
    for i in range(hashtags):
        kind = KINDS[i % len(KINDS)]
        if i < spikes:
            ramp = 0.0 if i % 2 == 0 else round(rng.uniform(*RAMP_HOURS), 1)
            at = round(first + i * step + rng.uniform(0, 1), 2)
            name = f"{'step' if ramp == 0 else 'ramp'}{i:03d}"
            profile = _spiking(name, hours, at, ramp, rng)
        else:
            name = f"calm{i:03d}"
            profile = _calm(name, hours)
        campaign = "Bench" if kind != "trend" else None
        tracked.append(Tracked(name, kind, campaign, profile, "bench"))
    return Scenario(tracked=tuple(tracked), invalid_items=(), start=DEFAULT_START)


def ticks(start: datetime, days: float, every: timedelta) -> list[datetime]:
    return [start + i * every for i in range(int(days * 24 * 3600 // every.total_seconds()))]


# -- judging a run ---------------------------------------------------------------------------


def _p90(values: list[float]) -> float | None:
    """The 90th percentile, nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _lag_figures(lags: list[float], injected: int) -> dict[str, Any]:
    return {
        "injected": injected,
        "detected": len(lags),
        "missed": injected - len(lags),
        "mean_lag_hours": round(sum(lags) / len(lags), 2) if lags else None,
        "p90_lag_hours": None if not lags else round(_p90(lags) or 0.0, 2),
        "max_lag_hours": round(max(lags), 2) if lags else None,
    }


def detection(
    plan: Scenario,
    onsets: dict[str, datetime],
    viral_times: dict[str, datetime],
    alerts: list[tuple[str, datetime]],
) -> dict[str, Any]:
    """Per onset kind (step, ramp): moments detected, missed, and the lag from the true
    viral moment to the first viral alert on the tag at or after its onset. False alerts:
    viral alerts on calm tags (the truth never meets the rule on them), and on a spiking
    tag before its onset."""
    profiles = plan.profiles()
    kinds = {t.name: t.kind for t in plan.tracked}
    found: dict[str, list[float]] = {"step": [], "ramp": []}
    injected: Counter[str] = Counter()
    moments: dict[str, dict[str, Any]] = {}
    for name, met in sorted(viral_times.items()):
        onset_kind = "ramp" if profiles[name].spike_ramp_hours > 0 else "step"
        injected[onset_kind] += 1
        seen = min((t for tag, t in alerts if tag == name and t >= onsets[name]), default=None)
        lag = None if seen is None else round((seen - met).total_seconds() / 3600, 2)
        if lag is not None:
            found[onset_kind].append(lag)
        moments[name] = {
            "kind": kinds[name],
            "onset": onset_kind,
            "ramp_hours": profiles[name].spike_ramp_hours,
            "met": met.isoformat(),
            "alert": None if seen is None else seen.isoformat(),
            "lag_hours": lag,
        }
    calm = sum(1 for tag, _ in alerts if tag not in viral_times)
    early = sum(1 for tag, t in alerts if tag in viral_times and t < onsets[tag])
    every = found["step"] + found["ramp"]
    return {
        "step": _lag_figures(found["step"], injected["step"]),
        "ramp": _lag_figures(found["ramp"], injected["ramp"]),
        "all": _lag_figures(every, injected["step"] + injected["ramp"]),
        "false_alerts_on_calm_tags": calm,
        "alerts_before_onset": early,
        "viral_alerts": len(alerts),
        "moments": moments,
    }


def _alert_time(message: str, fallback: datetime) -> datetime:
    """The alert's own `at` (the tick whose reading raised it); the tick if it has none."""
    try:
        raw = json.loads(message).get("at")
    except (ValueError, AttributeError):
        return fallback
    return datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) else fallback


# -- the sides -------------------------------------------------------------------------------


def run_product(plan: Scenario, days: float, policy: Policy) -> dict[str, Any]:
    """The product on the emulated stack, ticking hourly for `days`, with `policy`'s
    template parameters."""
    times = ticks(plan.start, days, TICK)
    alerts: list[tuple[str, datetime]] = []
    sent: list[int] = []
    timer = InvokeTimer()
    with bench_session(plan, TIME_SCALE, parameters=policy.parameters or {}) as bench:
        session = bench.session
        seed_quietly(session)
        before, units = bench.requests.snapshot(), bench.requests.units()
        with timer.timing(session.runner):
            for when in times:
                published = session.run_cycle(when)
                alerts += [
                    (p.hashtag, _alert_time(p.message, when))
                    for p in published
                    if p.rule == "viral"
                ]
                sent.append(int(session.runner.last_fan_out.get("sent", 0)))
        counts = bench.requests.snapshot() - before
        used = {k: v - units[k] for k, v in bench.requests.units().items()}
        truth = session.simulator.truth()
    onsets = {n: t for n, t in truth.spike_times.items() if n in plan.profiles()}
    return {
        "policy": policy.name,
        "parameters": policy.parameters,
        "ticks": len(times),
        "polls": sum(sent),
        "credits": truth.credits_charged,
        "credits_by_hashtag": truth.credits_by_hashtag,
        "calls": sum(truth.calls.values()),
        "endpoint_calls": dict(truth.calls),
        "too_many_requests": truth.answers.get(429, 0),
        "aws": {
            "dynamodb": by_operation(counts, "dynamodb"),
            "dynamodb_units": used,
            "sqs": service_total(counts, "sqs"),
            "sns": service_total(counts, "sns"),
            "s3": service_total(counts, "s3"),
        },
        "invocations": timer.figures(),
        **detection(plan, onsets, truth.viral_times, alerts),
    }


def run_baseline(plan: Scenario, days: float) -> dict[str, Any]:
    """The tutorial poller against its own simulator, every 6 hours for `days`."""
    times = ticks(plan.start, days, BASELINE_CYCLE)
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
    onsets = {n: t for n, t in truth.spike_times.items() if n in plan.profiles()}
    return {
        "policy": BASELINE.name,
        "parameters": None,
        "ticks": len(times),
        "polls": len(times) * len(names),
        "credits": truth.credits_charged,
        "credits_by_hashtag": truth.credits_by_hashtag,
        "calls": sum(truth.calls.values()),
        "endpoint_calls": dict(truth.calls),
        "too_many_requests": truth.answers.get(429, 0),
        "failed_calls": poller.failures,
        **detection(plan, onsets, truth.viral_times, poller.viral),
    }


def _per_kind_day(plan: Scenario, side: dict[str, Any], days: float) -> dict[str, float]:
    spent: dict[str, list[int]] = {}
    for tracked in plan.tracked:
        spent.setdefault(tracked.kind, []).append(side["credits_by_hashtag"].get(tracked.name, 0))
    return {k: round(sum(v) / len(v) / days, 3) for k, v in spent.items()}


def daily_pages(fixed: dict[str, Any]) -> float:
    """Credits a tag spends a day on pages (the daily sample, a campaign's jump page), from
    the fixed-6-hour run: its credits less its 4 stats calls a day."""
    return float(fixed["credits_per_hashtag_day"]) - 24 / FIXED_HOURS


def equal_cost_hours(credits_per_tag_day: float, pages_per_tag_day: float) -> float | None:
    """The fixed interval whose stats polls plus the day's pages spend `credits_per_tag_day`:
    24 / (credits − pages) hours; None when the pages alone spend more."""
    polls = credits_per_tag_day - pages_per_tag_day
    return round(24 / polls, 2) if polls > 0 else None


def measure(hashtags: int, spikes: int, days: float) -> dict[str, Any]:
    plan = scenario(hashtags, spikes, days)
    sides: dict[str, dict[str, Any]] = {}
    say(f"planner: tutorial baseline, {hashtags} hashtags x {days:g} days")
    sides["baseline"] = run_baseline(plan, days)
    for key, policy in (("fixed", FIXED), ("adaptive", ADAPTIVE)):
        say(f"planner: {policy.name}, hourly ticks")
        sides[key] = run_product(plan, days, policy)
    per_day = hashtags * days
    for side in sides.values():
        side["credits_per_hashtag_day"] = round(side["credits"] / per_day, 3)
    pages = daily_pages(sides["fixed"])
    exact = equal_cost_hours(sides["adaptive"]["credits_per_hashtag_day"], pages)
    if exact is not None:
        hours = max(1, round(exact))
        name = f"product, fixed {hours} h (equal cost)"
        if hours == FIXED_HOURS:  # the fixed 6 h run is that run: its figures, not a rerun
            sides["equal_cost"] = {**sides["fixed"], "policy": name}
        else:
            say(f"planner: {name}")
            policy = Policy(name, {"FixedIntervalHours": str(hours)})
            sides["equal_cost"] = run_product(plan, days, policy)
            sides["equal_cost"]["credits_per_hashtag_day"] = round(
                sides["equal_cost"]["credits"] / per_day, 3
            )
    for side in sides.values():
        side["per_kind_day"] = _per_kind_day(plan, side, days)
    base = sides["baseline"]["credits"]
    return {
        "hashtags": hashtags,
        "kinds": {k: sum(1 for t in plan.tracked if t.kind == k) for k in KINDS},
        "days": days,
        "time_scale": TIME_SCALE,
        "moments": {
            "step": sum(1 for t in plan.tracked if t.name.startswith("step")),
            "ramp": sum(1 for t in plan.tracked if t.name.startswith("ramp")),
            "ramp_hours": sorted(
                t.profile.spike_ramp_hours for t in plan.tracked if t.name.startswith("ramp")
            ),
        },
        "page_credits_per_hashtag_day": round(pages, 3),
        "equal_cost_hours_exact": exact,
        "sides": sides,
        "credit_ratio": {k: round(v["credits"] / base, 3) for k, v in sides.items()},
    }
