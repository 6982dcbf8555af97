"""The detail sections of bench/RESULTS.md: each figure's table, its method, and its causes."""

from __future__ import annotations

from typing import Any

from bench import results_polling
from bench.tables import mb, report_flatness, report_growth, table
from hashtag_tracker.collection.pacing import SAFETY_MARGIN


def cycle_section(rows: list[dict[str, Any]]) -> list[str]:
    cells = [
        [
            r["hashtags"],
            r["time_scale"],
            r["calls"],
            r["ideal_minutes"],
            r["cycle_minutes"],
            r["ratio"],
            r["fetch_ratio"],
            r["fan_out_real_seconds"],
            r["real_seconds"],
            r["too_many_requests"],
            r["dlq"],
        ]
        for r in rows
    ]
    return [
        "## 2. Cycle completion time against the ideal",
        "",
        "The first tick of a month's first day with no history, from the scheduler's tick "
        "to an empty fetch queue, through the real scheduler and worker on the emulated "
        "stack, one worker at a time, the worker's cold start included. A tick sends what its "
        "call capacity and the month's credit allowance allow (README, Polling): at the "
        "start of a 20,000-credit month that is 92 credits (3× a tick's even share), so both "
        "sizes send the stats of the 92 most urgent tags and no daily samples; the figure "
        "is that tick's drain against its ideal. Ideal = calls ÷ 10 per minute. On the "
        "time-scaled simulator a plan minute lasts 60/scale real seconds, for the simulator's "
        "rate limit and for the workers' DynamoDB slot pacing alike; simulated minutes = real "
        "seconds × scale / 60.",
        "",
        *table(
            [
                "hashtags",
                "time scale",
                "calls",
                "ideal (sim. min)",
                "cycle (sim. min)",
                "ratio",
                "fetch phase ratio",
                "fan-out (real s)",
                "cycle (real s)",
                "429s",
                "DLQ",
            ],
            cells,
        ),
        f"The pacing spaces calls 60 s / limit + {SAFETY_MARGIN:.0%} apart, so "
        f"{1 + SAFETY_MARGIN:.2f}× is the floor. Above it: the worker's own time between two "
        "calls (its DynamoDB requests on moto, see section 3) runs past the slot whenever it "
        "exceeds the scaled slot "
        "interval (60 / (10 × scale) s), and the fan-out of every message to SQS happens "
        "before the first call. At the real time scale a slot lasts 6 s, against tens of "
        "milliseconds of work per hashtag on AWS.",
        "",
    ]


