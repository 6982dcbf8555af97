"""The README's main command: weeks of a real campaign on the emulated stack, end to end.

    make demo                      # 21 simulated days, the default scenario
    make demo ARGS="--days 7 --hashtags 20 --rate-limit 5 --seed 3"

Provisions the stack from template.yaml in moto server, starts the TikTok simulator, seeds the
tracked hashtags through the CLI, runs every hourly tick of the schedule (the planner sends
the tags that are due) and every Monday report through the real handlers, prints each alert
as it fires and each change of a tag's polling interval, and ends with a summary table and
the paths of the reports it wrote. Exits non-zero, naming the stage, on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hashtag_tracker_tools.local.runner import Published
from hashtag_tracker_tools.local.scenario import DEFAULT_START, default_scenario
from hashtag_tracker_tools.local.session import LocalSession, SessionOptions

DEFAULT_OUT = Path("out")
# The template allows up to 50 (WorkerMaxConcurrency); a laptop is better served by a few.
MAX_WORKERS = 16


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make demo ARGS=...",
        description="Run the tracker for simulated weeks on an emulated AWS stack, offline.",
    )
    parser.add_argument("--days", type=float, default=21.0, help="simulated days (default 21)")
    parser.add_argument(
        "--hashtags", type=int, default=0, help="extra procedural trend tags beside the scenario"
    )
    parser.add_argument("--rate-limit", type=int, default=10, help="plan requests per minute")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1500.0,
        help="how much faster than real time the plan's minute passes (default 1500)",
    )
    parser.add_argument("--seed", type=int, default=0, help="shifts the scenario's start week")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--no-slack", action="store_true", help="no Slack notifier")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        choices=range(1, MAX_WORKERS + 1),
        metavar="N",
        help=f"worker containers polling the fetch queue at once, 1 to {MAX_WORKERS} "
        "(default 1; 2+ spawns processes)",
    )
    parser.add_argument(
        "--provider",
        choices=["simulator", "scavio"],
        default="simulator",
        help="scavio polls the real API (needs SCAVIO_API_KEY and a network)",
    )
    parser.add_argument(
        "--hashtag", action="append", default=[], help="with --provider scavio: tags to poll"
    )
    parser.add_argument(
        "--api-base-url",
        default="https://api.scavio.dev",
        help="with --provider scavio: the data API (default https://api.scavio.dev)",
    )
    return parser.parse_args(argv)


@dataclass
class RunRecord:
    alerts: list[Published] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    report_files: list[Path] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    cycles: int = 0
    polls: int = 0
    cadence_changes: int = 0
    seconds: float = 0.0


class StageError(RuntimeError):
    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"{stage} failed: {type(cause).__name__}: {cause}")
        self.stage = stage


@contextlib.contextmanager
def _stage(name: str) -> Iterator[None]:
    """Wrap a block so a failure names the stage that broke."""
    try:
        yield
    except StageError:
        raise
    except Exception as exc:
        raise StageError(name, exc) from exc


def alert_line(alert: Published, when: datetime) -> str:
    severity = alert.attributes.get("severity", "info")
    colour = {"critical": "bold red", "warning": "yellow"}.get(severity, "cyan")
    tag = alert.hashtag or "-"
    return (
        f"[dim]{when:%a %d %b %H:%M}[/] [{colour}]{alert.rule or 'notice':<20}[/] "
        f"#{tag:<14} {alert.subject}"
    )


class CadenceWatch:
    """Reads the polling plan after each tick and words each change of a tag's interval."""

    def __init__(self, session: LocalSession) -> None:
        from hashtag_tracker.storage.plan import DynamoPlanStore

        self._store = DynamoPlanStore(session.info.outputs["StateTableName"])
        self._intervals: dict[str, float] = {}

    def changes(self, when: datetime) -> list[str]:
        lines = []
        for name, entry in sorted(self._store.read_all().items()):
            before = self._intervals.get(name)
            self._intervals[name] = entry.interval_hours
            if before is None or before == entry.interval_hours:
                continue
            arrow = "[green]↑[/]" if entry.interval_hours < before else "[dim]↓[/]"
            lines.append(
                f"[dim]{when:%a %d %b %H:%M}[/] {arrow} [magenta]{'cadence':<20}[/] "
                f"#{name:<14} every {before:g} h → {entry.interval_hours:g} h ({entry.reason})"
            )
        return lines


def download_reports(session: LocalSession, out: Path) -> list[Path]:
    """Copy every report object the Report function wrote to S3 into `out`."""
    import boto3

    s3 = boto3.client("s3")
    bucket = session.info.outputs["ReportsBucketName"]
    written: list[Path] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            target = out / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
            written.append(target)
    return sorted(written)


