"""The read-only views: `status`, `history`, `alerts`, `creators` (issue 18).

Every read is bounded: the Hashtags table is scanned (as `list` does), every other read is a
key query per hashtag (its snapshots since a time, its alert records, its ledger).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime, timedelta
from typing import Any

import click

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.hashtag import InvalidItem, TrackedHashtag, normalise_hashtag
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker_tools.cli.app import CliState, _one_line_errors, cli
from hashtag_tracker_tools.cli.tables import table
from hashtag_tracker_tools.cli.views import (
    STATUS_LOOKBACK,
    AlertRow,
    CreatorRow,
    Growth,
    HistoryRow,
    PlanShown,
    SinceError,
    TagStatus,
    alert_rows,
    compact,
    history_rows,
    ledger_view,
    parse_since,
    span,
    sparkline,
    tag_status,
)

DEFAULT_SINCE = "7d"


def _since(text: str, now: datetime) -> datetime:
    try:
        return parse_since(text, now)
    except SinceError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _tracked(state: CliState) -> tuple[list[TrackedHashtag], int]:
    """Every valid tracked hashtag, by name; invalid items are named on stderr."""
    valid: list[TrackedHashtag] = []
    invalid = 0
    for result in state.store.scan():
        if isinstance(result, InvalidItem):
            invalid += 1
            click.echo(f"warning: skipped: {result.reason}", err=True)
        else:
            valid.append(result)
    return sorted(valid, key=lambda h: h.hashtag), invalid


def _one(state: CliState, hashtag: str) -> TrackedHashtag:
    """A tracked hashtag by name; ItemNotFoundError (one line) when it is not tracked."""
    return state.store.get(normalise_hashtag(hashtag))


def _newest_usable(snapshots: list[Snapshot]) -> Snapshot | None:
    return next((s for s in snapshots if s.usable), None)


# -- status -------------------------------------------------------------------------------


def _growth_cell(growth: Growth | None, counter: str) -> str:
    if growth is None:
        return "-"
    rise: int = getattr(growth, counter)
    rate: float = getattr(growth, f"{counter}_per_hour")
    return f"+{compact(rise)} ({compact(rate)}/h)"


def _plan_cell(plan: PlanShown | None, now: datetime) -> str:
    if plan is None:
        return "-"
    due = (plan.next_due - now).total_seconds() / 3600
    when = "due now" if due <= 0 else f"in {span(due)}"
    return f"{when} (every {span(plan.interval_hours)})"


def _status_row(row: TagStatus, now: datetime) -> list[str]:
    name = f"#{row.hashtag}" + ("" if row.active else " (paused)")
    last = row.last
    bad = f"{row.missing_today}/{row.suspect_today}"
    if last is None:
        reading = ["no readings yet", "-", "-", "-"]
    else:
        reading = [
            _when(last.cycle),
            span(row.age_hours),
            compact(last.views),
            compact(last.videos),
        ]
    alert = row.last_alert
    return [
        name,
        *reading,
        _growth_cell(row.growth_6h, "views"),
        _growth_cell(row.growth_6h, "videos"),
        _growth_cell(row.growth_24h, "views"),
        _growth_cell(row.growth_24h, "videos"),
        row.day.label.value if row.day else "-",
        f"{alert.rule} {_when(alert.at)}" if alert else "-",
        _plan_cell(row.plan, now),
        bad,
    ]


STATUS_HEADERS = (
    "hashtag",
    "last reading",
    "age",
    "views",
    "videos",
    "6 h views",
    "6 h videos",
    "24 h views",
    "24 h videos",
    "day/day",
    "last alert",
    "next poll",
    "missing/suspect today",
)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="the figures as JSON")
@click.pass_obj
def status(state: CliState, as_json: bool) -> None:
    """Every tracked hashtag on one screen: last reading, 6 h and 24 h growth with per-hour
    velocity, day over day, last alert, next poll, missing/suspect readings today."""
    now = state.clock.now()
    rows: list[TagStatus] = []
    with _one_line_errors():
        tracked, invalid = _tracked(state)
        sources = state.sources
        plans = dict(sources.plans.read_all()) if tracked and sources.plans else {}
        for hashtag in tracked:
            name = hashtag.hashtag
            recent = sources.snapshots.between(name, now - STATUS_LOOKBACK)
            older: list[Snapshot] = []
            if not any(s.usable for s in recent):
                # No usable reading in the window: the newest before it, one more key query.
                older = sources.snapshots.latest(name, now - STATUS_LOOKBACK)
            alerts = sources.alerts.records_of(name)
            rows.append(tag_status(hashtag, recent, alerts, plans.get(name), now, older))
    if as_json:
        _print_json({"now": to_iso(now), "hashtags": [r.as_dict() for r in rows]})
    elif not rows:
        click.echo("no hashtags tracked; add one with: hashtag-tracker add '#YourTag'")
    else:
        click.echo(table(STATUS_HEADERS, [_status_row(r, now) for r in rows], numeric={2, 3, 4}))
        click.echo(f"{len(rows)} hashtag(s) at {to_iso(now)}")
    if invalid:
        sys.exit(3)


# -- history ------------------------------------------------------------------------------


def _signed(value: int | None) -> str:
    return "-" if value is None else f"{value:+,}"


def _plain(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _history_table(rows: list[HistoryRow]) -> str:
    body = [
        [
            _when(r.cycle),
            r.status,
            _plain(r.views),
            _plain(r.videos),
            _signed(r.views_delta),
            _signed(r.videos_delta),
            str(r.credits),
            r.reason or "",
        ]
        for r in rows
    ]
    headers = ("cycle", "status", "views", "videos", "Δ views", "Δ videos", "credits", "reason")
    return table(headers, body, numeric={2, 3, 4, 5, 6})


def _spark_line(label: str, values: list[int | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return f"{label:<7} no usable readings"
    return f"{label:<7} {sparkline(values)}  {known[0]:,} → {known[-1]:,}"


@cli.command()
@click.argument("hashtag")
@click.option("--since", default=DEFAULT_SINCE, show_default=True, help="30m, 6h, 7d, 2w or a date")
@click.option("--csv", "as_csv", is_flag=True, help="the readings as CSV")
@click.option("--json", "as_json", is_flag=True, help="the readings as JSON")
@click.pass_obj
def history(state: CliState, hashtag: str, since: str, as_csv: bool, as_json: bool) -> None:
    """HASHTAG's readings since --since, with a sparkline of views and videos."""
    if as_csv and as_json:
        raise click.UsageError("choose one of --csv and --json")
    now = state.clock.now()
    start = _since(since, now)
    with _one_line_errors():
        tracked = _one(state, hashtag)
        snapshots = state.sources.snapshots.between(tracked.hashtag, start)
    rows = history_rows(snapshots)
    if as_json:
        _print_json(
            {
                "hashtag": tracked.hashtag,
                "since": to_iso(start),
                "readings": [r.as_dict() for r in rows],
            }
        )
        return
    if as_csv:
        buffer = io.StringIO()
        fields = list(HistoryRow.__dataclass_fields__)
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.as_dict().items()})
        click.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        click.echo(f"#{tracked.hashtag}: no readings since {to_iso(start)}")
        return
    missing = sum(r.status == "missing" for r in rows)
    suspect = sum(r.status == "suspect" for r in rows)
    click.echo(
        f"#{tracked.hashtag}: {len(rows)} reading(s) since {to_iso(start)}"
        f" ({missing} missing, {suspect} suspect)"
    )
    click.echo(_spark_line("views", [r.views for r in rows]))
    click.echo(_spark_line("videos", [r.videos for r in rows]))
    click.echo(_history_table(rows))


