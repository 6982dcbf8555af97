"""Concurrent worker containers: spawned processes that poll the fetch queue side by side.

On AWS the event source mapping runs up to `MaximumConcurrency` worker invocations at once,
each in its own container (process) with its own module state. Threads would share the
handler module (its batch processor, caches and metrics), so each container here is a fresh
interpreter started with `spawn`, holding its own LocalRunner pointed at the same stack.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import IO, TYPE_CHECKING

from hashtag_tracker.clock import ManualClock, from_iso, to_iso
from hashtag_tracker_tools.local.stack import StackInfo

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    from hashtag_tracker_tools.local.runner import LocalRunner

# Makes a container's runner; a module-level function, so `spawn` can pickle it by name
# (the runner module passes its own, and this module never imports the runner).
RunnerFactory = Callable[[StackInfo, ManualClock, dict[str, str], IO[str]], "LocalRunner"]


@dataclass
class DrainStats:
    batches: int = 0
    records: int = 0
    failed_records: int = 0
    crashed_batches: int = 0


# This process's container, when it is one (set by the pool's initializer).
_container: LocalRunner | None = None
_container_clock: ManualClock | None = None
_container_log: IO[str] | None = None


def _start_container(
    make_runner: RunnerFactory, info: StackInfo, env: dict[str, str], start: str, log_path: str
) -> None:
    global _container, _container_clock, _container_log  # noqa: PLW0603
    _container_clock = ManualClock(from_iso(start))
    _container_log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - lives with the process
    _container = make_runner(info, _container_clock, env, _container_log)


def _drain_in_container(now: str, max_wait_seconds: float) -> DrainStats:
    if _container is None or _container_clock is None:
        raise RuntimeError("not a worker container: the pool's initializer did not run")
    _container_clock.set(from_iso(now))
    try:
        return _container.drain_fetch_queue(max_wait_seconds)
    finally:
        if _container_log is not None:
            _container_log.flush()


def log_path_of(stream: IO[str] | None) -> str:
    """The file a log stream writes to, so containers can append to it; else the null device."""
    name = getattr(stream, "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        return name
    return os.devnull


class ContainerPool:
    """`size` warm worker containers; `drain` runs them all until the queue is empty."""

    def __init__(
        self,
        make_runner: RunnerFactory,
        info: StackInfo,
        env: dict[str, str],
        size: int,
        start: datetime,
        log_path: str,
    ) -> None:
        if size < 2:
            raise ValueError("a container pool needs at least 2 containers")
        self.size = size
        context = multiprocessing.get_context("spawn")
        self._pool: Pool = context.Pool(
            size,
            initializer=_start_container,
            initargs=(make_runner, info, env, to_iso(start), log_path),
        )

    def drain(self, now: datetime, max_wait_seconds: float) -> DrainStats:
        pending = [
            self._pool.apply_async(_drain_in_container, (to_iso(now), max_wait_seconds))
            for _ in range(self.size)
        ]
        total = DrainStats()
        for result in pending:
            stats = result.get(timeout=max_wait_seconds + 60)
            for field in fields(DrainStats):
                setattr(total, field.name, getattr(total, field.name) + getattr(stats, field.name))
        return total

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()
