"""Manage tracked hashtags (DynamoDB items) from the shell: add, list, show, update, pause, ..."""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click

from hashtag_tracker.clock import Clock, SystemClock, to_iso
from hashtag_tracker.models.codec import field_names, to_data
from hashtag_tracker.models.hashtag import (
    HashtagKind,
    InvalidHashtagError,
    InvalidItem,
    Thresholds,
    TrackedHashtag,
    normalise_hashtag,
    with_changes,
)
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.storage.errors import ItemExistsError, ItemNotFoundError, StorageError
from hashtag_tracker.storage.hashtags import DynamoHashtagStore, hashtag_to_item
from hashtag_tracker_tools.cli.ports import HashtagStore, ViewSources
from hashtag_tracker_tools.cli.simulated_clock import read_clock
from hashtag_tracker_tools.cli.target import LOCAL_STATE_FILE, Target, TargetError, resolve_target

THRESHOLD_KEYS = field_names(Thresholds)


class CliState:
    """What every command needs; tests inject a store, a clock and the views' readers here."""

    def __init__(
        self,
        store_factory: Callable[[], HashtagStore],
        clock: Clock,
        sources_factory: Callable[[], ViewSources] | None = None,
    ) -> None:
        self._store_factory = store_factory
        self._store: HashtagStore | None = None
        self._sources_factory = sources_factory
        self._sources: ViewSources | None = None
        self.clock = clock

    @property
    def store(self) -> HashtagStore:
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    @property
    def sources(self) -> ViewSources:
        """The snapshot, alert, ledger and plan readers (made on first use)."""
        if self._sources is None:
            if self._sources_factory is None:
                raise TargetError("this command reads the stack's tables; say which stack")
            self._sources = self._sources_factory()
        return self._sources


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Turn the service's own errors into click's one-line 'Error: ...' and exit code 1."""
    try:
        yield
    except (InvalidHashtagError, StorageError, TargetError) as exc:
        raise click.ClickException(str(exc)) from None


def _parse_thresholds(pairs: tuple[str, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not value.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--threshold")
        if key not in THRESHOLD_KEYS:
            raise click.BadParameter(
                f"unknown threshold {key!r}; known: {', '.join(THRESHOLD_KEYS)}",
                param_hint="--threshold",
            )
        result[key] = value.strip()
    return result


def _changes(
    kind: str | None,
    campaign: str | None,
    thresholds: tuple[str, ...],
    start: date | None,
    end: date | None,
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if kind is not None:
        changes["kind"] = kind
    if campaign is not None:
        changes["campaign"] = campaign or None
    if thresholds:
        changes["thresholds"] = _parse_thresholds(thresholds)
    if start is not None:
        changes["start_date"] = start
    if end is not None:
        changes["end_date"] = end
    return changes


def _one_line(text: str) -> str:
    return text if text.isprintable() else repr(text)


def _row(hashtag: TrackedHashtag) -> str:
    dates = f"{hashtag.start_date or ''}..{hashtag.end_date or ''}"
    state = "active" if hashtag.active else "paused"
    # `status` is free text from the item: a line break in it must not forge a row.
    status = f" [{_one_line(hashtag.status)}]" if hashtag.status else ""
    campaign = hashtag.campaign or "-"
    return f"#{hashtag.hashtag:<32} {hashtag.kind:<10} {campaign:<20} {state:<6} {dates}{status}"


def _plans(state: CliState) -> dict[str, PlanEntry] | None:
    """The polling plan of every tag (one query), or None when the State table is not known
    (`--table` without STATE_TABLE, or a test's store alone): the rows then carry no plan."""
    try:
        sources = state.sources
    except TargetError:
        return None
    return dict(sources.plans.read_all()) if sources.plans is not None else None


def _plan_text(entry: PlanEntry | None) -> str:
    """Issue 15: the tag's current interval, next poll and why; '-' before its first plan."""
    if entry is None:
        return "-"
    every = f"{entry.interval_hours:g}"
    return (
        f"every {every} h, next poll {entry.next_due:%Y-%m-%d %H:%M}, "
        f"why: {_one_line(entry.reason)}"
    )


def _plan_data(entry: PlanEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "interval_hours": entry.interval_hours,
        "next_due": to_iso(entry.next_due),
        "reason": entry.reason,
        "last_poll": to_iso(entry.last_poll) if entry.last_poll else None,
    }


# The options `add` and `update` share, in their --help order.
_CHANGE_OPTIONS = (
    click.option(
        "--kind",
        type=click.Choice([k.value for k in HashtagKind]),
        help="campaign, competitor, trend",
    ),
    click.option("--campaign", help="campaign group (shared with its competitors)"),
    click.option(
        "--threshold",
        "thresholds",
        multiple=True,
        metavar="KEY=VALUE",
        help=f"per-hashtag threshold; keys: {', '.join(THRESHOLD_KEYS)}",
    ),
    click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD"),
    click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD"),
)


def _as_date(value: Any) -> date | None:
    return value.date() if value is not None else None


def _change_options(command: Callable[..., None]) -> Callable[..., None]:
    """Declare the _CHANGE_OPTIONS on `command`, which gets their values as one `changes`
    dict (only the options given)."""

    @functools.wraps(command)
    def with_changes(
        *args: Any,
        kind: str | None,
        campaign: str | None,
        thresholds: tuple[str, ...],
        start: Any,
        end: Any,
        **kwargs: Any,
    ) -> None:
        changes = _changes(kind, campaign, thresholds, _as_date(start), _as_date(end))
        command(*args, changes=changes, **kwargs)

    decorated: Callable[..., None] = with_changes
    for option in reversed(_CHANGE_OPTIONS):
        decorated = option(decorated)
    return decorated


@click.group()
@click.option("--table", envvar="HASHTAGS_TABLE", help="Hashtags table name [env HASHTAGS_TABLE]")
@click.option("--stack", help="a deployed stack's name; its outputs name the table")
@click.option("--local", is_flag=True, help="the running local stack (make local-stack)")
@click.option("--region", envvar="AWS_REGION", help="AWS region [env AWS_REGION]")
@click.option("--endpoint-url", help="custom DynamoDB/CloudFormation endpoint")
@click.pass_context
def cli(
    ctx: click.Context,
    table: str | None,
    stack: str | None,
    local: bool,
    region: str | None,
    endpoint_url: str | None,
) -> None:
    """Manage the hashtags the tracker polls."""
    if isinstance(ctx.obj, CliState):  # injected by tests or the local demo
        return

    @functools.cache
    def target() -> Target:
        with _one_line_errors():
            return resolve_target(
                table=table, stack=stack, local=local, region=region, endpoint_url=endpoint_url
            )

    def factory() -> HashtagStore:
        return DynamoHashtagStore(target().hashtags_table, client=target().dynamodb())

    def sources() -> ViewSources:
        from hashtag_tracker_tools.cli.sources import view_sources

        # A TargetError (a table not named) reaches the command, which says it in one line,
        # or, in `list` and `show`, leaves the plan out.
        return view_sources(target())

    # The live local stack runs on simulated time: --local reads and writes in its time.
    simulated = read_clock(LOCAL_STATE_FILE.parent) if local else None
    clock: Clock = simulated or SystemClock()
    ctx.obj = CliState(factory, clock, sources)


@cli.command()
@click.argument("hashtag")
@_change_options
@click.option("--paused", is_flag=True, help="add it paused (not polled until resumed)")
@click.pass_obj
def add(state: CliState, hashtag: str, changes: dict[str, Any], paused: bool) -> None:
    """Track HASHTAG (with or without '#')."""
    with _one_line_errors():
        now = state.clock.now()
        data: dict[str, Any] = {
            "hashtag": hashtag,
            "active": not paused,
            "created_at": now,
            "updated_at": now,
            **changes,
        }
        item = TrackedHashtag.parse(data)
        state.store.create(item)
    click.echo(f"tracking #{item.hashtag} ({item.kind})")


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@click.option("--campaign", help="only this campaign group")
@click.pass_obj
def list_(state: CliState, as_json: bool, campaign: str | None) -> None:
    """List tracked hashtags; invalid items are reported on stderr and skipped."""
    invalid = 0
    shown = 0
    with _one_line_errors():
        plans = _plans(state)
        for result in state.store.scan():
            if isinstance(result, InvalidItem):
                invalid += 1
                click.echo(f"warning: skipped: {result.reason}", err=True)
                continue
            if campaign and result.campaign != campaign:
                continue
            shown += 1
            entry = plans.get(result.hashtag) if plans is not None else None
            if as_json:
                data = hashtag_to_item(result)
                if plans is not None:
                    data["plan"] = _plan_data(entry)
                click.echo(json.dumps(data, ensure_ascii=False, default=str))
            else:
                click.echo(_row(result))
                if plans is not None:
                    click.echo(f"  {_plan_text(entry)}")
    if not as_json:
        click.echo(
            f"{shown} hashtag(s)" + (f", {invalid} invalid item(s) skipped" if invalid else "")
        )
    if invalid:
        sys.exit(3)


@cli.command()
@click.argument("hashtag")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show(state: CliState, hashtag: str, as_json: bool) -> None:
    """Show one tracked hashtag with its thresholds."""
    with _one_line_errors():
        item = state.store.get(normalise_hashtag(hashtag))
        plans = _plans(state)
    entry = plans.get(item.hashtag) if plans is not None else None
    if as_json:
        data = hashtag_to_item(item)
        if plans is not None:
            data["plan"] = _plan_data(entry)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(_row(item))
    if plans is not None:
        click.echo(f"  {'polling':<28} {_plan_text(entry)}")
    for key, value in to_data(item.thresholds).items():
        click.echo(f"  {key:<28} {value}")


def _update(state: CliState, hashtag: str, changes: dict[str, Any]) -> TrackedHashtag:
    with _one_line_errors():
        current = state.store.get(normalise_hashtag(hashtag))
        updated = with_changes(current, changes, now=state.clock.now())
        state.store.replace(updated)
    return updated


@cli.command()
@click.argument("hashtag")
@_change_options
@click.pass_obj
def update(state: CliState, hashtag: str, changes: dict[str, Any]) -> None:
    """Change a tracked hashtag's kind, campaign, thresholds or dates (--campaign '' clears)."""
    if not changes:
        raise click.UsageError("nothing to update; pass at least one option")
    updated = _update(state, hashtag, changes)
    click.echo(f"updated #{updated.hashtag}")


@cli.command()
@click.argument("hashtag")
@click.pass_obj
def pause(state: CliState, hashtag: str) -> None:
    """Stop polling HASHTAG (its history is kept)."""
    updated = _update(state, hashtag, {"active": False})
    click.echo(f"paused #{updated.hashtag}")


@cli.command()
@click.argument("hashtag")
@click.pass_obj
def resume(state: CliState, hashtag: str) -> None:
    """Poll HASHTAG again."""
    updated = _update(state, hashtag, {"active": True, "status": None})
    click.echo(f"resumed #{updated.hashtag}")


@cli.command()
@click.argument("hashtag")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.option(
    "--raw-key",
    is_flag=True,
    help="HASHTAG is an item's exact stored key, not normalised (an item `list` reports as "
    "not normalised, e.g. '#TryBrandX')",
)
@click.pass_obj
def remove(state: CliState, hashtag: str, yes: bool, raw_key: bool) -> None:
    """Stop tracking HASHTAG (snapshots stay until their retention ends)."""
    if raw_key:
        name, shown = hashtag, f"the item keyed {hashtag!r}"
    else:
        with _one_line_errors():
            name = normalise_hashtag(hashtag)
        shown = f"#{name}"
    if not yes:
        click.confirm(f"stop tracking {shown}?", abort=True)
    with _one_line_errors():
        try:
            state.store.delete(name)
        except ItemNotFoundError as exc:
            if raw_key or name == hashtag:
                raise
            raise ItemNotFoundError(
                f"{exc}; for an item stored under the exact key {hashtag!r}, add --raw-key"
            ) from None
    click.echo(f"removed {shown}")


@cli.command(name="fix-key")
@click.argument("raw_key", metavar="KEY")
@click.pass_obj
def fix_key(state: CliState, raw_key: str) -> None:
    """Move the item stored under KEY, a key that is not normalised ('#TryBrandX'), to its
    normalised name ('trybrandx'), keeping its settings. Refused when that name is tracked
    already: then remove the duplicate with `remove --raw-key KEY`."""
    with _one_line_errors():
        item = state.store.get(raw_key)
        if item.hashtag == raw_key:
            click.echo(f"#{item.hashtag} is stored under its normalised name; nothing to fix")
            return
        moved = with_changes(item, {}, now=state.clock.now())
        try:
            state.store.create(moved)
        except ItemExistsError:
            raise ItemExistsError(
                f"hashtag {moved.hashtag!r} is already tracked; keep it and remove the item "
                f"keyed {raw_key!r} with `remove --raw-key {raw_key!r}`"
            ) from None
        state.store.delete(raw_key)
    click.echo(f"moved the item keyed {raw_key!r} to #{moved.hashtag}")


@cli.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="folder to write reports/YYYY-MM-DD/report.{json,csv,html} into",
)
@click.option("--as-of", "as_of", help="end of the reported week, ISO 8601 (default: now)")
@click.option("--snapshots-table", envvar="SNAPSHOTS_TABLE", help="[env SNAPSHOTS_TABLE]")
@click.option("--videos-table", envvar="VIDEOS_TABLE", help="[env VIDEOS_TABLE]")
@click.option(
    "--rank-by",
    "rank_by",
    type=click.Choice(["growth", "engagement", "views"]),
    default="growth",
    show_default=True,
    help="rank by views growth % this week, pooled engagement rate, or total views",
)
@click.pass_context
def report(
    ctx: click.Context,
    out_dir: Path,
    as_of: str | None,
    snapshots_table: str | None,
    videos_table: str | None,
    rank_by: str,
) -> None:
    """Write the weekly report (JSON, CSV, HTML) for the week ending --as-of to --out."""
    from hashtag_tracker.report.model import RankBy
    from hashtag_tracker.report.run import ReportEventError, as_of_from_event, make_report
    from hashtag_tracker.storage.report_sources import DynamoReportSources
    from hashtag_tracker.storage.reports import LocalReportWriter
    from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
    from hashtag_tracker.storage.videos import DynamoVideoLedger

    state: CliState = ctx.obj
    now = state.clock.now()
    with _one_line_errors():
        try:
            when = as_of_from_event({"as_of": as_of} if as_of else {}, now)
        except ReportEventError as exc:
            raise click.BadParameter(str(exc), param_hint="--as-of") from None
        target = _root_target(ctx)
        outputs = target.outputs or {}
        snapshots_name = snapshots_table or outputs.get("SnapshotsTableName")
        videos_name = videos_table or outputs.get("VideosTableName")
        if not snapshots_name or not videos_name:
            raise TargetError(
                "say which tables: --stack/--local, or --snapshots-table and --videos-table "
                "(env SNAPSHOTS_TABLE, VIDEOS_TABLE)"
            )
        client = target.dynamodb()
        sources = DynamoReportSources(
            state.store,
            DynamoSnapshotStore(snapshots_name, client),
            DynamoVideoLedger(videos_name, client),
        )
        result = make_report(
            when,
            sources,
            LocalReportWriter(out_dir),
            None,
            generated_at=now,
            rank_by=RankBy(rank_by),
        )
    for path in result.written.locations.values():
        click.echo(f"wrote {path}")
    flagged = ", ".join(f"#{r.hashtag} ({r.anomaly.kind})" for r in result.report.anomalies)
    click.echo(
        f"{len(result.report.hashtags)} hashtag(s) ranked by {rank_by}; anomalies: "
        f"{flagged or 'none'}"
        + (f"; {len(result.report.skipped)} skipped" if result.report.skipped else "")
    )
    if result.invalid_items:
        for reason in result.invalid_items:
            click.echo(f"warning: skipped: {reason}", err=True)
        sys.exit(3)