def summary_rows(
    session: LocalSession, end: datetime, alerts: list[Published]
) -> list[dict[str, Any]]:
    """Per hashtag: views now, week-over-week change, alerts, credits and missing cycles."""
    from hashtag_tracker.storage.snapshots import DynamoSnapshotStore

    store = DynamoSnapshotStore(session.info.outputs["SnapshotsTableName"])
    counts = Counter(a.hashtag for a in alerts if a.hashtag)
    rows = []
    for tracked in session.scenario.tracked:
        snaps = store.between(tracked.name, session.scenario.start, end)
        usable = [s for s in snaps if s.usable]
        latest = usable[-1] if usable else None
        week_ago = [s for s in usable if s.cycle <= end - timedelta(days=7)]
        base = week_ago[-1] if week_ago else None
        wow = None
        if latest and base and base.views:
            wow = (latest.views or 0) / base.views * 100 - 100
        rows.append(
            {
                "hashtag": tracked.name,
                "role": tracked.role,
                "views": latest.views if latest else None,
                "wow_pct": wow,
                "alerts": counts.get(tracked.name, 0),
                "credits": sum(s.credits for s in snaps),
                "missing": sum(1 for s in snaps if s.status.value == "missing"),
                "snapshots": len(snaps),
            }
        )
    return rows


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console(highlight=False, width=max(110, Console().width))
    if args.provider == "scavio":
        return _run_scavio(args, console)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "handler-logs.jsonl"
    start = DEFAULT_START + timedelta(weeks=args.seed)
    scenario = default_scenario(args.hashtags, start=start)
    began = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log_stream:
        options = SessionOptions(
            rate_limit=args.rate_limit,
            time_scale=args.time_scale,
            slack=not args.no_slack,
            log_stream=log_stream,
            workers=args.workers,
        )
        with _stage("starting the emulated stack and the simulator"):
            session = LocalSession(scenario, options).__enter__()
        try:
            record = _simulate(session, args, console)
        finally:
            session.__exit__(None, None, None)
    record.seconds = time.monotonic() - began
    _print_summary(console, args, record)
    console.print(f"Handler logs: {log_path} · done in {record.seconds:.0f} s")
    return 0


def _simulate(session: LocalSession, args: argparse.Namespace, console: Any) -> RunRecord:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    scenario = session.scenario
    record = RunRecord()
    console.print(
        f"[bold]Emulated stack[/] from template.yaml at {session.info.endpoint_url} · "
        f"TikTok simulator at {session.simulator.base_url} · plan {args.rate_limit}/min"
    )
    if session.info.not_emulated:
        console.print(f"[dim]not emulated by moto: {', '.join(session.info.not_emulated)}[/]")
    with _stage("seeding tracked hashtags through the CLI"):
        _seed_quietly(session)
    console.print(
        f"Tracking {len(scenario.tracked)} hashtags (+{len(scenario.invalid_items)} "
        "invalid item, reported and skipped)"
    )
    times = list(session.cycle_times(args.days))
    end = times[-1] if times else scenario.start
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} ticks"),
        TimeElapsedColumn(),
    )
    cadence = CadenceWatch(session)
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("simulated time", total=len(times))
        for when in times:
            progress.update(task, description=f"{when:%a %d %b %H:%M}")
            with _stage(f"the collection tick at {when:%Y-%m-%d %H:%M}"):
                fired = session.run_cycle(when)
            record.cycles += 1
            record.polls += int(session.runner.last_fan_out.get("sent", 0))
            for line in cadence.changes(when):
                record.cadence_changes += 1
                progress.console.print(line)
            if session.is_report_time(when) and when >= scenario.start + timedelta(days=7):
                with _stage(f"the weekly report of {when:%Y-%m-%d}"):
                    result, reported = session.run_report(when)
                record.reports.append(result if isinstance(result, dict) else {})
                fired += reported
            for alert in fired:
                record.alerts.append(alert)
                progress.console.print(alert_line(alert, when))
            progress.advance(task)
    with _stage("collecting the reports"):
        record.report_files = download_reports(session, args.out)
    record.rows = summary_rows(session, end, record.alerts)
    truth = session.simulator.truth()
    record.totals = {
        "charged": truth.credits_charged,
        "429s": truth.answers.get(429, 0),
        "violations": truth.rate_limit_violations,
        "dlq": session.runner.dlq_depth(),
        "slack": len(session.slack.payloads) if session.slack else 0,
    }
    return record


