"""The benchmark runner works: `python -m bench --quick` fills every section with figures.

Not a timing test: it checks that each section ran and produced sane (numeric, positive)
figures, so a change that breaks a benchmark is caught in CI, whatever the machine's speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICK_TIMEOUT_SECONDS = 300  # the quick run takes about a minute; this only stops a hang


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str]]:
    out = tmp_path_factory.mktemp("bench")
    markdown, figures = out / "quick.md", out / "quick.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--output",
            str(markdown),
            "--json",
            str(figures),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=QUICK_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    yield json.loads(figures.read_text(encoding="utf-8")), markdown.read_text(encoding="utf-8")


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def test_every_section_ran_without_error(quick: tuple[dict[str, Any], str]) -> None:
    results, _ = quick
    assert results["errors"] == {}
    assert set(results["sections"]) == {"credits", "cycle", "cpu", "imports", "report", "package"}


def test_the_markdown_names_machine_date_command_and_every_section(
    quick: tuple[dict[str, Any], str],
) -> None:
    _, text = quick
    for needle in ("Machine:", "Date:", "Command: `python -m bench --quick", "## Summary"):
        assert needle in text
    for number in range(1, 7):
        assert f"## {number}. " in text


def test_credits_and_detection_figures(quick: tuple[dict[str, Any], str]) -> None:
    credits = quick[0]["sections"]["credits"]
    for side in ("product", "baseline"):
        figures = credits[side]
        assert _positive(figures["credits_per_hashtag_day"])
        assert figures["injected"] > 0
        assert 0 <= figures["share_within_one_cycle"] <= 1
    assert _positive(credits["credit_ratio"])


def test_cycle_figures(quick: tuple[dict[str, Any], str]) -> None:
    rows = quick[0]["sections"]["cycle"]
    assert rows
    for row in rows:
        assert _positive(row["calls"]) and _positive(row["ideal_minutes"])
        assert _positive(row["ratio"])
        assert row["too_many_requests"] >= 0


def test_worker_cpu_and_request_figures(quick: tuple[dict[str, Any], str]) -> None:
    cpu = quick[0]["sections"]["cpu"]
    assert _positive(cpu["cpu_ms_per_hashtag"])
    assert _positive(cpu["dynamodb_per_hashtag_cycle"])
    assert _positive(cpu["api_calls_per_hashtag_cycle"])
    assert cpu["profile_shares"]


def test_import_figures(quick: tuple[dict[str, Any], str]) -> None:
    imports = quick[0]["sections"]["imports"]
    assert len(imports["rows"]) == 5
    for row in imports["rows"]:
        assert _positive(row["ms"]) and _positive(row["ratio"]), row
    assert imports["worker_slowest"]


def test_report_scaling_figures(quick: tuple[dict[str, Any], str]) -> None:
    rows = quick[0]["sections"]["report"]
    assert len(rows) >= 2
    for row in rows:
        assert row["reported_hashtags"] == row["hashtags"]
        assert _positive(row["dynamodb_per_hashtag"])
        assert _positive(row["cpu_ms_per_hashtag"]) and _positive(row["wall_seconds"])


def test_package_sizes(quick: tuple[dict[str, Any], str]) -> None:
    rows = quick[0]["sections"]["package"]
    functions = [r for r in rows if r["artifact"].startswith("function ")]
    assert len(functions) == 4
    assert all(_positive(r["bytes"]) for r in functions)
    assert _positive(next(r for r in rows if "hashtag_tracker package" in r["artifact"])["bytes"])