# -- alerts -------------------------------------------------------------------------------


@cli.command()
@click.option("--since", default=DEFAULT_SINCE, show_default=True, help="30m, 6h, 7d, 2w or a date")
@click.option("--tag", "hashtag", help="only this hashtag")
@click.option("--json", "as_json", is_flag=True, help="the alerts as JSON")
@click.pass_obj
def alerts(state: CliState, since: str, hashtag: str | None, as_json: bool) -> None:
    """Alerts sent since --since, newest first (from the alert store)."""
    now = state.clock.now()
    start = _since(since, now)
    invalid = 0
    with _one_line_errors():
        if hashtag is not None:
            names = [_one(state, hashtag).hashtag]
        else:
            tracked, invalid = _tracked(state)
            names = [h.hashtag for h in tracked]
        records = [r for name in names for r in state.sources.alerts.records_of(name, start)]
    rows: list[AlertRow] = [r for r in alert_rows(records) if r.at >= start]
    if as_json:
        _print_json({"since": to_iso(start), "alerts": [r.as_dict() for r in rows]})
    elif not rows:
        click.echo(f"no alerts since {to_iso(start)}")
    else:
        body = [[_when(r.at), f"#{r.hashtag}", r.rule, r.window, r.title, r.status] for r in rows]
        click.echo(table(("at", "hashtag", "rule", "window", "alert", "status"), body))
        for row in rows:
            if row.summary:
                click.echo(f"  {_when(row.at)} {row.summary}")
        click.echo(f"{len(rows)} alert(s) since {to_iso(start)}")
    if invalid:
        sys.exit(3)


# -- creators -----------------------------------------------------------------------------


@cli.command()
@click.argument("hashtag")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="the ledger's figures as JSON")
@click.pass_obj
def creators(state: CliState, hashtag: str, top: int, as_json: bool) -> None:
    """HASHTAG's creators in the video ledger, by videos and by plays, with first-seen
    times, and the ledger's coverage (videos seen against the tag's video count)."""
    now = state.clock.now()
    with _one_line_errors():
        tracked = _one(state, hashtag)
        name = tracked.hashtag
        ledger = state.sources.ledger
        entries = [*ledger.entries(name, "video#"), *ledger.entries(name, "creator#")]
        newest = _newest_usable(state.sources.snapshots.latest(name, now + timedelta(seconds=1)))
    view = ledger_view(name, entries, newest.videos if newest else None)
    if as_json:
        _print_json(view.as_dict(top))
        return
    coverage = view.coverage_pct
    of = (
        f" of {view.video_count:,} on TikTok ({coverage:.1f} %)"
        if view.video_count is not None and coverage is not None
        else " (no video count read yet)"
    )
    seen = f"{view.videos_seen:,} video(s) in the ledger{of}"
    click.echo(f"#{name}: {seen}, {view.creators_seen:,} creator(s)")
    if not view.creators:
        click.echo("no creators in the ledger yet")
        return
    _creator_table("by videos", view.by_videos(top))
    _creator_table("by plays", view.by_plays(top))


def _creator_table(title: str, rows: list[CreatorRow]) -> None:
    click.echo(f"\nTop creators {title}")
    body = [
        [
            f"@{r.author_id}",
            r.nickname or "-",
            f"{r.videos:,}",
            f"{r.plays:,}",
            _when(r.first_seen),
        ]
        for r in rows
    ]
    click.echo(
        table(("creator", "nickname", "videos", "plays", "first seen"), body, numeric={2, 3})
    )
