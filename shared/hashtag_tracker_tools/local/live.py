"""The live local stack: the emulated stack and the TikTok simulator with the collection
schedule ticking on simulated time, `speed` times faster than the wall clock.

`make local-stack ARGS="--speed 60"` (this module's `main`) runs one simulated hour per real
minute: every tick the real scheduler fans out (the hashtags the Hashtags table holds now, so
a tag added with `hashtag-tracker --local add` is collected at the next tick), the worker
collects, alerts are printed as the topic delivers them, and the weekly report runs on Monday
09:00. The loop re-anchors the simulated clock in `.tracker-local/clock.json` at every tick, so
`hashtag-tracker --local status` and `alerts` in another terminal read in the same time.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from hashtag_tracker.clock import ManualClock, SystemClock, event_time
from hashtag_tracker_tools.cli.simulated_clock import SimulatedClock, write_clock
from hashtag_tracker_tools.local.runner import LocalRunner, Published
from hashtag_tracker_tools.local.stack import (
    DEFAULT_STATE_DIR,
    MotoServer,
    StackInfo,
    provision,
    write_state,
)

DEFAULT_SPEED = 60.0
DEFAULT_TICK = timedelta(minutes=60)
REPORT_WEEKDAY, REPORT_HOUR = 0, 9  # the template's default ReportSchedule: Mondays 09:00


def tick_length(info: StackInfo) -> timedelta:
    """The collection schedule's period as the stack's scheduler is configured: its
    TICK_MINUTES (the planner's tick), else its CYCLE_HOURS, else an hour."""
    env = info.function_env.get("SchedulerFunction", {})
    if env.get("TICK_MINUTES"):
        return timedelta(minutes=int(env["TICK_MINUTES"]))
    if env.get("CYCLE_HOURS"):
        return timedelta(hours=int(env["CYCLE_HOURS"]))
    return DEFAULT_TICK


def first_tick(now: datetime, tick: timedelta) -> datetime:
    """The schedule's tick at or before `now` (ticks align to UTC midnight)."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + (now - midnight) // tick * tick


def report_time_within(start: datetime, end: datetime) -> datetime | None:
    """The Monday 09:00 in [start, end), if any (the weekly report's schedule)."""
    day = start.replace(hour=REPORT_HOUR, minute=0, second=0, microsecond=0)
    for offset in range(8):
        at = day + timedelta(days=offset)
        if at >= end:
            return None
        if at >= start and at.weekday() == REPORT_WEEKDAY:
            return at
    return None


@dataclass
class TickResult:
    when: datetime
    sent: int
    alerts: list[Published] = field(default_factory=list)
    report: Any = None


class LiveStack:
    """Ticks the runner's collection schedule on simulated time until stopped."""

    def __init__(
        self,
        runner: LocalRunner,
        clock: ManualClock,
        *,
        speed: float,
        tick: timedelta,
        state_dir: Path,
        wall_time: Callable[[], float] = time.time,
        out: Callable[[str], None] = lambda line: print(line, flush=True),
        weekly_report: bool = True,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be above 0")
        self.runner = runner
        self.clock = clock
        self.speed = speed
        self.tick = tick
        self.state_dir = state_dir
        self._wall_time = wall_time
        self._out = out
        self.weekly_report = weekly_report

    def run_tick(self, when: datetime) -> TickResult:
        """One tick at `when`: the clock is anchored there, the scheduler fans out, the worker
        collects every message, the alerts are read back (and the report, when due)."""
        self.clock.set(when)
        write_clock(self.state_dir, SimulatedClock(when, self._wall_time(), self.speed))
        fanned = self.runner.tick_collection(when)
        self.runner.drain_fetch_queue()
        result = TickResult(when, int(fanned.get("sent", 0)), self.runner.drain_alerts())
        at = report_time_within(when, when + self.tick) if self.weekly_report else None
        if at is not None:
            self.clock.set(at)
            result.report = self.runner.make_report(at)
            result.alerts += self.runner.drain_alerts()
        return result

    def describe(self, result: TickResult) -> None:
        self._out(
            f"{result.when:%a %d %b %H:%M}  tick: {result.sent} hashtag(s) polled, "
            f"{len(result.alerts)} alert(s)"
        )
        for alert in result.alerts:
            self._out(
                f"    {alert.rule or 'notice':<20} #{alert.hashtag or '-':<20} {alert.subject}"
            )

    def run(self, start: datetime, stopped: threading.Event, ticks: int | None = None) -> int:
        """Tick from `start` every `tick` of simulated time until `stopped` (or `ticks` ticks);
        a tick that takes longer than its share of wall time is followed at once by the next,
        so no tick is ever skipped. Returns the ticks run."""
        when = start
        done = 0
        while not stopped.is_set() and (ticks is None or done < ticks):
            began = self._wall_time()
            try:
                self.describe(self.run_tick(when))
            except Exception as exc:  # a failed tick is reported; the stack keeps ticking
                self._out(f"{when:%a %d %b %H:%M}  tick failed: {type(exc).__name__}: {exc}")
            done += 1
            wait = self.tick.total_seconds() / self.speed - (self._wall_time() - began)
            if stopped.wait(max(0.0, wait)):
                break
            when += self.tick
        return done


def live_runner_env(simulator_url: str, speed: float) -> dict[str, str]:
    """What the handlers need beyond the template's environment to use the simulator."""
    return {
        # The template insists on https for the real API; the simulator is loopback http.
        "API_BASE_URL": simulator_url,
        # The plan's minute passes `speed` times faster, as every other simulated minute.
        "RATE_WINDOW_SECONDS": str(60.0 / speed),
        "POWERTOOLS_METRICS_NAMESPACE": "HashtagTracker",
    }


def open_log(state_dir: Path) -> IO[str]:
    """The handlers' logs and metrics go here, not to the terminal the ticks print to."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return open(state_dir / "handlers.log", "a", encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make local-stack ARGS=...",
        description="Emulated stack (moto) + TikTok simulator, collecting on simulated time",
    )
    parser.add_argument("--port", type=int, default=4566, help="moto server port (0: any)")
    parser.add_argument("--simulator-port", type=int, default=8765, help="(0: any)")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="simulated seconds per real second (default 60: an hour a minute; 1: real time)",
    )
    parser.add_argument(
        "--start",
        help="simulated start, ISO 8601 with a zone (default: now, at the schedule's tick)",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=10, help="the plan's requests per simulated minute"
    )
    parser.add_argument("--no-report", action="store_true", help="no Monday 09:00 report")
    args = parser.parse_args(argv)
    if not args.speed > 0:
        parser.error("--speed must be above 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """`make local-stack`: a long-running stack + simulator, collecting on simulated time,
    for the CLI's --local mode (see live.py)."""
    from hashtag_tracker_tools.simulator import Simulator

    args = parse_args(argv)
    try:
        requested = event_time(args.start, "--start", ValueError) if args.start else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    # The simulated world begins at the start (its epoch), on the hour unless --start says.
    clock = ManualClock(requested or first_tick(SystemClock().now(), timedelta(hours=1)))
    with contextlib.ExitStack() as stack:
        moto = stack.enter_context(MotoServer(args.port))
        simulator = stack.enter_context(
            Simulator(
                clock,
                port=args.simulator_port,
                rate_limit_per_minute=args.rate_limit,
                time_scale=args.speed,
                epoch=clock.now(),
                # The simulator's rate window reads the clock the workers' limiter reads.
                monotonic=time.time,
            )
        )
        info = provision(
            moto.endpoint_url,
            {"PlanRateLimitPerMinute": str(args.rate_limit)},
            secrets={"hashtag-tracker/scavio-api-key": simulator.api_key},
        )
        tick = tick_length(info)
        start = requested or first_tick(clock.now(), tick)
        clock.set(start)
        path = write_state(info, args.state_dir)
        log = stack.enter_context(open_log(args.state_dir))
        runner = stack.enter_context(
            LocalRunner(
                info,
                clock,
                extra_env=live_runner_env(simulator.base_url, args.speed),
                log_stream=log,
            )
        )
        live = LiveStack(
            runner,
            clock,
            speed=args.speed,
            tick=tick,
            state_dir=args.state_dir,
            weekly_report=not args.no_report,
        )
        every = tick.total_seconds() / args.speed
        print(f"Emulated stack at {moto.endpoint_url} (state: {path})", flush=True)
        print(f"TikTok simulator at {simulator.base_url}", flush=True)
        print(
            f"Simulated time from {start:%Y-%m-%d %H:%M} UTC at {args.speed:g}x: a tick every "
            f"{tick.total_seconds() / 60:g} simulated minutes ({every:g} s); handler logs in "
            f"{args.state_dir / 'handlers.log'}",
            flush=True,
        )
        print("Try: .venv/bin/hashtag-tracker --local add '#MyLaunch'   (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            live.run(start, stopped)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
