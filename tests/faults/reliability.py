"""Run the fault, bad-input and load suites and write docs/RELIABILITY.md from the outcomes.

    .venv/bin/python -m tests.faults.reliability            # run, write the file
    .venv/bin/python -m tests.faults.reliability --check    # run, compare; for CI

The table is built from each test's docstring (first line: the case; `Injected:` or `Input:`;
`Asserted:`) and its outcome in this run. `--check` exits non-zero when a case failed (a
strict xfail that passes counts as failed: a fixed bug must lose its xfail mark) or when the
committed file differs from this run in anything but the load figures (timings and memory
vary from machine to machine, so they are left out of the comparison).

A case that could not run to its end because the emulated AWS stack did not answer in time
(a botocore read or connect timeout on a request to the moto server, one the test did not
inject) is a harness error, not a product result: it is reported with its cause, never
counted as a product failure or a pass, and `--check` still fails on it.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from tests.faults.inject import InjectedReadTimeout

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "RELIABILITY.md"
SUITES = ("tests/faults", "tests/property", "tests/load")
LOAD_START = "<!-- load figures: measured on the machine that ran the command -->"
LOAD_END = "<!-- end of load figures -->"
RESULT_TEXT = {
    "passed": "pass",
    "xfailed": "known bug (xfail)",
    "failed": "**FAIL**",
    "xpassed": "**XPASS** (bug fixed? remove the xfail)",
    "error": "**ERROR**",
    "skipped": "skipped",
    "harness": "**HARNESS ERROR** (emulator too slow)",
}


@dataclass
class Case:
    nodeid: str
    suite: str
    title: str
    injected: str
    asserted: str
    xfail_reason: str = ""
    outcome: str = "not run"
    harness_cause: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


def _clean(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def parse_doc(doc: str) -> tuple[str, str, str]:
    """(case, injected or input, asserted) from a test docstring."""
    text = " ".join((doc or "").split())
    asserted = ""
    if "Asserted:" in text:
        text, asserted = text.split("Asserted:", 1)
    injected = ""
    for label in ("Injected:", "Input:"):
        if label in text:
            text, injected = text.split(label, 1)
            break
    title, _, rest = text.partition(". ")
    if not injected:
        title, _, rest = text.partition(": ")
        injected = rest
    return _clean(title.rstrip(". ")), _clean(injected or rest), _clean(asserted)


def emulator_timeout(exc: BaseException | None) -> str:
    """The cause, when `exc` (or anything in its chain) is a timeout of a request to the
    emulated stack that no test injected; "" otherwise."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)) and not isinstance(
            exc, InjectedReadTimeout
        ):
            return f"the emulated AWS stack did not answer in time: {exc}"
        exc = exc.__cause__ or exc.__context__
    return ""


class Recorder:
    """A pytest plugin keeping each case's docstring and outcome."""

    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            function = getattr(item, "function", None)
            title, injected, asserted = parse_doc(getattr(function, "__doc__", "") or "")
            marker = item.get_closest_marker("xfail")
            suite = item.nodeid.split("/")[1] if "/" in item.nodeid else ""
            self.cases[item.nodeid] = Case(
                nodeid=item.nodeid,
                suite=suite,
                title=title or item.name,
                injected=injected,
                asserted=asserted,
                xfail_reason=_clean(str(marker.kwargs.get("reason", ""))) if marker else "",
            )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        case = self.cases.get(item.nodeid)
        if case is not None and call.excinfo is not None and not case.harness_cause:
            case.harness_cause = emulator_timeout(call.excinfo.value)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        case = self.cases.get(report.nodeid)
        if case is None:
            return
        for name, value in report.user_properties:
            case.properties[name] = value
        xfail = hasattr(report, "wasxfail")
        if report.failed and case.harness_cause:
            case.outcome = "harness"
        elif report.when == "call":
            if xfail and report.skipped:
                case.outcome = "xfailed"
            elif xfail and report.passed:
                case.outcome = "xpassed"
            else:
                case.outcome = report.outcome
        elif report.failed:
            case.outcome = "error"
        elif report.skipped and case.outcome == "not run":
            case.outcome = "xfailed" if xfail else "skipped"


