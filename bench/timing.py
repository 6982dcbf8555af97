"""Times each handler invocation of a local run, per function: count, wall and CPU seconds."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hashtag_tracker_tools.local.runner import LocalRunner


class InvokeTimer:
    """Wraps one runner's `invoke` while timing: the handler's wall time and this thread's
    CPU time around it (the emulator's work for the handler's requests is in the wall time,
    as the AWS services' latency is on Lambda)."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    @contextmanager
    def timing(self, runner: LocalRunner) -> Iterator[None]:
        original = runner.invoke

        def invoke(name: str, event: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(name, event, *args, **kwargs)
            finally:
                self.count[name] += 1
                self.wall[name] += time.perf_counter() - wall
                self.cpu[name] += time.thread_time() - cpu

        runner.invoke = invoke  # type: ignore[method-assign]
        try:
            yield
        finally:
            del runner.invoke

    def figures(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "invocations": self.count[name],
                "wall_seconds": round(self.wall[name], 3),
                "cpu_seconds": round(self.cpu[name], 3),
            }
            for name in sorted(self.count)
        }
