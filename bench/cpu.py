"""Section 3: the worker's CPU per hashtag and its AWS and data-API requests per cycle.

CPU is `time.thread_time()` of the thread that runs the worker handler, around each
invocation: it counts the handler's own work (our code, msgspec, botocore's signing and
parsing, Powertools' logging and metrics) and excludes sleeping for a rate-limit slot and
waiting on sockets. moto's server and the simulator run in other threads of this process,
so their CPU is not counted. A separate cProfile pass over one more cycle says where the
CPU goes (profiling inflates times, so only its shares are shown).
"""

from __future__ import annotations

import cProfile
import json
import pstats
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from bench.awscount import RequestCounter, by_operation, service_total
from bench.common import bench_session, say, seed_quietly
from hashtag_tracker_tools.local.runner import LocalRunner
from hashtag_tracker_tools.local.scenario import default_scenario

# A plan minute lasts 3 s: a call slot every ~315 ms, well above a record's work on the
# emulator (tens of ms of moto per request), as the real 6.3 s is above it on AWS. Much
# faster and a worker's work between calls outlasts the slots it could book ahead, so it
# books one slot per call (RateLimiter.books_ahead) and the bench would count bookings that
# a worker on AWS does not make.
TIME_SCALE = 20.0
WARMUP_CYCLES = 4  # a day, so the measured cycles have the history of a running system


class RequestCpu:
    """CPU of the worker's thread inside each AWS SDK call and data-API request, by operation.

    Patches botocore's `_make_api_call` and the data API transport's `post_json` while `active`; the
    thread CPU clock keeps other threads (moto, the simulator) out of it.
    """

    API = "data API (urllib3)"

    def __init__(self) -> None:
        self.active = False
        self.cpu: dict[str, float] = defaultdict(float)
        self.count: Counter[str] = Counter()
        self._undo: list[Callable[[], None]] = []

    def __enter__(self) -> RequestCpu:
        import botocore.client

        from hashtag_tracker.source.http import Urllib3Transport

        self._wrap(botocore.client.BaseClient, "_make_api_call", lambda args: str(args[1]))
        self._wrap(Urllib3Transport, "post_json", lambda args: self.API)
        return self

    def __exit__(self, *_: object) -> None:
        for undo in reversed(self._undo):
            undo()

    def _wrap(self, owner: Any, name: str, label: Callable[[tuple[Any, ...]], str]) -> None:
        original = getattr(owner, name)
        meter = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            if not meter.active:
                return original(*args, **kwargs)
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                key = label(args)
                meter.cpu[key] += time.thread_time() - started
                meter.count[key] += 1

        setattr(owner, name, timed)
        self._undo.append(lambda: setattr(owner, name, original))

    def rows(self, hashtag_cycles: int) -> list[dict[str, Any]]:
        return [
            {
                "operation": op,
                "per_hashtag": round(self.count[op] / hashtag_cycles, 2),
                "cpu_ms_per_request": round(1000 * cpu / self.count[op], 2),
                "cpu_ms_per_hashtag": round(1000 * cpu / hashtag_cycles, 2),
            }
            for op, cpu in sorted(self.cpu.items(), key=lambda kv: -kv[1])
        ]


class WorkerMeter:
    """Wraps the runner's `invoke` to time and count what happens inside worker invocations."""

    def __init__(
        self, runner: LocalRunner, counter: RequestCounter, calls: RequestCpu | None = None
    ) -> None:
        self.calls = calls
        self.invocations = 0
        self.records = 0
        self.deferred = 0
        self.keys: set[tuple[str, str]] = set()
        self.cpu = 0.0
        self.wall = 0.0
        self.requests: Counter[tuple[str, str]] = Counter()
        self.profile: cProfile.Profile | None = None
        self._counter = counter
        self._invoke: Callable[..., Any] = runner.invoke
        runner.invoke = self.invoke  # type: ignore[method-assign,assignment]

    def invoke(self, name: str, event: dict[str, Any], timeout: float = 900.0) -> Any:
        if name != "worker":
            return self._invoke(name, event, timeout)
        before = self._counter.snapshot()
        self.invocations += 1
        if self.calls is not None:
            self.calls.active = self.profile is None
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            if self.profile is not None:
                return self.profile.runcall(self._invoke, name, event, timeout)
            return self._invoke(name, event, timeout)
        finally:
            if self.calls is not None:
                self.calls.active = False
            self.cpu += time.thread_time() - cpu
            self.wall += time.perf_counter() - wall
            self._note(event)
            self.requests += self._counter.snapshot() - before

    def _note(self, event: dict[str, Any]) -> None:
        for record in event.get("Records", []):
            body = json.loads(record["body"])
            self.records += 1
            self.deferred += int(body.get("deferrals", 0) > 0)
            self.keys.add((body["hashtag"]["hashtag"], body["cycle"]))


