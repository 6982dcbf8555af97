"""The live local stack's simulated time: its loop writes the anchor, `--local` reads it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hashtag_tracker.clock import from_iso, to_iso

CLOCK_FILE = "clock.json"


@dataclass(frozen=True)
class SimulatedClock:
    """Simulated time running `speed` times faster than the wall clock from an anchor.

    The live stack re-anchors at every tick, so a loop that fell behind (a slow cycle) never
    leaves the CLI's "now" ahead of what the stack has collected by more than one interval.
    """

    simulated: datetime
    wall: float
    speed: float
    wall_time: Callable[[], float] = field(default=time.time, compare=False)

    def now(self) -> datetime:
        elapsed = max(0.0, self.wall_time() - self.wall)
        return self.simulated + timedelta(seconds=elapsed * self.speed)

    def as_dict(self) -> dict[str, Any]:
        return {"simulated": to_iso(self.simulated), "wall": self.wall, "speed": self.speed}


def write_clock(state_dir: Path, clock: SimulatedClock) -> Path:
    """Replace the anchor atomically: a reader never sees half a file."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / CLOCK_FILE
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(clock.as_dict()) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def read_clock(state_dir: Path) -> SimulatedClock | None:
    """The live stack's clock, or None when it writes none (or the file is unreadable)."""
    try:
        raw = json.loads((state_dir / CLOCK_FILE).read_text(encoding="utf-8"))
        return SimulatedClock(
            simulated=from_iso(str(raw["simulated"])),
            wall=float(raw["wall"]),
            speed=float(raw["speed"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
