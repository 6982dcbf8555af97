"""Section 1 of bench/RESULTS.md: polling policies, capacity at a high rate and when
over-subscribed, and the cost model (issue 15)."""

from __future__ import annotations

from typing import Any

from bench.tables import pct, table

CREDIT_TARGET = 0.40
RAMP_LAG_TARGET_HOURS = 1.5
SIDE_ORDER = ("baseline", "fixed", "adaptive", "equal_cost")


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def targets(p: dict[str, Any]) -> dict[str, bool | None]:
    """Each of the issue's targets, judged on the measured figures."""
    sides = p["sides"]
    adaptive, fixed, base = sides["adaptive"], sides["fixed"], sides["baseline"]
    ramp, step = adaptive["ramp"]["mean_lag_hours"], adaptive["step"]["mean_lag_hours"]
    fixed_step = fixed["step"]["mean_lag_hours"]
    return {
        "credits ≤ 40 % of the baseline": p["credit_ratio"]["adaptive"] <= CREDIT_TARGET,
        "ramp mean lag ≤ 1.5 h": None if ramp is None else ramp <= RAMP_LAG_TARGET_HOURS,
        "step mean lag ≤ fixed 6 h's": (
            None if step is None or fixed_step is None else step <= fixed_step
        ),
        "every moment detected": adaptive["all"]["missed"] == 0,
        "false alerts ≤ the baseline's": (
            adaptive["false_alerts_on_calm_tags"] <= base["false_alerts_on_calm_tags"]
        ),
    }


def capacity_ok(c: dict[str, Any]) -> bool:
    """The over-subscription targets: 0 × 429, no tick over capacity, budget kept."""
    o = c["oversubscription"]
    return (
        o["too_many_requests"] == 0
        and o["ticks_over_capacity"] == 0
        and o["ticks_over_allowance"] == 0
        and not o["budget_overspent"]
    )


def busiest_ok(c: dict[str, Any]) -> bool:
    """No second of the slot-record runs held more calls than the plan's rate."""
    return all(r["busiest_second"] <= r_limit(c) for r in c["high_rate"]["limiter"])


def r_limit(c: dict[str, Any]) -> int:
    return int(c["high_rate"]["rate_per_second"])


def _lag(figures: dict[str, Any]) -> str:
    return "–" if figures["mean_lag_hours"] is None else f"{figures['mean_lag_hours']} h"


def summary_rows(s: dict[str, Any]) -> list[list[Any]]:
    p = s["polling"]
    sides, ratio = p["sides"], p["credit_ratio"]
    a, f = sides["adaptive"], sides["fixed"]
    judged = targets(p)
    missed = [name for name, ok in judged.items() if ok is False]
    rows = [
        [
            "1. polling: credits / hashtag / day; mean lag to the viral alert (ramp, step); "
            "moments detected; false alerts",
            f"adaptive {a['credits_per_hashtag_day']} vs baseline "
            f"{sides['baseline']['credits_per_hashtag_day']} ({pct(ratio['adaptive'])}), "
            f"fixed 6 h {f['credits_per_hashtag_day']} ({pct(ratio['fixed'])}); ramp "
            f"{_lag(a['ramp'])} (fixed 6 h {_lag(f['ramp'])}); step {_lag(a['step'])} "
            f"(fixed 6 h {_lag(f['step'])}); {a['all']['detected']}/{a['all']['injected']} "
            f"detected; {a['false_alerts_on_calm_tags']} false (baseline "
            f"{sides['baseline']['false_alerts_on_calm_tags']})",
            "≤ 40 % of the baseline's credits; ramp ≤ 1.5 h; step ≤ fixed 6 h; all "
            "detected; false alerts ≤ the baseline's",
            _verdict(not missed) + ("" if not missed else f" ({'; '.join(missed)})"),
        ]
    ]
    if "capacity" in p:
        c = p["capacity"]
        o = c["oversubscription"]
        rows.append(
            [
                "1. capacity: over-subscribed 3× (429s, ticks over capacity, budget); "
                "slot record at 50/s",
                f"{o['too_many_requests']} × 429, {o['ticks_over_capacity']} ticks over "
                f"capacity, budget {'overspent' if o['budget_overspent'] else 'kept'}; polls "
                f"per tag {o['polls_per_tag_min']}–{o['polls_per_tag_max']}, longest gap "
                f"{o['longest_gap_hours'] or '–'} h; busiest second at 50/s: "
                f"{max(r['busiest_second'] for r in c['high_rate']['limiter'])} calls",
                "0 × 429, no tick over capacity, budget not overspent; ≤ 50 calls in any second",
                f"over-subscription {_verdict(capacity_ok(c))}; 50/s {_verdict(busiest_ok(c))}",
            ]
        )
    return rows


