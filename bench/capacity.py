"""Section 1, capacity: a high-rate plan (10,000 tags at 50 requests/s) and over-subscription.

High rate, what is measured: one scheduler tick for 10,000 tags through the real handler and
adapters on the emulated stack (DynamoDB and SQS requests by operation, wall and CPU time),
the pure planner's time for those tags, and the workers' shared slot record under the real
RateLimiter at 50 calls/s with N worker threads against an in-memory slot record with a
DynamoDB-like latency (compare-and-swap writes per second, refusals, achieved call rate,
calls in the busiest second). What is modelled: the tick's time on AWS from those counts and
the per-request latencies below, and the data API's latency (the simulator answers on
loopback in microseconds, so a real call's time is an assumption, stated).

Over-subscription, measured on the real session at a reduced plan (the property is the
same at any rate: polls the plan cannot make stretch every interval evenly, nothing piles
up, the month is never overspent): 3× as many tags as the plan can poll every 6 hours.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3

from bench.awscount import by_operation, service_total
from bench.common import bench_session, say
from bench.planner import KINDS
from hashtag_tracker.collection.pacing import NoCapacityError, PacingPolicy, RateLimiter
from hashtag_tracker.collection.planner import (
    CAPACITY_MARGIN,
    Candidate,
    TickBudget,
    bounds_for,
    plan_tick,
    resolution,
    sample_calls,
)
from hashtag_tracker.collection.policy import FetchPolicy
from hashtag_tracker.models.bookkeeping import SlotAnswer
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.storage.dynamo import batch_put
from hashtag_tracker.storage.hashtags import hashtag_to_item
from hashtag_tracker.storage.plan import DynamoPlanStore
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker_tools.local.scenario import DEFAULT_START, Scenario, Tracked
from hashtag_tracker_tools.simulator import Profile, ProfileKind

HIGH_RATE_PER_SECOND = 50
HIGH_RATE_TAGS = 10_000
# Assumed, not measured: a data-API call's round trip from Lambda (the provider publishes no
# latency figure), and one DynamoDB conditional update's round trip (single-digit ms within
# a region).
CALL_SECONDS = 0.5
CAS_SECONDS = 0.006
# Per-request latencies on AWS used to model the fan-out's time (within a region).
AWS_LATENCY_SECONDS = {"dynamodb": 0.008, "scan_page": 0.04, "sqs": 0.015}
# The template's WorkerMaxConcurrency: its default and its largest allowed value.
WORKER_CONCURRENCY = (2, 50)
# Worker work between two calls on AWS (its DynamoDB requests, CPU): an assumption in the
# order of section 3's figures (about 5 DynamoDB requests and 10 ms CPU per hashtag).
WORK_SECONDS = 0.05

OVER_RATE_PER_MINUTE = 1  # the template's smallest PlanRateLimitPerMinute
OVER_FACTOR = 3
# A plan minute lasts 60/scale s. The pacing's margin is 5 % of it and its check for late
# calls needs 2.5 % of it to be at least 10 ms (pacing.MIN_LATE_TOLERANCE_MS): at 150 the
# minute is 0.4 s, so host scheduling noise on a shared machine is still told from lateness.
# (At 600, with 1 call per 0.1-s window, a call 6 ms late meets the next punctual one inside
# the window: the simulator answers 429, an artefact of the scaling, not of the plan.)
OVER_TIME_SCALE = 150.0


# -- the shared slot record at 50 calls/s -----------------------------------------------------


class MemorySlotStore:
    """The slot record as DynamoDB keeps it: one item, compare-and-swap, each request taking
    `latency` seconds (half before the item is written, half after)."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.next_ms: int | None = None
        self.granted = 0
        self.refused = 0
        self._lock = threading.Lock()

    def reserve_slot(self, observed_ms: int | None, slot_ms: int, next_ms: int) -> SlotAnswer:
        time.sleep(self.latency / 2)
        with self._lock:
            if self.next_ms != observed_ms:
                self.refused += 1
                answer = SlotAnswer(False, self.next_ms)
            else:
                self.next_ms = next_ms
                self.granted += 1
                answer = SlotAnswer(True, next_ms)
        time.sleep(self.latency / 2)
        return answer


def _busiest(starts: list[float], window: float) -> int:
    """Most calls that started within any `window` seconds."""
    ordered = sorted(starts)
    most, low = 0, 0
    for high, at in enumerate(ordered):
        while at - ordered[low] >= window:
            low += 1
        most = max(most, high - low + 1)
    return most