def _print_summary(console: Any, args: argparse.Namespace, record: RunRecord) -> None:
    from rich.table import Table

    table = Table(
        title=f"{args.days:g} simulated days, {record.cycles} hourly ticks, {record.polls} polls"
    )
    left = ("hashtag", "what it shows")
    for column in (*left, "views", "WoW", "alerts", "credits", "missing"):
        table.add_column(column, justify="left" if column in left else "right")
    for row in record.rows:
        wow = "-" if row["wow_pct"] is None else f"{row['wow_pct']:+.1f}%"
        views = "-" if row["views"] is None else f"{row['views']:,}"
        table.add_row(
            f"#{row['hashtag']}",
            row["role"],
            views,
            wow,
            str(row["alerts"]),
            str(row["credits"]),
            str(row["missing"]),
        )
    console.print(table)
    totals = record.totals
    credits = sum(r["credits"] for r in record.rows)
    console.print(
        f"Polling: {record.polls} polls in {record.cycles} ticks; "
        f"{record.cadence_changes} changes of a tag's interval (README, 'Polling')."
    )
    console.print(
        f"Alerts: {len(record.alerts)} published, {totals['slack']} posted to Slack (loopback). "
        f"Credits: {credits} (${credits * 0.005:.2f}); simulator charged {totals['charged']}, "
        f"429s: {totals['429s']}, plan-limit violations: {totals['violations']}. "
        f"DLQ: {totals['dlq']}."
    )
    if record.report_files:
        console.print("[bold]Reports written:[/]")
        for path in record.report_files:
            console.print(f"  {path}")
    else:
        console.print("[yellow]No report was written (run at least 7 days).[/]")


def _seed_quietly(session: LocalSession) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        session.seed()


def _run_scavio(args: argparse.Namespace, console: Any) -> int:
    """Poll the real data API once for the given hashtags, on the local emulated stack."""
    key = os.environ.get("SCAVIO_API_KEY", "").strip()
    if not key:
        console.print("[red]--provider scavio needs SCAVIO_API_KEY in the environment.[/]")
        return 2
    if not args.hashtag:
        console.print("[red]--provider scavio needs --hashtag TAG (repeatable).[/]")
        return 2
    from hashtag_tracker.clock import SystemClock, tick_start
    from hashtag_tracker.models.hashtag import InvalidHashtagError, normalise_hashtag
    from hashtag_tracker_tools.local.runner import LocalRunner
    from hashtag_tracker_tools.local.session import API_KEY_SECRET
    from hashtag_tracker_tools.local.stack import MotoServer, provision

    try:
        names = [normalise_hashtag(tag) for tag in args.hashtag]
    except InvalidHashtagError as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with (out / "handler-logs.jsonl").open("w", encoding="utf-8") as log, MotoServer() as moto:
        with _stage("provisioning the emulated stack"):
            info = provision(
                moto.endpoint_url,
                {"PlanRateLimitPerMinute": str(args.rate_limit)},
                secrets={API_KEY_SECRET: key},
            )
        clock = SystemClock()
        with LocalRunner(
            info, clock, extra_env={"API_BASE_URL": args.api_base_url}, log_stream=log
        ) as runner:
            with (
                _stage("adding the hashtags through the CLI"),
                contextlib.redirect_stdout(io.StringIO()),
            ):
                from hashtag_tracker_tools.cli.app import cli

                base = ["--table", info.outputs["HashtagsTableName"]]
                for name in names:
                    cli.main(args=[*base, "add", name, "--kind", "campaign"], standalone_mode=False)
            now = clock.now()
            with _stage(f"polling {args.api_base_url}"):
                runner.tick_collection(now)
                runner.drain_fetch_queue(max_wait_seconds=600)
                alerts = runner.drain_alerts(notify=False)
            _print_polled(console, info, names, tick_start(now, 60), alerts)
    return 0


def _print_polled(
    console: Any, info: Any, names: list[str], cycle: datetime, alerts: list[Published]
) -> None:
    from rich.table import Table

    from hashtag_tracker.storage.snapshots import DynamoSnapshotStore

    store = DynamoSnapshotStore(info.outputs["SnapshotsTableName"])
    table = Table(title=f"Cycle {cycle:%Y-%m-%d %H:%M} UTC")
    for column in ("hashtag", "status", "views", "videos", "credits", "reason"):
        table.add_column(column)
    for name in names:
        snap = store.get(name, cycle)
        if snap is None:
            table.add_row(f"#{name}", "not collected", "-", "-", "-", "-")
            continue
        table.add_row(
            f"#{name}",
            snap.status.value,
            "-" if snap.views is None else f"{snap.views:,}",
            "-" if snap.videos is None else f"{snap.videos:,}",
            str(snap.credits),
            snap.reason or "",
        )
    console.print(table)
    for alert in alerts:
        console.print(f"alert: {alert.subject}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except StageError as exc:
        sys.stderr.write(f"demo: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("demo: interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