def _side_row(name: str, side: dict[str, Any], ratio: float) -> list[Any]:
    def lag(f: dict[str, Any]) -> str:
        return f"{f['detected']}/{f['injected']}; {f['mean_lag_hours']} / {f['p90_lag_hours']}"

    return [
        side["policy"],
        side["credits_per_hashtag_day"],
        pct(ratio),
        ", ".join(f"{k} {v}" for k, v in side["per_kind_day"].items()),
        ", ".join(f"{k} {v}" for k, v in side["endpoint_calls"].items()),
        lag(side["step"]),
        lag(side["ramp"]),
        side["false_alerts_on_calm_tags"],
        side["too_many_requests"],
    ]


def _sides(p: dict[str, Any]) -> list[str]:
    sides = p["sides"]
    rows = [_side_row(k, sides[k], p["credit_ratio"][k]) for k in SIDE_ORDER if k in sides]
    moments = p["moments"]
    ramps = moments["ramp_hours"]
    judged = targets(p)
    exact = p.get("equal_cost_hours_exact")
    equal = sides.get("equal_cost")
    return [
        "## 1. Polling: credits, detection lag and false alerts; capacity; cost",
        "",
        "### 1a. Policies side by side",
        "",
        f"{p['hashtags']} hashtags ({', '.join(f'{n} {k}' for k, n in p['kinds'].items())}) "
        f"for {p['days']:g} days on the simulator (time scale {p['time_scale']:g}), each "
        "policy against its own simulator instance so credits are counted apart. Injected "
        f"viral moments: {moments['step']} step onsets (full rate at once) and "
        f"{moments['ramp']} ramps (logistic growth over "
        f"{min(ramps, default=0):g}–{max(ramps, default=0):g} h), 80–250 new videos per "
        "hour at the peak, fading over 6–18 h (the simulator's viral ranges), at odd "
        "minutes so they fall at every phase of a tick. The other tags are the simulator's "
        "procedural profiles, slowed where needed so their true counters never meet the "
        "viral rule: any viral alert on them is false. *Lag* = the first viral alert's "
        "time (its `at`, the tick that read it) minus the moment the tag's true counters "
        "first met the viral rule (the simulator's `viral_times`, to 5 min); an alert "
        "before the true moment (the product's window tolerance) counts as a negative lag. "
        "A moment with no alert by the run's end is missed. The product ticks hourly "
        "(TickMinutes 60) in every policy; with FixedIntervalHours set a tag is simply not "
        "due between its polls, as a deployment with that setting runs. The baseline polls "
        "every 6 hours from the start.",
        "",
        *table(
            [
                "policy",
                "credits / hashtag / day",
                "of the baseline",
                "by kind",
                "calls by endpoint",
                "step: detected; mean / p90 lag (h)",
                "ramp: detected; mean / p90 lag (h)",
                "false viral alerts (calm tags)",
                "429s",
            ],
            rows,
        ),
        (
            f"Equal cost: the adaptive policy spent {sides['adaptive']['credits_per_hashtag_day']}"
            f" credits per tag per day; a fixed cadence spends 24/N stats calls plus the "
            f"day's pages ({p['page_credits_per_hashtag_day']} a tag, from the fixed 6 h run), "
            f"so N = {exact} h spends the same; run at "
            f"{equal['parameters']['FixedIntervalHours']} h (whole hours: the ticks are "
            f"hourly), it spent {equal['credits_per_hashtag_day']}."
            if equal is not None and exact is not None
            else "Equal cost: the adaptive policy spent less than the daily pages alone; no "
            "fixed cadence matches it."
        ),
        "",
        "Targets: " + "; ".join(f"{name} {_verdict(ok)}" for name, ok in judged.items()) + ".",
        "",
    ]


