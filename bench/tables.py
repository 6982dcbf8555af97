"""Small helpers both parts of bench/RESULTS.md use: table rows, units, report-scaling ratios."""

from __future__ import annotations

from typing import Any


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("–" if c is None else str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def mb(value: Any) -> str:
    if value is None:
        return "–"
    if value < 1_000_000:
        return f"{value / 1000:.1f} kB"
    return f"{value / 1_000_000:.2f} MB"


def report_flatness(rows: list[dict[str, Any]]) -> list[tuple[int, int, int, float]]:
    """Per size: CPU per hashtag at its longest history over that at the shortest history
    that already fills the report's 8-week window (9+ weeks): (size, weeks, weeks, ratio)."""
    found = []
    for size in sorted({r["hashtags"] for r in rows}):
        full = sorted(
            (r for r in rows if r["hashtags"] == size and r["weeks"] >= 9), key=lambda r: r["weeks"]
        )
        if len(full) >= 2 and full[0]["cpu_ms_per_hashtag"]:
            ratio = full[-1]["cpu_ms_per_hashtag"] / full[0]["cpu_ms_per_hashtag"]
            found.append((size, full[0]["weeks"], full[-1]["weeks"], round(ratio, 2)))
    return found


def report_growth(rows: list[dict[str, Any]]) -> list[tuple[int, int, int, float]]:
    """Per size: CPU per hashtag at the longest history over that at the shortest."""
    found = []
    for size in sorted({r["hashtags"] for r in rows}):
        same = sorted((r for r in rows if r["hashtags"] == size), key=lambda r: r["weeks"])
        if len(same) >= 2 and same[0]["cpu_ms_per_hashtag"]:
            ratio = same[-1]["cpu_ms_per_hashtag"] / same[0]["cpu_ms_per_hashtag"]
            found.append((size, same[0]["weeks"], same[-1]["weeks"], round(ratio, 2)))
    return found
