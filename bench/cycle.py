"""Section 2: one collection cycle's completion time against the plan's ideal, and 429s.

The ideal is the calls the cycle made divided by the plan's rate limit (10 a minute). On
the time-scaled simulator a minute lasts 60/time_scale real seconds, for the simulator's
limit and for the workers' pacing alike, so simulated minutes = real seconds × scale / 60.
Measured on the first cycle of a day with no history: every hashtag's stats, its daily
video page and, for campaigns and competitors, comment pages.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import PLAN_RATE_LIMIT, bench_session, say, seed_quietly
from hashtag_tracker_tools.local.scenario import default_scenario

TIME_SCALE = 40.0  # a plan minute lasts 1.5 s; one call slot every ~153 ms


def measure_one(hashtags: int, time_scale: float = TIME_SCALE) -> dict[str, Any]:
    plan = default_scenario(extra_hashtags=max(0, hashtags - 7))
    with bench_session(plan, time_scale) as bench:
        session = bench.session
        seed_quietly(session)
        when = plan.start
        session.clock.set(when)
        start = time.perf_counter()
        session.runner.tick_collection(when)
        fanned_out = time.perf_counter()
        session.runner.drain_fetch_queue(max_wait_seconds=600)
        done = time.perf_counter()
        truth = session.simulator.truth()
        dlq = session.runner.dlq_depth()
    too_many = truth.answers.get(429, 0)
    calls = sum(truth.calls.values()) - too_many  # what the plan counted
    ideal_minutes = calls / PLAN_RATE_LIMIT
    minutes = (done - start) * time_scale / 60
    fetch_minutes = (done - fanned_out) * time_scale / 60
    return {
        "hashtags": len(plan.tracked),
        "time_scale": time_scale,
        "calls": calls,
        "too_many_requests": too_many,
        "ideal_minutes": round(ideal_minutes, 2),
        "cycle_minutes": round(minutes, 2),
        "fetch_minutes": round(fetch_minutes, 2),
        "ratio": round(minutes / ideal_minutes, 3),
        "fetch_ratio": round(fetch_minutes / ideal_minutes, 3),
        "fan_out_real_seconds": round(fanned_out - start, 2),
        "real_seconds": round(done - start, 2),
        "dlq": dlq,
    }


def measure(sizes: list[int], time_scale: float = TIME_SCALE) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        say(f"cycle: {size} hashtags at time scale {time_scale:g}")
        rows.append(measure_one(size, time_scale))
    return rows