def limiter_run(workers: int, seconds: float, call_seconds: float = CALL_SECONDS) -> dict[str, Any]:
    """`workers` threads, each one worker container with its own RateLimiter (the product's,
    paced at 50/s as PlanRateLimitPerSecond=50 sets it: 50 per 1-s window), taking SQS
    batches of 5 records, one call per record lasting `call_seconds` + the work between."""
    store = MemorySlotStore(CAS_SECONDS)
    policy = PacingPolicy(HIGH_RATE_PER_SECOND, 1.0)
    starts: list[float] = []
    lock = threading.Lock()
    end = time.time() + seconds
    late = Counter[str]()

    def container() -> None:
        limiter = RateLimiter(store, policy)
        while time.time() < end:
            for left in range(5, 0, -1):
                try:
                    limiter.acquire(max_wait_seconds=5.0, block=left)
                except NoCapacityError:
                    break
                with lock:
                    starts.append(time.time())
                time.sleep(call_seconds + WORK_SECONDS)
        with lock:
            late["late"] += limiter.late_slots

    threads = [threading.Thread(target=container, daemon=True) for _ in range(workers)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started
    inside = [t for t in starts if t < end]
    writes = store.granted + store.refused
    return {
        "workers": workers,
        "seconds": round(seconds, 1),
        "calls": len(inside),
        "calls_per_second": round(len(inside) / seconds, 2),
        "pacing_ceiling_per_second": round(1000 / policy.interval_ms, 2),
        "offered_per_second": round(workers / (call_seconds + WORK_SECONDS), 2),
        "slot_writes_per_second": round(writes / elapsed, 2),
        "slot_refusals_per_second": round(store.refused / elapsed, 2),
        "refused_share": round(store.refused / writes, 3) if writes else 0.0,
        "late_slots": late["late"],
        "busiest_second": _busiest(inside, 1.0),
    }


# -- one scheduler tick for 10,000 tags ---------------------------------------------------------


def _tags(count: int) -> list[TrackedHashtag]:
    return [
        TrackedHashtag(
            hashtag=f"tag{i:05d}",
            kind=HashtagKind(KINDS[i % len(KINDS)]),
            campaign="Bench" if i % 3 != 2 else None,
        )
        for i in range(count)
    ]


def _steady_plan(tags: list[TrackedHashtag], tick: datetime) -> list[PlanEntry]:
    """Plans as a settled day leaves them at `tick`: most tags calm at their longest
    interval, some warm, a few hot, their last polls spread over the interval, so a tag is
    due at `tick` once per interval (about 1 in 7 of them)."""
    rng = random.Random(15)
    entries = []
    for tag in tags:
        bounds = bounds_for(tag)
        hours = rng.choices(
            [bounds.max_hours, bounds.max_hours / 2, bounds.min_hours], weights=(80, 15, 5)
        )[0]
        polled = tick - timedelta(hours=rng.randrange(1, int(hours) + 1))
        entries.append(
            PlanEntry(
                hashtag=tag.hashtag,
                interval_hours=hours,
                next_due=polled + timedelta(hours=hours),
                reason="calm",
                last_poll=polled,
                heat=0.1,
                sampled_on=tick.date(),
            )
        )
    return entries


def plan_time(count: int) -> dict[str, Any]:
    """The pure planner alone: one tick's plan for `count` new tags, CPU seconds."""
    tags = [Candidate(tag, None) for tag in _tags(count)]
    budget = TickBudget(calls=10**9, credits=10**9)
    started = time.thread_time()
    plan = plan_tick(tags, DEFAULT_START, timedelta(hours=1), budget, FetchPolicy())
    return {"tags": count, "polls": len(plan.polls), "cpu_seconds": time.thread_time() - started}


def _fan_out_model(ops: dict[str, int], scan_pages: int, cpu: float) -> float:
    """Seconds one fan-out would take on AWS: its requests one after another at the assumed
    latencies, plus the CPU it measured here."""
    dynamodb = sum(n for op, n in ops.items() if op != "Scan")
    return (
        dynamodb * AWS_LATENCY_SECONDS["dynamodb"]
        + scan_pages * AWS_LATENCY_SECONDS["scan_page"]
        + ops.get("_sqs", 0) * AWS_LATENCY_SECONDS["sqs"]
        + cpu
    )


def scheduler_ticks(count: int) -> list[dict[str, Any]]:
    """Two scheduler ticks for `count` tags on the emulated stack at 50 requests/s: the
    first (no plans yet: every tag new and due, with its daily sample), then a settled one
    12 hours later, past the first tick's in-flight leases (plans written as readings would
    leave them)."""
    plan = Scenario(tracked=(), invalid_items=(), start=DEFAULT_START)
    rows = []
    with bench_session(
        plan, 600.0, monthly_budget=10_000_000, parameters={"PlanRateLimitPerSecond": "50"}
    ) as bench:
        session = bench.session
        outputs = session.info.outputs
        client = boto3.client("dynamodb")
        tags = _tags(count)
        batch_put(
            client, outputs["HashtagsTableName"], [hashtag_to_item(t) for t in tags], "seeding"
        )
        first = DEFAULT_START
        second = first + timedelta(hours=12)
        for label, when in (("first tick (all new)", first), ("settled tick", second)):
            if when == second:
                DynamoPlanStore(outputs["StateTableName"]).put_entries(_steady_plan(tags, second))
                boto3.client("sqs").purge_queue(QueueUrl=session.runner.fetch_queue_url)
            session.clock.set(when)
            before = bench.requests.snapshot()
            wall, cpu = time.perf_counter(), time.thread_time()
            result = session.runner.tick_collection(when)
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            counts = bench.requests.snapshot() - before
            ops = by_operation(counts, "dynamodb")
            sqs = service_total(counts, "sqs")
            sends = counts.get(("sqs", "SendMessageBatch"), 0)
            model = _fan_out_model({**ops, "_sqs": sqs}, ops.get("Scan", 0), cpu)
            rows.append(
                {
                    "tick": label,
                    "hashtags": count,
                    "sent": result["sent"],
                    "calls_planned": result["credits_planned"],
                    "call_capacity": result["call_capacity"],
                    "dynamodb": ops,
                    "dynamodb_requests": sum(ops.values()),
                    "sqs_requests": sqs,
                    "sqs_send_batches": sends,
                    "emulator_wall_seconds": round(wall, 2),
                    "cpu_seconds": round(cpu, 2),
                    "modelled_aws_seconds": round(model, 1),
                    "ideal_seconds": round(result["credits_planned"] / HIGH_RATE_PER_SECOND, 1),
                }
            )
    return rows


def drain_model(calls: int, fan_out_seconds: float, workers: int) -> dict[str, Any]:
    """A tick's time on AWS: the drain runs at the lowest of the plan's paced rate and what
    `workers` containers making one call at a time reach; it starts as the first messages
    land (the fan-out sends in chunks, so the two overlap; the later of the two ends it)."""
    paced = HIGH_RATE_PER_SECOND / 1.05
    per_worker = 1 / (CALL_SECONDS + WORK_SECONDS)
    rate = min(paced, workers * per_worker)
    drain = calls / rate
    tick = max(fan_out_seconds, drain)
    ideal = calls / HIGH_RATE_PER_SECOND
    return {
        "workers": workers,
        "calls": calls,
        "rate_per_second": round(rate, 2),
        "bound_by": "plan's rate (paced)" if rate == paced else "Lambda concurrency",
        "tick_seconds": round(tick, 0),
        "ideal_seconds": round(ideal, 0),
        "ratio": round(tick / ideal, 2) if ideal else None,
        "workers_for_full_rate": int(paced / per_worker) + 1,
    }


def _scaled(row: dict[str, Any], factor: float) -> dict[str, Any]:
    """A tick's figures at `factor` × its tags: every request is one per page or batch of a
    fixed size (scan pages of 500, write batches of 25, SQS batches of 10) or one per tick,
    so the per-page ones scale linearly; so do the CPU and the calls."""
    fixed = {"BatchGetItem", "Query", "UpdateItem"}  # one or two per tick, whatever the tags
    ops = {op: (n if op in fixed else math.ceil(n * factor)) for op, n in row["dynamodb"].items()}
    sqs = math.ceil(row["sqs_send_batches"] * factor) + (
        row["sqs_requests"] - row["sqs_send_batches"]
    )
    cpu = row["cpu_seconds"] * factor
    calls = round(row["calls_planned"] * factor)
    return {
        "tick": row["tick"],
        "hashtags": round(row["hashtags"] * factor),
        "calls_planned": calls,
        "dynamodb": ops,
        "dynamodb_requests": sum(ops.values()),
        "sqs_requests": sqs,
        "cpu_seconds": round(cpu, 2),
        "modelled_aws_seconds": round(
            _fan_out_model({**ops, "_sqs": sqs}, ops.get("Scan", 0), cpu), 1
        ),
        "ideal_seconds": round(calls / HIGH_RATE_PER_SECOND, 1),
    }


def high_rate(count: int, limiter_seconds: float, workers: list[int]) -> dict[str, Any]:
    """The high-rate plan: ticks measured at `count` tags on the emulator and scaled to
    HIGH_RATE_TAGS (moto's scan and query pages cost it time in proportion to the whole
    table, so 10,000 tags take it half an hour a tick: an emulator cost DynamoDB has not),
    the planner and the slot record measured at full size."""
    say(f"capacity: scheduler ticks for {count} tags at {HIGH_RATE_PER_SECOND}/s")
    ticks = scheduler_ticks(count)
    factor = HIGH_RATE_TAGS / count
    scaled = [_scaled(row, factor) for row in ticks]
    say(f"capacity: the slot record at {HIGH_RATE_PER_SECOND}/s with {workers} workers")
    limiter = [limiter_run(n, limiter_seconds) for n in workers]
    heaviest = scaled[0]
    drains = [
        drain_model(heaviest["calls_planned"], heaviest["modelled_aws_seconds"], n)
        for n in WORKER_CONCURRENCY
    ]
    return {
        "hashtags": HIGH_RATE_TAGS,
        "measured_hashtags": count,
        "rate_per_second": HIGH_RATE_PER_SECOND,
        "assumptions": {
            "call_seconds": CALL_SECONDS,
            "work_seconds": WORK_SECONDS,
            "cas_seconds": CAS_SECONDS,
            "aws_latency_seconds": AWS_LATENCY_SECONDS,
        },
        "planner": plan_time(HIGH_RATE_TAGS),
        "measured_ticks": ticks,
        "ticks": scaled,
        "limiter": limiter,
        "drain": drains,
    }


# -- over-subscription ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Oversubscribed:
    """The reduced plan: its rate, the tags it could poll every 6 hours, and 3× as many."""

    rate_per_minute: int
    followable: int
    tags: int


def oversubscribed_size(rate_per_minute: int = OVER_RATE_PER_MINUTE) -> Oversubscribed:
    """The planner's own arithmetic (planner.resolution): tags a plan can poll every 6 h
    with their daily samples, for a third of each kind."""
    kinds = [HashtagKind(k) for k in KINDS]
    tags = [TrackedHashtag(hashtag=f"k{i}", kind=k) for i, k in enumerate(kinds)]
    need = resolution(
        [bounds_for(t) for t in tags],
        [sample_calls(FetchPolicy(), k) for k in kinds],
        calls_per_hour=rate_per_minute * 60 * (1 - CAPACITY_MARGIN),
        credits_per_hour=float("inf"),
    )
    followable = need.followable(6.0)
    return Oversubscribed(rate_per_minute, followable, OVER_FACTOR * followable)


CALM = Profile(ProfileKind.STEADY, base_videos=5_000, base_views=20_000_000, rate=2.0)


def _seed(table: str, plan: Scenario) -> None:
    """The tracked-hashtag items as the CLI writes them, in batches (the CLI's one request
    per tag is the slow part of starting a run of hundreds of tags)."""
    tags = [
        TrackedHashtag(hashtag=t.name, kind=HashtagKind(t.kind), campaign=t.campaign)
        for t in plan.tracked
    ]
    batch_put(boto3.client("dynamodb"), table, [hashtag_to_item(t) for t in tags], "seeding")


def oversubscription(hours: float, tick_minutes: int = 60) -> dict[str, Any]:
    """3× the tags the reduced plan can poll every 6 h, adaptive, ticking every
    `tick_minutes` for `hours`."""
    size = oversubscribed_size()
    tracked = tuple(
        Tracked(f"over{i:04d}", KINDS[i % 3], "Bench" if i % 3 != 2 else None, CALM, "calm")
        for i in range(size.tags)
    )
    plan = Scenario(tracked=tracked, invalid_items=(), start=DEFAULT_START)
    # The month's budget: what the plan's rate allows in a 30-day month, so the rate binds
    # and the allowance is checked at the same time.
    budget = size.rate_per_minute * 60 * 24 * 30
    say(f"capacity: over-subscription, {size.tags} tags at {size.rate_per_minute}/min, {hours} h")
    tick = timedelta(minutes=tick_minutes)
    ticks = [plan.start + i * tick for i in range(int(hours * 60 // tick_minutes))]
    per_tick: list[dict[str, Any]] = []
    with bench_session(
        plan,
        OVER_TIME_SCALE,
        monthly_budget=budget,
        rate_limit=size.rate_per_minute,
        parameters={"TickMinutes": str(tick_minutes)},
    ) as bench:
        session = bench.session
        _seed(session.info.outputs["HashtagsTableName"], plan)
        charged = 0
        for when in ticks:
            session.run_cycle(when)
            fan = session.runner.last_fan_out
            truth = session.simulator.truth()
            per_tick.append(
                {
                    "sent": int(fan.get("sent", 0)),
                    "credits": truth.credits_charged - charged,
                    "calls_planned": int(fan.get("credits_planned", 0)),
                    "call_capacity": int(fan.get("call_capacity", 0)),
                    "allowance": int(fan.get("credit_allowance", 0)),
                    "carried": int(fan.get("carried", 0)),
                    "stretched_hours": fan.get("stretched_hours"),
                }
            )
            charged = truth.credits_charged
        truth = session.simulator.truth()
        polls = _poll_times(session.info.outputs["SnapshotsTableName"], plan, ticks)
        dlq = session.runner.dlq_depth()
    figures = _oversubscription_figures(size, hours, budget, per_tick, polls, truth, dlq)
    figures["tick_minutes"] = tick_minutes
    figures["tick_limit"] = size.rate_per_minute * tick_minutes
    figures["ticks_over_capacity"] = sum(
        1 for t in per_tick if t["credits"] > figures["tick_limit"]
    )
    return figures


def _poll_times(table: str, plan: Scenario, ticks: list[datetime]) -> dict[str, list[datetime]]:
    store = DynamoSnapshotStore(table)
    return {
        t.name: [s.cycle for s in store.between(t.name, ticks[0], ticks[-1])] for t in plan.tracked
    }


def _oversubscription_figures(
    size: Oversubscribed,
    hours: float,
    budget: int,
    per_tick: list[dict[str, Any]],
    polls: dict[str, list[datetime]],
    truth: Any,
    dlq: int,
) -> dict[str, Any]:
    counts = [len(p) for p in polls.values()]
    gaps = [
        (b - a).total_seconds() / 3600 for p in polls.values() for a, b in itertools.pairwise(p)
    ]
    start = min((p[0] for p in polls.values() if p), default=None)
    first_waits = [(p[0] - start).total_seconds() / 3600 for p in polls.values() if p and start]
    stretched = [t["stretched_hours"] for t in per_tick if t["stretched_hours"] is not None]
    month_share = budget * hours / (30 * 24)
    return {
        "rate_per_minute": size.rate_per_minute,
        "followable_every_6h": size.followable,
        "hashtags": size.tags,
        "hours": hours,
        "time_scale": OVER_TIME_SCALE,
        "monthly_budget": budget,
        "too_many_requests": truth.answers.get(429, 0),
        "rate_limit_violations": truth.rate_limit_violations,
        "ticks_over_planned_capacity": sum(
            1 for t in per_tick if t["calls_planned"] > t["call_capacity"]
        ),
        "ticks_over_allowance": sum(1 for t in per_tick if t["credits"] > t["allowance"]),
        "max_credits_in_a_tick": max((t["credits"] for t in per_tick), default=0),
        "credits": truth.credits_charged,
        "credits_even_share": round(month_share, 1),
        "budget_overspent": truth.credits_charged > budget,
        "polls_per_tag_min": min(counts, default=0),
        "polls_per_tag_max": max(counts, default=0),
        "polls_per_tag_mean": round(sum(counts) / len(counts), 2) if counts else 0,
        "never_polled": sum(1 for c in counts if c == 0),
        "longest_gap_hours": round(max(gaps), 2) if gaps else None,
        "longest_first_wait_hours": round(max(first_waits), 2) if first_waits else None,
        "stretched_hours": stretched[-1] if stretched else None,
        "dlq": dlq,
        "carried_last_tick": per_tick[-1]["carried"] if per_tick else 0,
        "daily_samples": truth.credits_charged - sum(len(p) for p in polls.values()),
    }


def measure(
    hashtags: int,
    limiter_seconds: float,
    workers: list[int],
    over_hours: float,
    over_tick_minutes: int = 60,
) -> dict[str, Any]:
    return {
        "high_rate": high_rate(hashtags, limiter_seconds, workers),
        "oversubscription": oversubscription(over_hours, over_tick_minutes),
    }