def _high_rate(h: dict[str, Any]) -> list[str]:
    a = h["assumptions"]
    measured = [
        [
            r["tick"],
            r["hashtags"],
            r["sent"],
            r["calls_planned"],
            r["dynamodb_requests"],
            ", ".join(f"{k} {v}" for k, v in r["dynamodb"].items()),
            r["sqs_requests"],
            r["emulator_wall_seconds"],
            r["cpu_seconds"],
        ]
        for r in h["measured_ticks"]
    ]
    ticks = [
        [
            r["tick"],
            r["hashtags"],
            r["calls_planned"],
            r["dynamodb_requests"],
            ", ".join(f"{k} {v}" for k, v in r["dynamodb"].items()),
            r["sqs_requests"],
            r["cpu_seconds"],
            r["modelled_aws_seconds"],
            r["ideal_seconds"],
        ]
        for r in h["ticks"]
    ]
    limiter = [
        [
            r["workers"],
            r["offered_per_second"],
            r["calls_per_second"],
            r["pacing_ceiling_per_second"],
            r["busiest_second"],
            r["slot_writes_per_second"],
            pct(r["refused_share"]),
            r["late_slots"],
        ]
        for r in h["limiter"]
    ]
    drains = [
        [
            r["workers"],
            r["calls"],
            r["rate_per_second"],
            r["bound_by"],
            r["tick_seconds"],
            r["ideal_seconds"],
            r["ratio"],
        ]
        for r in h["drain"]
    ]
    plan = h["planner"]
    return [
        f"### 1b. A high-rate plan: {h['hashtags']:,} tags at {h['rate_per_second']} "
        "requests per second",
        "",
        "Measured: the scheduler's tick through the real handler and adapters on the "
        f"emulated stack for {h['measured_hashtags']:,} tags (requests counted per operation "
        "with botocore's hooks; wall and CPU time of the invocation on the emulator), the "
        "first tick (every tag new: its stats and daily sample) and a settled one 12 hours "
        "later (plans as a day of readings leaves them, about 1 tag in 7 due).",
        "",
        *table(
            [
                "tick",
                "tags",
                "messages sent",
                "calls planned",
                "DynamoDB requests",
                "by operation",
                "SQS requests",
                "emulator wall (s)",
                "CPU (s)",
            ],
            measured,
        ),
        f"Scaled to {h['hashtags']:,} tags: moto reads the whole table for every scan and "
        "query page, so its time per tick grows with the square of the tags (1,500 tags took "
        "it 45 s, 10,000 would take half an hour), an emulator cost DynamoDB has not. Every "
        "request is one per page or batch of a fixed size (scan pages of 500 items, write "
        "batches of 25, SQS batches of 10) or one per tick, so the counts scale linearly, "
        "and so do the CPU and the calls. The pure planner, measured at full size, took "
        f"{plan['cpu_seconds']:.3f} s CPU to plan {plan['tags']:,} new tags. *Modelled AWS* "
        f"= the tick's requests one after another at "
        f"{a['aws_latency_seconds']['dynamodb'] * 1000:g} ms per DynamoDB request, "
        f"{a['aws_latency_seconds']['scan_page'] * 1000:g} ms per scan page and "
        f"{a['aws_latency_seconds']['sqs'] * 1000:g} ms per SQS batch (assumed), plus the "
        "CPU. Ideal = the tick's calls ÷ 50 per second.",
        "",
        *table(
            [
                "tick",
                "tags",
                "calls planned",
                "DynamoDB requests",
                "by operation",
                "SQS requests",
                "CPU (s)",
                "modelled AWS fan-out (s)",
                "ideal drain (s)",
            ],
            ticks,
        ),
        "The shared slot record, measured: N threads, each a worker container with the "
        "product's RateLimiter at PlanRateLimitPerSecond 50 (50 per 1-s window, paced "
        "5 % under), taking SQS batches of 5 records, one data-API call per record; the slot "
        "record in memory with a compare-and-swap of "
        f"{a['cas_seconds'] * 1000:g} ms (DynamoDB's conditional update within a region, "
        f"assumed); a call lasts {a['call_seconds']} s plus {a['work_seconds']} s of "
        "work (assumed: the provider publishes no latency). *Offered* = what N containers "
        "calling one at a time could make.",
        "",
        *table(
            [
                "workers",
                "offered calls/s",
                "achieved calls/s",
                "pacing ceiling/s",
                "busiest second (calls)",
                "slot-record writes/s",
                "refused",
                "booked slots passed unused",
            ],
            limiter,
        ),
        "The first tick's drain, modelled from the two measurements: the drain runs at the "
        "lowest of the paced rate (50 ÷ 1.05) and what the worker containers reach, and "
        "overlaps the fan-out (messages go out in chunks of 500).",
        "",
        *table(
            [
                "WorkerMaxConcurrency",
                "calls",
                "calls/s",
                "bound by",
                "tick (s)",
                "ideal (s)",
                "ratio",
            ],
            drains,
        ),
        *_bottleneck(h),
        "",
    ]


