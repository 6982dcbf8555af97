"""The benchmark runner: `python -m bench` writes bench/RESULTS.md; `--quick` is CI's smoke run."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import capacity, cost, cpu, cycle, imports, package, planner, report_scaling
from bench.common import machine, say
from bench.results import render

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("polling", "cycle", "cpu", "imports", "report", "package")


@dataclass(frozen=True)
class Sizes:
    """How big each section runs; the quick sizes only prove that every section works."""

    polling_hashtags: int
    polling_spikes: int
    polling_days: float
    high_rate_hashtags: int
    limiter_seconds: float
    limiter_workers: list[int]
    over_hours: float
    over_tick_minutes: int
    cycle_hashtags: list[int]
    cycle_time_scale: float
    cpu_hashtags: int
    cpu_cycles: int
    import_runs: int
    report_plan: list[tuple[int, int]] = field(default_factory=list)
    package_dependencies: bool = True


FULL = Sizes(
    polling_hashtags=36,
    polling_spikes=16,
    polling_days=8.0,
    high_rate_hashtags=2_000,
    limiter_seconds=20.0,
    limiter_workers=[2, 10, 30, 50],
    over_hours=48.0,
    over_tick_minutes=60,
    cycle_hashtags=[100, 1000],
    cycle_time_scale=cycle.TIME_SCALE,
    cpu_hashtags=40,
    cpu_cycles=4,
    import_runs=7,
    report_plan=[(100, 4), (100, 13), (100, 26), (1000, 4), (1000, 26)],
)
QUICK = Sizes(
    polling_hashtags=6,
    polling_spikes=2,
    polling_days=2.0,
    high_rate_hashtags=300,
    limiter_seconds=2.0,
    limiter_workers=[2, 10],
    over_hours=0.25,
    over_tick_minutes=15,
    cycle_hashtags=[8],
    cycle_time_scale=300.0,
    cpu_hashtags=8,
    cpu_cycles=2,
    import_runs=1,
    report_plan=[(10, 1), (10, 2)],
    package_dependencies=False,
)


def parse_plan(text: str) -> list[tuple[int, int]]:
    """'100:4,1000:26' -> [(100, 4), (1000, 26)] (hashtags:weeks)."""
    pairs = [item.split(":") for item in text.split(",") if item.strip()]
    return [(int(size), int(weeks)) for size, weeks in pairs]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for CI (about 1 min)")
    parser.add_argument(
        "--output",
        type=Path,
        help="Markdown file to write (default: bench/RESULTS.md; with --quick, stdout)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON here")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}"
    )
    parser.add_argument(
        "--report", type=parse_plan, help="report sizes as hashtags:weeks, e.g. 5000:4,5000:26"
    )
    return parser.parse_args(argv)


def _runners(sizes: Sizes) -> dict[str, Callable[[], Any]]:
    return {
        "polling": lambda: _polling(sizes),
        "cycle": lambda: cycle.measure(sizes.cycle_hashtags, sizes.cycle_time_scale),
        "cpu": lambda: cpu.measure(sizes.cpu_hashtags, sizes.cpu_cycles),
        "imports": lambda: {
            "rows": imports.measure(sizes.import_runs),
            "worker_slowest": imports.slowest_imports(imports.HANDLERS["worker"]),
            "worker_uncached": imports.uncached_layer(sizes.import_runs),
        },
        "report": lambda: report_scaling.measure(sizes.report_plan),
        "package": lambda: package.measure(sizes.package_dependencies),
    }


def _polling(sizes: Sizes) -> dict[str, Any]:
    """Section 1: the policies side by side, capacity, and the cost model from the former."""
    figures = planner.measure(sizes.polling_hashtags, sizes.polling_spikes, sizes.polling_days)
    figures["cost"] = cost.model(figures)
    figures["capacity"] = capacity.measure(
        sizes.high_rate_hashtags,
        sizes.limiter_seconds,
        sizes.limiter_workers,
        sizes.over_hours,
        sizes.over_tick_minutes,
    )
    return figures


def run(sizes: Sizes, sections: list[str]) -> dict[str, Any]:
    """Every asked section in turn; a section that fails is recorded with its error."""
    results: dict[str, Any] = {"machine": machine(), "sections": {}, "errors": {}}
    runners = _runners(sizes)
    for name in sections:
        say(f"section {name}")
        started = time.perf_counter()
        try:
            results["sections"][name] = runners[name]()
        except Exception as exc:  # one broken section must not hide the others' figures
            results["errors"][name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        results.setdefault("seconds", {})[name] = round(time.perf_counter() - started, 1)
        results.setdefault("load", {})[name] = [round(x, 2) for x in os.getloadavg()]
    return results


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    sizes = QUICK if args.quick else FULL
    if args.report:
        sizes = Sizes(**{**sizes.__dict__, "report_plan": args.report})
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        print(f"unknown sections: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    command = "python -m bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    results = run(sizes, sections)
    results["command"] = command.strip()
    results["quick"] = args.quick
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    text = render(results)
    output = args.output or (None if args.quick else ROOT / "bench" / "RESULTS.md")
    if output is None:
        print(text)
    else:
        output.write_text(text, encoding="utf-8")
        say(f"wrote {output}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
