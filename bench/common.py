"""What every section shares: the quiet local session, the machine's description, timers."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.awscount import RequestCounter, counting_requests
from bench.motopatch import partition_queries
from hashtag_tracker_tools.local.scenario import Scenario
from hashtag_tracker_tools.local.session import LocalSession, SessionOptions

PLAN_RATE_LIMIT = 10  # the template's default PlanRateLimitPerMinute


@dataclass
class Bench:
    """A started local session (real handlers, moto stack, simulator) and its request counter."""

    session: LocalSession
    requests: RequestCounter


@contextmanager
def bench_session(
    scenario: Scenario,
    time_scale: float,
    monthly_budget: int = 20_000,
    *,
    rate_limit: int = PLAN_RATE_LIMIT,
    parameters: dict[str, str] | None = None,
) -> Iterator[Bench]:
    """A LocalSession without Slack, logs to /dev/null, AWS requests counted, moto by partition.

    Handler logs and EMF metrics are still produced (Lambda pays for them too); they are
    written to /dev/null so the console stays readable.
    """
    with ExitStack() as stack:
        sink = stack.enter_context(open(os.devnull, "w", encoding="utf-8"))
        counter = stack.enter_context(counting_requests())
        stack.enter_context(partition_queries())
        options = SessionOptions(
            rate_limit=rate_limit,
            time_scale=time_scale,
            monthly_budget=monthly_budget,
            slack=False,
            log_stream=sink,
            extra_parameters=dict(parameters or {}),
        )
        session = stack.enter_context(LocalSession(scenario, options))
        yield Bench(session, counter)


def seed_quietly(session: LocalSession) -> None:
    """Add the scenario's hashtags with the CLI's own code, without its console lines."""
    with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        session.seed()


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=root, check=False)
    return done.stdout.strip()


def revision() -> str:
    """The commit measured, and whether the working tree had uncommitted changes."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes' if dirty else ''}"


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "revision": revision(),
        "arch": platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_start": [round(x, 2) for x in load],
    }


class Stopwatch:
    """Wall time and this thread's CPU time (excludes sleeps, I/O waits and other threads)."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.thread_time() - cpu


def say(text: str) -> None:
    """Progress on stderr, so stdout can carry a quick run's Markdown."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)
