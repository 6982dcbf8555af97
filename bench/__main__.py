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

from bench import cpu, credits, cycle, imports, package, report_scaling
from bench.common import machine, say
from bench.results import render

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("credits", "cycle", "cpu", "imports", "report", "package")


@dataclass(frozen=True)
class Sizes:
    """How big each section runs; the quick sizes only prove that every section works."""

    credit_hashtags: int
    credit_spikes: int
    credit_days: float
    cycle_hashtags: list[int]
    cycle_time_scale: float
    cpu_hashtags: int
    cpu_cycles: int
    import_runs: int
    report_plan: list[tuple[int, int]] = field(default_factory=list)
    package_dependencies: bool = True


FULL = Sizes(
    credit_hashtags=18,
    credit_spikes=8,
    credit_days=8.0,
    cycle_hashtags=[100, 1000],
    cycle_time_scale=cycle.TIME_SCALE,
    cpu_hashtags=40,
    cpu_cycles=4,
    import_runs=7,
    report_plan=[(100, 4), (100, 13), (100, 26), (1000, 4), (1000, 26)],
)
QUICK = Sizes(
    credit_hashtags=6,
    credit_spikes=3,
    credit_days=2.0,
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
        "credits": lambda: credits.measure(
            sizes.credit_hashtags, sizes.credit_spikes, sizes.credit_days
        ),
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