def _package(filename: str) -> str:
    """The top-level package a profiled function belongs to."""
    path = filename.replace("\\", "/")
    for marker in ("site-packages/", "/shared/", "/functions/"):
        if marker in path:
            rest = path.split(marker, 1)[1]
            return rest.split("/", 1)[0].removesuffix(".py")
    if path == "~":
        return "builtins (C functions)"
    if path.startswith("<") or "/lib/python" in path:
        return "python stdlib"
    return path.rsplit("/", 1)[-1]


def profile_shares(profile: cProfile.Profile, top: int = 8) -> list[tuple[str, float]]:
    """Share of the profiled CPU (own time) by top-level package."""
    stats = pstats.Stats(profile)
    own: Counter[str] = Counter()
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        own[_package(filename)] += row[2]
    total = sum(own.values()) or 1.0
    return [(name, round(100 * t / total, 1)) for name, t in own.most_common(top)]


def _figures(meter: WorkerMeter, calls: int) -> dict[str, Any]:
    hashtag_cycles = max(1, len(meter.keys))  # redeliveries count toward their cycle
    measured = meter.requests
    rows = meter.calls.rows(hashtag_cycles) if meter.calls is not None else []
    in_requests = sum(r["cpu_ms_per_hashtag"] for r in rows)
    return {
        "hashtag_cycles": len(meter.keys),
        "records": meter.records,
        "records_per_invocation": round(meter.records / max(1, meter.invocations), 2),
        "request_cpu": rows,
        "cpu_ms_in_requests_per_hashtag": round(in_requests, 2),
        "deferred_records": meter.deferred,
        "cpu_ms_per_hashtag": round(1000 * meter.cpu / hashtag_cycles, 2),
        "wall_ms_per_hashtag": round(1000 * meter.wall / hashtag_cycles, 2),
        "dynamodb_per_hashtag_cycle": round(
            service_total(measured, "dynamodb") / hashtag_cycles, 2
        ),
        "dynamodb_by_operation": {
            op: round(n / hashtag_cycles, 2) for op, n in by_operation(measured, "dynamodb").items()
        },
        "sqs_per_hashtag_cycle": round(service_total(measured, "sqs") / hashtag_cycles, 2),
        "sns_per_hashtag_cycle": round(service_total(measured, "sns") / hashtag_cycles, 2),
        "api_calls_per_hashtag_cycle": round(calls / hashtag_cycles, 2),
    }


def bare_put_item_cpu_ms(requests: int = 300) -> float:
    """CPU of one small, unconditional PutItem through botocore against the same emulator,
    on this thread: the floor any worker request pays on this machine, so the per-hashtag
    CPU can also be read as a count of such requests (machines differ; the count less)."""
    from hashtag_tracker.config import WorkerSettings, load_settings
    from hashtag_tracker.storage.dynamo import dynamodb_client

    client = dynamodb_client()
    table = load_settings(WorkerSettings).state_table
    item = {"pk": {"S": "bench#calibration"}, "sk": {"S": "put"}, "n": {"N": "1"}}
    for _ in range(20):
        client.put_item(TableName=table, Item=item)  # connection and caches warm
    started = time.thread_time()
    for _ in range(requests):
        client.put_item(TableName=table, Item=item)
    return 1000 * (time.thread_time() - started) / requests


def measure(hashtags: int, cycles: int) -> dict[str, Any]:
    plan = default_scenario(extra_hashtags=max(0, hashtags - 7))
    with bench_session(plan, TIME_SCALE) as bench:
        session = bench.session
        seed_quietly(session)
        times = list(session.cycle_times(days=(WARMUP_CYCLES + cycles + 1) / 4))
        say(f"cpu: {len(plan.tracked)} hashtags, {WARMUP_CYCLES} warm-up cycles")
        for when in times[:WARMUP_CYCLES]:
            session.run_cycle(when)
        with RequestCpu() as request_cpu:
            meter = WorkerMeter(session.runner, bench.requests, request_cpu)
            calls_before = sum(session.simulator.truth().calls.values())
            say(f"cpu: {cycles} measured cycles")
            for when in times[WARMUP_CYCLES : WARMUP_CYCLES + cycles]:
                session.run_cycle(when)
            calls = sum(session.simulator.truth().calls.values()) - calls_before
            figures = _figures(meter, calls)
        floor = bare_put_item_cpu_ms()
        figures["bare_put_item_cpu_ms"] = round(floor, 3)
        figures["cpu_in_bare_put_items_per_hashtag"] = round(
            figures["cpu_ms_per_hashtag"] / floor, 1
        )
        say("cpu: one profiled cycle")
        meter.profile = cProfile.Profile(time.thread_time)
        session.run_cycle(times[WARMUP_CYCLES + cycles])
    return {
        "hashtags": len(plan.tracked),
        "cycles": cycles,
        "time_scale": TIME_SCALE,
        **figures,
        "profile_shares": profile_shares(meter.profile),
    }