def run_suites(extra: list[str]) -> tuple[int, list[Case]]:
    recorder = Recorder()
    suites = [str(ROOT / suite) for suite in SUITES]
    args = ["-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), *suites, *extra]
    code = pytest.main(args, plugins=[recorder])
    return int(code), list(recorder.cases.values())


def _file_and_name(nodeid: str) -> str:
    path, _, name = nodeid.partition("::")
    return f"`{Path(path).name}::{name}`"


def render(cases: list[Case]) -> str:
    faults = [c for c in cases if c.suite == "faults"]
    props = [c for c in cases if c.suite == "property"]
    loads = [c for c in cases if c.suite == "load"]
    counts = {key: sum(1 for c in cases if c.outcome == key) for key in RESULT_TEXT}
    lines = [
        "# Reliability",
        "",
        "<!-- Generated by `.venv/bin/python -m tests.faults.reliability`; do not edit by hand."
        " CI runs it with --check. -->",
        "",
        "What the tracker does when things go wrong, proven case by case on the emulated AWS",
        "stack (moto server made from `template.yaml`, the real handlers run by the local",
        "runner) and the offline Scavio simulator. Every fault case asserts the same rules:",
        "no snapshot lost or duplicated (each written exactly once), no zero stored for a",
        "failure, no duplicate or false alert, and the DLQ holds exactly what could not be",
        "done, which a redrive then finishes. Data-API and AWS faults come from the simulator's",
        "knobs and from botocore event hooks on boto3's session (no product code is changed).",
        "Only timings are scaled, never logic: the simulator runs a minute in 20 ms, the",
        "data-API client's timeout is 1.5 s and its 5xx backoff base 0.05 s, the Slack",
        "poster's timeout 1 s with its backoff sleeps recorded (`tests/faults/harness.py`).",
        "",
        f"**{len(cases)} cases: {counts['passed']} pass, {counts['xfailed']} known bugs (xfail),"
        f" {counts['failed'] + counts['error'] + counts['xpassed']} failing"
        + (f", {counts['harness']} not run to the end (harness)" if counts["harness"] else "")
        + ".**",
        "",
        "## Fault cases (`tests/faults`, marker `faults`)",
        "",
        "| # | case | injected | asserted | result |",
        "|---|---|---|---|---|",
    ]
    for i, case in enumerate(faults, 1):
        lines.append(
            f"| F{i:02d} | {case.title} ({_file_and_name(case.nodeid)}) | {case.injected} "
            f"| {case.asserted} | {RESULT_TEXT.get(case.outcome, case.outcome)} |"
        )
    lines += [
        "",
        "## Bad input (`tests/property`, marker `property`, hypothesis, derandomized)",
        "",
        "| # | case | input | asserted | result |",
        "|---|---|---|---|---|",
    ]
    for i, case in enumerate(props, 1):
        lines.append(
            f"| P{i:02d} | {case.title} ({_file_and_name(case.nodeid)}) | {case.injected} "
            f"| {case.asserted} | {RESULT_TEXT.get(case.outcome, case.outcome)} |"
        )
    lines += ["", "## Load (`tests/load`, marker `load`)", "", "| # | case | asserted | result |"]
    lines.append("|---|---|---|---|")
    for i, case in enumerate(loads, 1):
        lines.append(
            f"| L{i:02d} | {case.title} ({_file_and_name(case.nodeid)}) | {case.asserted} "
            f"| {RESULT_TEXT.get(case.outcome, case.outcome)} |"
        )
    known = [c for c in cases if c.xfail_reason]
    if known:
        lines += [
            "",
            "## Known bugs",
            "",
            "Each is a strict xfail: the test asserts the correct behaviour and fails today; when",
            "the product is fixed the test passes, `--check` fails, and the xfail mark goes.",
            "",
        ]
        lines += [f"- {_file_and_name(c.nodeid)}: {c.xfail_reason}" for c in known]
    lines += ["", "## Load figures", "", LOAD_START, ""]
    lines += load_section(loads)
    lines += ["", LOAD_END, ""]
    return "\n".join(lines)


def load_section(loads: list[Case]) -> list[str]:
    figures = next((c.properties["load"] for c in loads if "load" in c.properties), None)
    if not figures:
        return ["No load figures in this run."]
    return [
        "| phase | hashtags | time (s) | peak RSS (MiB) |",
        "|---|---|---|---|",
        f"| seed the Hashtags table (batch writes) | {figures['scheduled_hashtags']:,} "
        f"| {figures['seed_seconds']} | - |",
        f"| scheduler fan-out (one invocation) | {figures['scheduled_hashtags']:,} "
        f"| {figures['scheduler_seconds']} | {figures['scheduler_peak_rss_mb']} |",
        f"| workers (batches of 5, one container) | {figures['collected_hashtags']:,} "
        f"| {figures['worker_seconds']} | {figures['worker_peak_rss_mb']} |",
        "",
        f"Workers: {figures['worker_batches']} batches, {figures['worker_failed_records']} "
        f"failed records, {figures['api_calls']} data-API calls, {figures['api_credits']} "
        f"credits, {figures['per_hashtag_worker_ms']} ms per hashtag. Peak RSS is the whole "
        "process (runner, moto server and simulator run in it), measured per phase.",
    ]


def comparable(text: str) -> str:
    """The file without its load figures (they vary with the machine)."""
    return re.sub(
        re.escape(LOAD_START) + ".*?" + re.escape(LOAD_END), "", text, flags=re.DOTALL
    ).strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--output", type=Path, default=DOC)
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments")
    args = parser.parse_args(argv)
    code, cases = run_suites(args.pytest_args)
    text = render(cases)
    failing = [c for c in cases if c.outcome not in ("passed", "xfailed")]
    for case in failing:
        if case.outcome == "harness":
            print(
                f"reliability: {case.nodeid}: harness error, not a product result: "
                f"{case.harness_cause}",
                file=sys.stderr,
            )
        else:
            print(f"reliability: {case.nodeid}: {case.outcome}", file=sys.stderr)
    if args.check:
        committed = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if comparable(committed) != comparable(text):
            diff = difflib.unified_diff(
                comparable(committed).splitlines(),
                comparable(text).splitlines(),
                str(args.output),
                "this run",
                lineterm="",
            )
            print("\n".join(diff), file=sys.stderr)
            print(
                f"reliability: {args.output} does not match this run; regenerate it with "
                "`.venv/bin/python -m tests.faults.reliability`",
                file=sys.stderr,
            )
            return 1
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"reliability: wrote {args.output}")
    if failing or code not in (0,):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
