"""Cold-start import time of each handler against a bare `import boto3`, in fresh interpreters."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = {
    "scheduler": "functions.scheduler.app",
    "worker": "functions.worker.app",
    "report": "functions.report.app",
    "slack_notifier": "functions.slack_notifier.app",
}
_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str, runs: int) -> float | None:
    """Median import time of `module` over `runs` fresh interpreters; None if it fails."""
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'shared'}{os.pathsep}{ROOT}",
        "PYTHONDONTWRITEBYTECODE": "0",
    }
    times = []
    for _ in range(runs + 1):  # the first run warms the bytecode cache and is dropped
        done = subprocess.run(
            [sys.executable, "-c", _PROBE.format(module=module)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            return None
        times.append(float(done.stdout.strip()))
    return statistics.median(times[1:])


def measure(runs: int) -> list[dict[str, object]]:
    base = import_seconds("boto3", runs)
    rows: list[dict[str, object]] = [
        {"module": "boto3 (baseline)", "ms": base and base * 1000, "ratio": 1.0}
    ]
    for name, module in HANDLERS.items():
        seconds = import_seconds(module, runs)
        rows.append(
            {
                "module": f"{name} handler",
                "ms": seconds * 1000 if seconds is not None else None,
                "ratio": seconds / base if seconds is not None and base else None,
            }
        )
    return rows
