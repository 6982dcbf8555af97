"""Section 1, cost: dollars per 1,000 tracked hashtags per month for each polling policy.

Measured counts from the side-by-side runs (bench/planner.py: credits, polls, handler
invocations and their time, DynamoDB request units, SNS publishes) scaled to 1,000 tags and
a 30-day month, times public list prices. What is modelled, not measured, is said per line:
the worker's time waiting for rate-limit slots at the real plan rate (the runs were time-
scaled), the SQS requests of Lambda's event source, and the weekly report's S3 requests.
"""

from __future__ import annotations

from typing import Any

from bench.common import PLAN_RATE_LIMIT
from hashtag_tracker.collection.pacing import SAFETY_MARGIN

PRICES_DATE = (
    "AWS list prices for us-east-1 as published in 2025 (DynamoDB on-demand after its "
    "2024-11-01 reduction); free tiers left out"
)
PRICES = {
    "credit": 0.005,  # the data API, per credit (README: about $0.005)
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_request": 0.20 / 1_000_000,
    "dynamodb_write_unit": 0.625 / 1_000_000,  # on-demand, since the 2024-11-01 cut
    "dynamodb_read_unit": 0.125 / 1_000_000,
    "sqs_request": 0.40 / 1_000_000,  # standard queue, per 64 KB chunk
    "sns_publish": 0.50 / 1_000_000,
    "s3_put": 0.005 / 1_000,
    "s3_get": 0.0004 / 1_000,
}
TAGS = 1_000
MONTH_DAYS = 30
TICKS_PER_MONTH = 24 * MONTH_DAYS  # hourly ticks (TickMinutes 60)
# The template's memory sizes (MB): Globals 512 for the scheduler and worker.
MEMORY_MB = {"scheduler": 512, "worker": 512}
# Lambda's SQS event source long-polls the queue all the time: about 5 pollers, one 20-s
# receive each, whether or not there are messages (AWS's documented poller behaviour).
IDLE_POLL_REQUESTS = 5 * 3 * 60 * 24 * MONTH_DAYS
RECORDS_PER_BATCH = 5  # the event source's BatchSize
# The weekly report: one PutObject for the report and one for its data, a few GETs by readers.
REPORT_PUTS, REPORT_GETS = 2 * 4.35, 20 * 4.35
WORKER_CONCURRENCY = 2  # the template's default WorkerMaxConcurrency


def slot_seconds(rate_per_minute: float = PLAN_RATE_LIMIT) -> float:
    """The spacing of calls at the plan's rate: 60 s / rate, plus the pacing's margin."""
    return 60.0 / rate_per_minute * (1 + SAFETY_MARGIN)


def _product_lines(side: dict[str, Any], tag_days: float) -> dict[str, float]:
    """Monthly dollars for 1,000 tags, by item, from one product run's counts."""
    scale = TAGS * MONTH_DAYS / tag_days
    calls = side["calls"] - side["too_many_requests"]
    inv = side["invocations"]
    worker, scheduler = inv.get("worker", {}), inv.get("scheduler", {})
    # The worker's wall time on AWS: each call waits for its slot at the plan's real rate
    # (the run was time-scaled), so a drain lasts calls × slot; both default containers may
    # wait through it. Its own work is the run's measured time (the emulator's, an upper
    # bound of AWS's).
    worker_seconds = (
        calls * slot_seconds() * WORKER_CONCURRENCY + worker.get("wall_seconds", 0.0)
    ) * scale
    # The scheduler runs every tick whatever the tags; its time per tag scales with them.
    scheduler_seconds = scheduler.get("wall_seconds", 0.0) * scale
    gb = {"worker": worker_seconds * MEMORY_MB["worker"] / 1024}
    gb["scheduler"] = scheduler_seconds * MEMORY_MB["scheduler"] / 1024
    invocations = worker.get("invocations", 0) * scale + TICKS_PER_MONTH
    polls = side["polls"] * scale
    # SQS: the fan-out's batches of 10, the event source's receives and batch deletes per
    # batch of 5, the scheduler's depth read each tick, and the idle long polls.
    sqs = polls / 10 + 2 * polls / RECORDS_PER_BATCH + TICKS_PER_MONTH + IDLE_POLL_REQUESTS
    units = side["aws"]["dynamodb_units"]
    return {
        "credits": calls * scale * PRICES["credit"],
        "lambda_compute": (gb["worker"] + gb["scheduler"]) * PRICES["lambda_gb_second_arm64"],
        "lambda_requests": invocations * PRICES["lambda_request"],
        "dynamodb": units["write"] * scale * PRICES["dynamodb_write_unit"]
        + units["read"] * scale * PRICES["dynamodb_read_unit"],
        "sqs": sqs * PRICES["sqs_request"],
        "sns": side["aws"]["sns"] * scale * PRICES["sns_publish"],
        "s3": REPORT_PUTS * PRICES["s3_put"] + REPORT_GETS * PRICES["s3_get"],
    }


def _baseline_lines(side: dict[str, Any], tag_days: float) -> dict[str, float]:
    """The tutorial poller as one 512 MB arm64 function per 6-hour cycle: it cannot call
    faster than the plan, so it runs calls × 60/rate s (waiting out its 429s); it stores
    nothing (a lower bound: a real deployment would keep its last poll somewhere)."""
    scale = TAGS * MONTH_DAYS / tag_days
    calls = side["calls"] - side["too_many_requests"]
    seconds = calls * scale * 60.0 / PLAN_RATE_LIMIT
    return {
        "credits": calls * scale * PRICES["credit"],
        "lambda_compute": seconds * 512 / 1024 * PRICES["lambda_gb_second_arm64"],
        "lambda_requests": 4 * MONTH_DAYS * PRICES["lambda_request"],
        "dynamodb": 0.0,
        "sqs": 0.0,
        "sns": 0.0,
        "s3": 0.0,
    }


def model(planner: dict[str, Any]) -> dict[str, Any]:
    """$ per 1,000 tags per month for every side of the planner section, by item."""
    tag_days = planner["hashtags"] * planner["days"]
    rows = {}
    for key, side in planner["sides"].items():
        lines = (_baseline_lines if key == "baseline" else _product_lines)(side, tag_days)
        rows[key] = {
            "policy": side["policy"],
            "lines": {k: round(v, 2) for k, v in lines.items()},
            "total": round(sum(lines.values()), 2),
            "aws": round(sum(v for k, v in lines.items() if k != "credits"), 2),
        }
    return {
        "tags": TAGS,
        "month_days": MONTH_DAYS,
        "plan_rate_per_minute": PLAN_RATE_LIMIT,
        "prices": PRICES,
        "prices_date": PRICES_DATE,
        "rows": rows,
    }
