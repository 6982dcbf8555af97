"""Replay the polling planner offline: `python -m bench.replay` (about a second per policy).

The bench's side-by-side scenario (bench/planner.py), read straight from the simulator's true
counters at every hourly tick, through the pure planner (collection/planner.py), the viral
rule and the cooldown (rules/): no AWS, no HTTP. It reproduces section 1's detection lags
and is the quick way to weigh a change to the rule or to its bounds before the full bench:

    python -m bench.replay                       # fixed 6 h against the adaptive defaults
    python -m bench.replay --seeds 15 3 7 --bounds 1-6,2-12,2-12

Credits are what the polls would spend: one per stats call, and a sample's pages on the
poll that takes the day's sample (jump pages left out).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.planner import scenario
from hashtag_tracker.collection.planner import (
    DEFAULT_BOUNDS,
    Candidate,
    Reading,
    TickBudget,
    bounds_for,
    next_plan,
    plan_tick,
    sample_calls,
)
from hashtag_tracker.collection.policy import FetchPolicy
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.rules.cooldown import CooldownState, decide
from hashtag_tracker.rules.engine import viral_alert
from hashtag_tracker_tools.simulator.world import Profile, first_viral_moment

HISTORY = timedelta(hours=30)
KINDS = (HashtagKind.CAMPAIGN, HashtagKind.COMPETITOR, HashtagKind.TREND)


@dataclass
class Replay:
    credits: int = 0
    alerts: dict[str, list[datetime]] = field(default_factory=dict)


def _tags(names_kinds: Sequence[tuple[str, str]], bounds: str | None) -> dict[str, TrackedHashtag]:
    """The tags, with per-kind bounds ('1-6,2-6,2-6': campaign, competitor, trend) as
    per-tag overrides when given."""
    overrides: dict[str, dict[str, float]] = {}
    if bounds:
        for kind, span in zip(KINDS, bounds.split(","), strict=True):
            low, high = (float(x) for x in span.split("-"))
            overrides[kind.value] = {"min_interval_hours": low, "max_interval_hours": high}
    return {
        name: TrackedHashtag.parse(
            {"hashtag": name, "kind": kind, "thresholds": overrides.get(kind, {})}
        )
        for name, kind in names_kinds
    }


def replay(
    days: float, seed: int, fixed: float | None, bounds: str | None, tags: int = 36
) -> dict[str, object]:
    plan = scenario(tags, 16, days, seed=seed)
    items = _tags([(t.name, t.kind) for t in plan.tracked], bounds)
    profiles: dict[str, Profile] = {t.name: t.profile for t in plan.tracked}
    policy = FetchPolicy()
    entries: dict[str, PlanEntry] = {}
    history: dict[str, list[Snapshot]] = {name: [] for name in items}
    cooldowns: dict[str, CooldownState] = {}
    run = Replay()
    for hour in range(int(days * 24)):
        tick = plan.start + timedelta(hours=hour)
        candidates = [Candidate(items[n], entries.get(n)) for n in items]
        for poll in plan_tick(
            candidates, tick, timedelta(hours=1), TickBudget(540, 10**6), policy
        ).polls:
            name = poll.hashtag.hashtag
            profile, item = profiles[name], items[name]
            snapshot = Snapshot(
                hashtag=name,
                cycle=tick,
                taken_at=tick,
                views=profile.views_at(hour),
                videos=profile.videos_at(hour),
            )
            full = sample_calls(policy, item.kind)
            before = entries.get(name)
            sampled = poll.page_calls >= full and (
                before is None or before.sampled_on != tick.date()
            )
            run.credits += 1 + (full if sampled else 0)
            alert = viral_alert(item, snapshot, history[name])
            if alert is not None:
                outcome, state = decide(cooldowns.get(name), alert)
                if outcome.publish:
                    run.alerts.setdefault(name, []).append(tick)
                if state is not None:
                    cooldowns[name] = state
            reading = Reading(snapshot, history[name], sampled=sampled)
            entries[name] = next_plan(item, reading, before, bounds_for(item, fixed))
            history[name] = [s for s in [*history[name], snapshot] if s.cycle >= tick - HISTORY]
    return _figures(plan.start, days, plan.tracked, run)


def _figures(
    start: datetime, days: float, tracked: Sequence[object], run: Replay
) -> dict[str, object]:
    lags: dict[str, list[float]] = {"step": [], "ramp": []}
    missed = {"step": 0, "ramp": 0}
    false = 0
    for tag in tracked:
        name, profile = tag.name, tag.profile  # type: ignore[attr-defined]
        if name.startswith("calm"):
            false += len(run.alerts.get(name, []))
            continue
        kind = "step" if name.startswith("step") else "ramp"
        met = first_viral_moment(profile, profile.spike_at_hours, days * 24)
        if met is None:
            continue
        at = start + timedelta(hours=met)
        fired = [a for a in run.alerts.get(name, []) if a >= at - timedelta(hours=1)]
        if not fired:
            missed[kind] += 1
            continue
        lags[kind].append((fired[0] - at).total_seconds() / 3600)
    return {
        "credits_per_tag_day": round(run.credits / len(tracked) / days, 2),
        **{
            f"{kind}_lag_mean_h": round(statistics.mean(v), 2) if v else None
            for kind, v in lags.items()
        },
        **{f"{kind}_missed": n for kind, n in missed.items()},
        "false_alerts_on_calm_tags": false,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__)
    parser.add_argument("--days", type=float, default=8.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[15])
    parser.add_argument("--bounds", help="campaign,competitor,trend bounds, e.g. 1-6,2-12,2-12")
    args = parser.parse_args(argv)
    defaults = ",".join(f"{DEFAULT_BOUNDS[k][0]:g}-{DEFAULT_BOUNDS[k][1]:g}" for k in KINDS)
    for seed in args.seeds:
        print(f"seed {seed}: fixed 6 h     {replay(args.days, seed, 6.0, None)}")
        label = args.bounds or f"{defaults} (defaults)"
        print(f"seed {seed}: adaptive {label} {replay(args.days, seed, None, args.bounds)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
