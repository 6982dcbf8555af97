"""The live local stack's loop (local/live.py) with a stand-in runner: ticks on simulated
time, the clock anchor `--local` reads, the Monday report, and a failed tick."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hashtag_tracker.clock import ManualClock
from hashtag_tracker_tools.cli.simulated_clock import read_clock
from hashtag_tracker_tools.local.live import (
    LiveStack,
    first_tick,
    report_time_within,
    tick_length,
)
from hashtag_tracker_tools.local.runner import Published
from hashtag_tracker_tools.local.stack import StackInfo

SUNDAY = datetime(2026, 12, 6, 22, tzinfo=UTC)


class FakeRunner:
    def __init__(self, clock: ManualClock, fail_at: datetime | None = None) -> None:
        self.clock = clock
        self.fail_at = fail_at
        self.calls: list[tuple[str, datetime]] = []

    def tick_collection(self, when: datetime) -> dict[str, Any]:
        self.calls.append(("tick", when))
        if when == self.fail_at:
            raise RuntimeError("scheduler refused")
        return {"sent": 2}

    def drain_fetch_queue(self) -> None:
        self.calls.append(("drain", self.clock.now()))

    def drain_alerts(self) -> list[Published]:
        return [Published("Viral moment on #a", "", {"rule": "viral", "hashtag": "a"})]

    def make_report(self, when: datetime) -> dict[str, Any]:
        self.calls.append(("report", when))
        return {}


# 6 simulated hours pass in a millisecond: the loop's waits stay short.
FAST = 6 * 3600 * 1000.0


def make(tmp_path: Path, fail_at: datetime | None = None, speed: float = FAST) -> tuple:  # type: ignore[type-arg]
    clock = ManualClock(SUNDAY)
    runner = FakeRunner(clock, fail_at)
    wall = [1_000.0]
    printed: list[str] = []
    live = LiveStack(
        runner,  # type: ignore[arg-type]
        clock,
        speed=speed,
        tick=timedelta(hours=6),
        state_dir=tmp_path,
        wall_time=lambda: wall[0],
        out=printed.append,
    )
    return live, runner, printed


def test_ticks_every_interval_and_anchors_the_clock_at_each(tmp_path: Path) -> None:
    live, runner, printed = make(tmp_path)
    assert live.run(SUNDAY, threading.Event(), ticks=3) == 3
    ticks = [when for call, when in runner.calls if call == "tick"]
    assert ticks == [SUNDAY, SUNDAY + timedelta(hours=6), SUNDAY + timedelta(hours=12)]
    # the queue is drained at the tick's own time (the handlers' clock)
    assert ("drain", SUNDAY + timedelta(hours=6)) in runner.calls
    anchor = read_clock(tmp_path)
    assert anchor is not None and anchor.speed == FAST
    assert (anchor.simulated, anchor.wall) == (SUNDAY + timedelta(hours=12), 1_000.0)
    assert printed[0] == "Sun 06 Dec 22:00  tick: 2 hashtag(s) polled, 1 alert(s)"
    assert printed[1].split() == ["viral", "#a", "Viral", "moment", "on", "#a"]


def test_the_monday_report_runs_in_the_tick_that_holds_09_00(tmp_path: Path) -> None:
    live, runner, _ = make(tmp_path)
    live.run(SUNDAY, threading.Event(), ticks=3)  # 22:00, 04:00, 10:00: 09:00 in the second
    assert [w for c, w in runner.calls if c == "report"] == [datetime(2026, 12, 7, 9, tzinfo=UTC)]


def test_a_failed_tick_is_reported_and_the_next_one_runs(tmp_path: Path) -> None:
    live, runner, printed = make(tmp_path, fail_at=SUNDAY)
    assert live.run(SUNDAY, threading.Event(), ticks=2) == 2
    assert printed[0] == "Sun 06 Dec 22:00  tick failed: RuntimeError: scheduler refused"
    assert [w for c, w in runner.calls if c == "tick"][-1] == SUNDAY + timedelta(hours=6)


def test_a_stop_ends_the_loop_between_ticks(tmp_path: Path) -> None:
    live, _, _ = make(tmp_path, speed=1.0)  # 6 real hours to the next tick
    stopped = threading.Event()
    threading.Timer(0.2, stopped.set).start()
    assert live.run(SUNDAY, stopped) == 1


def test_report_time_first_tick_and_tick_length() -> None:
    monday_9 = datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert report_time_within(monday_9, monday_9 + timedelta(minutes=1)) == monday_9
    assert report_time_within(monday_9 + timedelta(seconds=1), monday_9 + timedelta(days=1)) is None
    assert report_time_within(SUNDAY, SUNDAY + timedelta(days=8)) == monday_9
    assert first_tick(datetime(2026, 12, 7, 13, 47, tzinfo=UTC), timedelta(hours=6)) == datetime(
        2026, 12, 7, 12, tzinfo=UTC
    )
    info = StackInfo("http://127.0.0.1:1", "us-east-1", {}, {}, "")
    assert tick_length(info) == timedelta(hours=1)
    info.function_env = {"SchedulerFunction": {"TICK_MINUTES": "30"}}
    assert tick_length(info) == timedelta(minutes=30)
    info.function_env = {"SchedulerFunction": {"CYCLE_HOURS": "6"}}
    assert tick_length(info) == timedelta(hours=6)


def test_speed_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="speed"):
        make(tmp_path, speed=0.0)