@cli.command()
@click.option("--state-table", envvar="STATE_TABLE", help="[env STATE_TABLE]")
@click.option("--month", help="YYYY-MM (default: this month, UTC)")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
@click.pass_context
def credits(ctx: click.Context, state_table: str | None, month: str | None, as_json: bool) -> None:
    """The month's data-API credits: used, reserved, the provider's own balance and whether
    it lasts the month at this month's rate."""
    from hashtag_tracker.collection.balance import outlook
    from hashtag_tracker.storage.state import DynamoStateStore

    state: CliState = ctx.obj
    now = state.clock.now()
    this_month = now.strftime("%Y-%m")
    month = month or this_month
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise click.BadParameter(f"{month!r} is not a month like 2026-11", param_hint="--month")
    with _one_line_errors():
        target = _root_target(ctx)
        name = state_table or (target.outputs or {}).get("StateTableName")
        if not name:
            raise TargetError(
                "say which table: --stack/--local, or --state-table (env STATE_TABLE)"
            )
        store = DynamoStateStore(name, target.dynamodb())
        spent, used = store.credits(month)
        balance = store.balance(month)
    projection = outlook(balance[0], used, now) if balance and month == this_month else None
    figures = {
        "month": month,
        "used": used,
        "reserved": max(0, spent - used),
        "balance": balance[0] if balance else None,
        "balance_at": balance[1] if balance else None,
        "daily_rate": round(projection.daily_rate, 1) if projection else None,
        "needed_to_month_end": round(projection.needed) if projection else None,
        "lasts_the_month": projection.lasts if projection else None,
    }
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(f"{month}: {used:,} credits used, {figures['reserved']:,} reserved by running work")
    if balance is None:
        click.echo("balance: not reported yet (the provider's answers carry it)")
    else:
        click.echo(f"balance: {balance[0]:,} credits, as the provider said at {balance[1]}")
    if projection is not None:
        verdict = "lasts the month" if projection.lasts else "RUNS OUT before the month ends"
        click.echo(
            f"at {projection.daily_rate:,.0f} a day the {projection.days_left:.1f} days left "
            f"need about {projection.needed:,.0f}: the balance {verdict}"
        )


def _root_target(ctx: click.Context) -> Target:
    """Where the command acts, from the root options (--table, --stack, --local, ...)."""
    root = ctx.find_root().params
    return resolve_target(
        table=root.get("table"),
        stack=root.get("stack"),
        local=bool(root.get("local")),
        region=root.get("region"),
        endpoint_url=root.get("endpoint_url"),
    )


def main() -> None:
    cli()