def _bottleneck(h: dict[str, Any]) -> list[str]:
    first, default, widest = h["ticks"][0], h["drain"][0], h["drain"][-1]
    busiest = max(h["limiter"], key=lambda r: r["slot_writes_per_second"])
    return [
        f"What becomes the bottleneck: Lambda concurrency. One container makes one call at a "
        f"time, so the paced rate needs about {default['workers_for_full_rate']} containers; "
        f"at the default WorkerMaxConcurrency ({default['workers']}) the first tick's "
        f"{first['calls_planned']:,} calls take {default['tick_seconds']:,.0f} s "
        f"({default['ratio']}× the ideal), at {widest['workers']} (the template's largest) "
        f"{widest['tick_seconds']:,.0f} s ({widest['ratio']}×). The slot record is not: "
        f"the most compare-and-swap writes measured were {busiest['slot_writes_per_second']} "
        f"a second ({busiest['workers']} workers, refusals included, each a billed "
        "conditional write) against the 1,000 a second one DynamoDB item takes. The fan-out "
        f"is not either: the first tick's {first['dynamodb_requests']} DynamoDB and "
        f"{first['sqs_requests']} SQS requests model at {first['modelled_aws_seconds']} s on "
        "AWS, and the drain starts with the first chunk of 500 messages. Booked slots "
        "passed unused: a container that has not timed its work yet books no slot shorter "
        "than 1 s ahead (its first call outlasts a 21 ms slot), so none pass unused.",
    ]


def _oversubscription(o: dict[str, Any]) -> list[str]:
    rows = [
        ["tags / can poll every 6 h", f"{o['hashtags']} / {o['followable_every_6h']}"],
        ["plan", f"{o['rate_per_minute']} per minute, ticks of {o['tick_minutes']} min"],
        ["simulated hours", o["hours"]],
        ["429s (simulator's window violations)", o["too_many_requests"]],
        [
            "ticks over capacity (credits charged > the plan's calls in a tick)",
            o["ticks_over_capacity"],
        ],
        [
            "most credits in one tick / the plan's calls in a tick",
            f"{o['max_credits_in_a_tick']} / {o['tick_limit']}",
        ],
        ["ticks over their credit allowance", o["ticks_over_allowance"]],
        [
            "credits / the month's budget (its even share for the hours run)",
            f"{o['credits']} / {o['monthly_budget']} ({o['credits_even_share']})",
        ],
        [
            "polls per tag: min / mean / max",
            f"{o['polls_per_tag_min']} / {o['polls_per_tag_mean']} / {o['polls_per_tag_max']}",
        ],
        ["tags never polled", o["never_polled"]],
        ["credits on daily samples (video and comment pages)", o.get("daily_samples")],
        ["longest gap between two polls of a tag (h)", o["longest_gap_hours"]],
        ["longest wait for a tag's first poll (h)", o["longest_first_wait_hours"]],
        ["stretched interval the scheduler reports (h)", o["stretched_hours"]],
        ["messages in the DLQ", o["dlq"]],
    ]
    return [
        "### 1c. Over-subscription",
        "",
        "On the emulated stack with the real handlers, adaptive policy, calm tags (a third of "
        "each kind): 3× as many tags as the plan can poll every 6 hours with their daily "
        "samples (the planner's own arithmetic, `planner.resolution`). The plan is scaled "
        "down from 10 per minute (3× = 6,480 tags, more than the emulator runs in reasonable "
        "time) to 1 per minute (the template's smallest); the property is the same at any "
        f"rate. Time scale {o['time_scale']:g} (a plan minute lasts "
        f"{60 / o['time_scale']:.2f} s; see capacity.py for why not faster). The month's "
        "budget is what the rate allows in 30 days, so both limits are live.",
        "",
        *table(["figure", "measured"], rows),
    ]