def cpu_section(c: dict[str, Any]) -> list[str]:
    ops = ", ".join(f"{op} {n}" for op, n in c["dynamodb_by_operation"].items())
    shares = ", ".join(f"{name} {share} %" for name, share in c["profile_shares"])
    return [
        "## 3. Worker CPU and requests per hashtag",
        "",
        f"{c['hashtags']} hashtags (the demo scenario plus procedural trend tags), "
        f"{c['cycles']} cycles measured after a day of warm-up ({c['hashtag_cycles']} "
        f"hashtag-cycles, {c['records']} SQS records, {c['deferred_records']} of them deferred "
        f"copies), on the simulator at time scale {c.get('time_scale', 0):g} (a call slot "
        "every 60 / (10 × scale) × 1.05 s, longer than a record's work on the emulator, as on "
        "AWS). CPU = `time.thread_time()` of the thread running the worker handler, around "
        "each invocation: our code, msgspec, botocore's serialization, signing and parsing, "
        "Powertools' logging and metrics; not sleeps for a rate-limit slot, not socket waits, "
        "not moto's or the simulator's threads. Requests are counted with botocore's "
        "`before-send` event hook on every client (each HTTP attempt, retries included).",
        "",
        *table(
            ["figure", "per hashtag per cycle"],
            [
                ["worker CPU (ms)", c["cpu_ms_per_hashtag"]],
                [
                    "worker CPU in bare PutItems (CPU ÷ one bare PutItem's)",
                    c.get("cpu_in_bare_put_items_per_hashtag"),
                ],
                ["worker wall time on the emulated stack (ms)", c["wall_ms_per_hashtag"]],
                ["DynamoDB requests", c["dynamodb_per_hashtag_cycle"]],
                ["DynamoDB by operation", ops],
                ["SQS requests (deferrals)", c["sqs_per_hashtag_cycle"]],
                ["SNS publishes (alerts)", c["sns_per_hashtag_cycle"]],
                ["data-API requests", c["api_calls_per_hashtag_cycle"]],
            ],
        ),
        "CPU inside each request the worker makes (thread CPU around each AWS SDK call and "
        "each data-API request: building, signing, sending, parsing, retries):",
        "",
        *table(
            ["request", "per hashtag", "CPU ms per request", "CPU ms per hashtag"],
            [
                [r["operation"], r["per_hashtag"], r["cpu_ms_per_request"], r["cpu_ms_per_hashtag"]]
                for r in c.get("request_cpu", [])
            ],
        ),
        f"Requests account for {c.get('cpu_ms_in_requests_per_hashtag')} ms of the "
        f"{c['cpu_ms_per_hashtag']} ms per hashtag; the rest is our code, msgspec, Powertools' "
        f"logging and metrics. A batch averaged {c.get('records_per_invocation')} records "
        "(BatchSize 5): its fetch claims (one transaction), its credits (one reservation, one "
        "settlement) and its rate-limit slots (one booking for the records left) are taken "
        "once per batch. The floor of a request on this machine: one small unconditional "
        f"PutItem through botocore to the same emulator costs {c.get('bare_put_item_cpu_ms')} "
        "ms of CPU, so the worker's CPU per hashtag is the cost of "
        f"{c.get('cpu_in_bare_put_items_per_hashtag')} such requests (a figure that moves "
        "less between machines than milliseconds do). Where the CPU goes by package (cProfile "
        f"on one more cycle, own time, thread CPU clock): {shares}.",
        "",
    ]


def imports_section(i: dict[str, Any]) -> list[str]:
    rows = [
        [
            r["module"],
            None if r["ms"] is None else f"{r['ms']:.0f}",
            None if r.get("min_ms") is None else f"{r['min_ms']:.0f}",
            _ratio(r["ratio"]),
        ]
        for r in i["rows"]
    ]
    slow = ", ".join(f"`{name}` {ms:.0f} ms" for name, ms in i["worker_slowest"])
    return [
        "## 4. Cold-start import time",
        "",
        "Fresh interpreters (`python -c 'import …'`, bytecode cached by a first, uncounted "
        "run). Each run imports boto3 and then every handler back to back; the ratio is the "
        "median of the runs' handler ÷ boto3 ratios, so load from other jobs on a shared "
        "machine hits both sides of each ratio.",
        "",
        *table(["module", "median (ms)", "min (ms)", "ratio to boto3 (median)"], rows),
        f"What the worker adds on top of boto3, by own import time (`-X importtime`): {slow}.",
        "",
        *_uncached_lines(i.get("worker_uncached")),
    ]


