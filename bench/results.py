"""Renders the runner's figures as bench/RESULTS.md: summary against targets, then details."""

from __future__ import annotations

from typing import Any

from bench import results_polling
from bench.results_detail import details
from bench.tables import mb, report_flatness, table

CYCLE_TARGET = 1.15
CPU_TARGET_MS = 5.0
IMPORT_TARGET = 1.5


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def header(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    loads = results.get("load", {})
    peak = max([m["load_start"][0], *(v[0] for v in loads.values())])
    lines = [
        "# Benchmark results"
        + (" (quick run: sizes too small to judge)" if results["quick"] else ""),
        "",
        f"- Machine: `{m['arch']}`, {m['cpus']} CPUs, Python {m['python']} ({m['platform']})",
        f"- Date: {m['date']}; code: `{m.get('revision', 'unknown')}`",
        f"- Command: `{results['command']}` (from the repository root; `make bench` runs it)",
        f"- Duration: {results['total_seconds']:.0f} s; 1-minute load average "
        f"{m['load_start'][0]} at the start, up to {peak} after a section",
    ]
    if peak > (m["cpus"] or 1):
        lines.append(
            "- The machine was shared with other jobs (load above its CPU count): wall times "
            "are inflated; CPU times, request counts and credits are not affected."
        )
    if results["errors"]:
        lines.append(
            "- Sections that failed: "
            + ", ".join(f"{k} ({v})" for k, v in results["errors"].items())
        )
    return [*lines, ""]


def summary(s: dict[str, Any]) -> list[str]:
    rows: list[list[Any]] = []
    if "polling" in s:
        rows += results_polling.summary_rows(s)
    if "cycle" in s:
        worst = max(r["ratio"] for r in s["cycle"])
        too_many = sum(r["too_many_requests"] for r in s["cycle"])
        rows.append(
            [
                "2. cycle time / ideal; 429s",
                ", ".join(f"{r['hashtags']} tags: {r['ratio']}×" for r in s["cycle"])
                + f"; {too_many} × 429",
                "≤ 1.15×, 0 × 429",
                _verdict(worst <= CYCLE_TARGET and too_many == 0),
            ]
        )
    if "cpu" in s:
        c = s["cpu"]
        rows.append(
            [
                "3. worker CPU per hashtag (excl. I/O); requests per hashtag per cycle",
                f"{c['cpu_ms_per_hashtag']} ms (= {c.get('cpu_in_bare_put_items_per_hashtag')} "
                f"bare PutItems); {c['dynamodb_per_hashtag_cycle']} DynamoDB, "
                f"{c['api_calls_per_hashtag_cycle']} data-API",
                "< 5 ms CPU",
                _verdict(c["cpu_ms_per_hashtag"] < CPU_TARGET_MS),
            ]
        )
    if "imports" in s:
        worker = next(r for r in s["imports"]["rows"] if r["module"] == "worker handler")
        ratio = worker["ratio"]
        rows.append(
            [
                "4. worker cold-start import / bare `import boto3`",
                ("–" if ratio is None else f"{ratio:.2f}×") + _uncached(s["imports"]),
                "≤ 1.5×",
                _verdict(None if ratio is None else ratio <= IMPORT_TARGET),
            ]
        )
    if "report" in s:
        rows.append(_report_summary(s["report"]))
    if "package" in s:
        layer = s["package"][-1]
        rows.append(
            [
                "6. deployment package sizes",
                f"layer {mb(layer['bytes'])} unzipped, {mb(layer['zipped'])} zipped",
                "(reported)",
                "n/a",
            ]
        )
    return ["## Summary", "", *table(["figure", "measured", "target", "verdict"], rows)]


def _report_summary(rows: list[dict[str, Any]]) -> list[Any]:
    per = sorted({r["dynamodb_per_hashtag"] for r in rows})
    # Per hashtag: 1 snapshot query, 1 ledger GSI query, 1 summary read; the scan of the
    # tracked hashtags is one request per page of 500, so 3 + pages / hashtags.
    constant = bool(per) and max(per) - min(per) <= 0.05
    flat = report_flatness(rows)
    # 15 % allows for timing noise on a shared machine.
    flat_ok = all(ratio <= 1.15 for *_, ratio in flat) if flat else None
    return [
        "5. report: DynamoDB requests and time per hashtag",
        f"{', '.join(str(p) for p in per)} requests / hashtag; report CPU ms / hashtag "
        + ", ".join(f"{r['hashtags']} × {r['weeks']} w: {r['cpu_ms_per_hashtag']}" for r in rows),
        "requests / hashtag constant; time / hashtag not growing with history",
        f"requests {_verdict(constant)}; time {_verdict(flat_ok)} (see section 5)",
    ]


def render(results: dict[str, Any]) -> str:
    s = results["sections"]
    lines = header(results) + summary(s) + details(s)
    return "\n".join(lines).rstrip() + "\n"


def _uncached(imports: dict[str, Any]) -> str:
    ratio = (imports.get("worker_uncached") or {}).get("ratio")
    return "" if ratio is None else f" ({ratio:.2f}× with the layer compiled at import)"