def _cost(c: dict[str, Any]) -> list[str]:
    lines = ("credits", "lambda_compute", "lambda_requests", "dynamodb", "sqs", "sns", "s3")
    rows = [
        [row["policy"], *(row["lines"][k] for k in lines), row["aws"], row["total"]]
        for row in c["rows"].values()
    ]
    prices = c["prices"]
    return [
        "### 1d. Cost per 1,000 tracked hashtags per month",
        "",
        f"Dollars for {c['tags']:,} tags over {c['month_days']} days at the default plan "
        f"({c['plan_rate_per_minute']} per minute), from the side-by-side runs' counts per "
        "tag per day. Prices: "
        f"{c['prices_date']}: credit ${prices['credit']}; Lambda arm64 "
        f"${prices['lambda_gb_second_arm64']:.10f} per GB-s and $0.20 per million requests; "
        "DynamoDB on-demand $0.625 per million write units, $0.125 per million read units; "
        "SQS $0.40 per million requests; SNS $0.50 per million publishes; S3 $0.005 per "
        "1,000 PUTs, $0.0004 per 1,000 GETs.",
        "",
        *table(
            [
                "policy",
                "credits",
                "Lambda GB-s",
                "Lambda requests",
                "DynamoDB",
                "SQS",
                "SNS",
                "S3",
                "AWS total",
                "total",
            ],
            rows,
        ),
        "Measured: credits (the simulator's count), polls, worker and scheduler invocations "
        "and their time on the emulator, DynamoDB request units (1 per item written, 2 in a "
        "transaction; 1 per 4 KB of read response, which overstates reads), SNS publishes. "
        "Modelled: the worker's time waiting for its rate-limit slots at the real 10-per-"
        "minute rate (6.3 s a call; both default containers counted as waiting through a "
        "drain, an upper bound; Lambda bills the wait), the scheduler's 720 ticks a month, "
        "SQS requests (the fan-out's batches of 10, the event source's receive and delete per "
        "batch of 5, and its idle long polling, about 650,000 requests a month whatever the "
        "tags), and the weekly report's S3 requests. The baseline is priced as one 512 MB "
        "function per 6-hour cycle running as long as the plan's rate makes it (it stores "
        f"nothing: a lower bound). Credits are {pct(_credit_share(c))} or more of every "
        "policy's cost. CloudWatch Logs ingestion is not counted.",
        "",
    ]


def _credit_share(c: dict[str, Any]) -> float | None:
    shares = [r["lines"]["credits"] / r["total"] for r in c["rows"].values() if r["total"]]
    return min(shares) if shares else None


def section(p: dict[str, Any]) -> list[str]:
    lines = _sides(p)
    if "capacity" in p:
        lines += _high_rate(p["capacity"]["high_rate"])
        lines += _oversubscription(p["capacity"]["oversubscription"])
    if "cost" in p:
        lines += _cost(p["cost"])
    return lines