def _uncached_lines(uncached: dict[str, Any] | None) -> list[str]:
    if not uncached or uncached.get("ratio") is None:
        return []
    return [
        "Without bytecode for the layer: Lambda's /opt is read-only, so a layer that ships no "
        "bytecode for the runtime's Python is compiled at every cold start. Measured here with "
        "boto3's bytecode cached and every other module compiled at import: the worker takes "
        f"{uncached['ms']:.0f} ms, {_ratio(uncached['ratio'])} a bare `import boto3`. "
        "`sam build` compiles the layer for Python 3.13 when a python3.13 interpreter is on the "
        "build machine (shared/Makefile), and then the cached figures above apply.",
        "",
    ]


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def report_section(rows: list[dict[str, Any]]) -> list[str]:
    cells = [
        [
            r["hashtags"],
            r["weeks"],
            r["snapshots_stored"],
            r["reported_hashtags"],
            r["dynamodb_requests"],
            r["dynamodb_per_hashtag"],
            ", ".join(f"{k} {v}" for k, v in r["dynamodb_by_operation"].items()),
            r["wall_seconds"],
            r["wall_ms_per_hashtag"],
            r["cpu_ms_per_hashtag"],
        ]
        for r in rows
    ]
    flat = report_flatness(rows)
    fill = "; ".join(
        f"{size} tags: {a} → {b} weeks {ratio}×" for size, a, b, ratio in report_growth(rows)
    )
    flat_text = (
        "; ".join(f"{size} tags: {a} → {b} weeks {ratio}×" for size, a, b, ratio in flat)
        if flat
        else "not measured (needs two histories of 9+ weeks for one size)"
    )
    return [
        "## 5. Report time and DynamoDB requests against history",
        "",
        "The real Report handler (reads, compute, HTML/CSV/JSON to S3, summary to SNS) on "
        "the emulated stack, after a warm-up report. History is written into moto's backend "
        "directly (items made by the product's own serializers): 6-hourly snapshots, the "
        "daily one with the video sample and comment mood, 2 ledger videos and 1 creator a "
        "week, the ledger summary. Wall time includes moto serving the reads (moto runs in "
        "other threads of this process); the report's own CPU is the thread CPU of the "
        "handler. moto answers a Query by sorting the whole table; the bench makes it read "
        "one partition, as DynamoDB does (`bench/motopatch.py`), so the figures do not "
        "measure that emulator cost.",
        "",
        *table(
            [
                "hashtags",
                "weeks",
                "snapshots stored",
                "reported",
                "DynamoDB requests",
                "per hashtag",
                "by operation",
                "wall (s)",
                "wall ms / hashtag",
                "report CPU ms / hashtag",
            ],
            cells,
        ),
        "Requests per hashtag are the same for every size and history: one snapshot query, "
        "one ledger first-seen query, one summary read, plus one scan page of the tracked "
        "hashtags per report. The report reads a fixed window (8 weeks + 1 day), so its time "
        "per hashtag rises from 4 weeks of history until the window is full and stays flat "
        f"after: {flat_text}. From the shortest to the longest history (the window filling "
        f"up included): {fill or 'not measured'}.",
        "",
        "5,000 hashtags take 9 to 17 minutes per history on the emulator (3.6 M items for 26 "
        "weeks, 10 GB of moto memory), so the full run leaves them out; they are run alone "
        "with `python -m bench --sections report --report 5000:4` and `--report 5000:26`: "
        "[RESULTS-report-5000.md](RESULTS-report-5000.md) (4 weeks) and "
        "[RESULTS-report-5000x26.md](RESULTS-report-5000x26.md) (26 weeks).",
        "",
    ]


def package_section(rows: list[dict[str, Any]]) -> list[str]:
    cells = [[r["artifact"], mb(r["bytes"]), mb(r["zipped"])] for r in rows]
    return [
        "## 6. Deployment package sizes",
        "",
        "Each function's code folder, and the layer: our package alone, and the layer as "
        "`sam build` makes it (`shared/Makefile`: arm64 / Python 3.13 wheels from "
        "`shared/requirements.txt`, our package without the laptop-only local runner, "
        "simulator and CLI, and Python 3.13 bytecode when the build machine has a python3.13; "
        "boto3 comes with the Lambda runtime). Lambda's limits: 50 MB zipped upload, 250 MB "
        "unzipped for a function and its layers.",
        "",
        *table(["artifact", "unzipped", "zipped"], cells),
    ]


def details(s: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if "polling" in s:
        lines += results_polling.section(s["polling"])
    if "cycle" in s:
        lines += cycle_section(s["cycle"])
    if "cpu" in s:
        lines += cpu_section(s["cpu"])
    if "imports" in s:
        lines += imports_section(s["imports"])
    if "report" in s:
        lines += report_section(s["report"])
    if "package" in s:
        lines += package_section(s["package"])
    return lines
