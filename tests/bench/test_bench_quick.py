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
    assert set(results["sections"]) == {"polling", "cycle", "cpu", "imports", "report", "package"}


def test_the_markdown_names_machine_date_command_and_every_section(
    quick: tuple[dict[str, Any], str],
) -> None:
    _, text = quick
    for needle in ("Machine:", "Date:", "Command: `python -m bench --quick", "## Summary"):
        assert needle in text
    for number in range(1, 7):
        assert f"## {number}. " in text


def test_polling_policies_side_by_side(quick: tuple[dict[str, Any], str]) -> None:
    polling = quick[0]["sections"]["polling"]
    sides = polling["sides"]
    assert {"baseline", "fixed", "adaptive"} <= set(sides)
    for side in sides.values():
        assert _positive(side["credits_per_hashtag_day"]) and _positive(side["polls"])
        assert side["false_alerts_on_calm_tags"] >= 0
        for onset in ("step", "ramp", "all"):
            figures = side[onset]
            assert figures["detected"] + figures["missed"] == figures["injected"]
    assert (
        sides["adaptive"]["all"]["injected"]
        == polling["moments"]["step"] + polling["moments"]["ramp"]
    )
    assert polling["credit_ratio"]["baseline"] == 1.0
    assert _positive(polling["credit_ratio"]["adaptive"])


def test_capacity_figures(quick: tuple[dict[str, Any], str]) -> None:
    capacity = quick[0]["sections"]["polling"]["capacity"]
    high = capacity["high_rate"]
    assert high["measured_ticks"][0]["sent"] == high["measured_hashtags"]
    assert high["ticks"][0]["hashtags"] == high["hashtags"] == 10_000
    assert all(_positive(t["dynamodb_requests"]) for t in high["ticks"])
    assert all(_positive(r["calls_per_second"]) for r in high["limiter"])
    assert all(r["busiest_second"] <= high["rate_per_second"] for r in high["limiter"])
    over = capacity["oversubscription"]
    assert over["hashtags"] == 3 * over["followable_every_6h"]
    assert over["too_many_requests"] == 0 and over["ticks_over_capacity"] == 0
    assert not over["budget_overspent"]


def test_cost_model(quick: tuple[dict[str, Any], str]) -> None:
    cost = quick[0]["sections"]["polling"]["cost"]
    assert cost["prices_date"]
    for row in cost["rows"].values():
        assert _positive(row["lines"]["credits"]) and row["total"] >= row["lines"]["credits"]


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


def test_the_offline_replay_reproduces_the_policies_and_ranks_them() -> None:
    """bench/replay.py: fixed 6 h spends 6 credits a tag-day (4 stats, a day's samples) and
    the adaptive defaults catch ramps sooner than it, on the bench's own scenario."""
    from bench.replay import replay

    fixed = replay(days=4.0, seed=15, fixed=6.0, bounds=None)
    adaptive = replay(days=4.0, seed=15, fixed=None, bounds=None)
    assert fixed["false_alerts_on_calm_tags"] == adaptive["false_alerts_on_calm_tags"] == 0
    assert isinstance(adaptive["ramp_lag_mean_h"], float)
    assert isinstance(fixed["ramp_lag_mean_h"], float)
    assert adaptive["ramp_lag_mean_h"] < fixed["ramp_lag_mean_h"]
