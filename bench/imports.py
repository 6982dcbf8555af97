"""Cold-start import time of each handler against a bare `import boto3`, in fresh interpreters."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = {
    "scheduler": "functions.scheduler.app",
    "worker": "functions.worker.app",
    "report": "functions.report.app",
    "slack_notifier": "functions.slack_notifier.app",
}
_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def _env() -> dict[str, str]:
    # Any value of PYTHONDONTWRITEBYTECODE (even "0") stops bytecode caching, and then every
    # measured import would compile the project's modules: drop it, as a Lambda layer
    # ships no such setting.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": f"{ROOT / 'shared'}{os.pathsep}{ROOT}"}


def import_once(module: str, env: dict[str, str] | None = None) -> float | None:
    """Seconds to import `module` in a fresh interpreter; None if it fails."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        capture_output=True,
        text=True,
        env=_env() if env is None else env,
        cwd=ROOT,
        check=False,
    )
    return float(done.stdout.strip()) if done.returncode == 0 else None


def slowest_imports(module: str, top: int = 6) -> list[tuple[str, float]]:
    """Modules `module` adds on top of boto3, by their own import time (`-X importtime`), ms."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import boto3; import {module}"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        check=False,
    )
    lines = done.stderr.splitlines()
    # Everything after boto3's own top-level line is what the handler adds.
    start = next((i for i, line in enumerate(lines) if line.rstrip().endswith("| boto3")), -1)
    own: list[tuple[str, float]] = []
    for line in lines[start + 1 :]:
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            own.append((parts[2].strip(), int(parts[0]) / 1000))
    return sorted(own, key=lambda row: row[1], reverse=True)[:top]


def measure(runs: int) -> list[dict[str, object]]:
    """Each run imports boto3 and then every handler, back to back, so a busy moment of a
    shared machine hits both sides of a ratio; the ratio is the median of the runs' ratios."""
    modules = {"boto3 (baseline)": "boto3", **{f"{k} handler": v for k, v in HANDLERS.items()}}
    for module in modules.values():
        import_once(module)  # warms the bytecode cache; not counted
    times: dict[str, list[float]] = {name: [] for name in modules}
    failed: set[str] = set()
    for _ in range(runs):
        for name, module in modules.items():
            seconds = import_once(module)
            if seconds is None:
                failed.add(name)
            else:
                times[name].append(seconds)
    base = times["boto3 (baseline)"]
    rows: list[dict[str, object]] = []
    for name in modules:
        own = times[name]
        if name in failed or not own or not base:
            rows.append({"module": name, "ms": None, "min_ms": None, "ratio": None})
            continue
        ratios = [t / b for t, b in zip(own, base, strict=True)]
        rows.append(
            {
                "module": name,
                "ms": statistics.median(own) * 1000,
                "min_ms": min(own) * 1000,
                "ratio": statistics.median(ratios),
            }
        )
    return rows


def uncached_layer(runs: int, module: str = HANDLERS["worker"]) -> dict[str, float | None]:
    """`module` with boto3's bytecode cached but every other module compiled at import, as
    in Lambda when the layer ships no bytecode for the runtime's Python (/opt is read-only,
    so nothing is cached between cold starts): a cache holding only what `import boto3`
    loads, read but never written."""
    with tempfile.TemporaryDirectory() as prefix:
        env = {**_env(), "PYTHONPYCACHEPREFIX": prefix}
        subprocess.run([sys.executable, "-c", "import boto3"], env=env, cwd=ROOT, check=True)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        ratios: list[float] = []
        own: list[float] = []
        for _ in range(runs):
            base, seconds = import_once("boto3", env), import_once(module, env)
            if base is None or seconds is None:
                return {"ms": None, "ratio": None}
            ratios.append(seconds / base)
            own.append(seconds)
    return {"ms": statistics.median(own) * 1000, "ratio": statistics.median(ratios)}
