"""The CLI's views through the real adapters and boto3 calls, on moto tables made from
template.yaml: what `status`, `history`, `alerts`, `creators` and `list` read and print."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.rules.alert import AlertRule
from hashtag_tracker.storage.alerts import DynamoAlertStore
from hashtag_tracker.storage.plan import DynamoPlanStore
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker.storage.videos import DynamoVideoLedger
from hashtag_tracker_tools.cli import cli
from hashtag_tracker_tools.cli.app import CliState
from hashtag_tracker_tools.cli.sources import view_sources
from hashtag_tracker_tools.cli.target import Target
from tests.integration.test_alerts_moto import viral
from tests.unit.rules.builders import at

pytestmark = pytest.mark.integration

NOW = at(48)  # the builders' T0 + 2 days


@pytest.fixture
def filled(tables: dict[str, str]) -> dict[str, str]:
    """Two tags whose names share a prefix (trybrand, trybrandx), 2 days of readings, alerts
    (one published, one claimed only), a ledger page and a plan record."""
    runner = CliRunner()
    for name in ("#TryBrandX", "trybrand"):
        assert runner.invoke(cli, ["--table", tables["HashtagsTable"], "add", name]).exit_code == 0
    snapshots = DynamoSnapshotStore(tables["SnapshotsTable"])
    for h in range(0, 49, 6):
        snapshots.put(
            Snapshot(
                hashtag="trybrandx",
                cycle=at(h),
                taken_at=at(h),
                views=1_000_000 + h * 1_000,
                videos=100 + h,
            ),
            timedelta(days=30),
        )
    alerts = DynamoAlertStore(tables["StateTable"])
    alerts.confirm(alerts.claim(viral(42), at(42)), "m1", at(42))
    # claimed, not (yet) confirmed
    milestone = viral(48, window="1000000", rule=AlertRule.MILESTONE, cooldown_hours=0)
    alerts.claim(milestone, at(48))
    alerts.confirm(alerts.claim(viral(30, hashtag="trybrand"), at(30)), "m2", at(30))
    ledger = DynamoVideoLedger(tables["VideosTable"])
    videos = [
        LedgerVideo(
            hashtag="trybrandx",
            video_id=f"v{i}",
            author_id="ana" if i < 3 else "bo",
            first_seen=at(0),
            last_seen=at(0),
            plays=100 * (i + 1),
            likes=1,
            comments=1,
            shares=1,
        )
        for i in range(4)
    ]
    creators = [
        LedgerCreator(
            hashtag="trybrandx", author_id=a, nickname=a.title(), first_seen=at(0), last_seen=at(0)
        )
        for a in ("ana", "bo")
    ]
    ledger.upsert("trybrandx", videos, creators, at(6))
    DynamoPlanStore(tables["StateTable"]).put_entries(
        [
            PlanEntry(
                hashtag="trybrandx",
                interval_hours=2.0,
                next_due=at(50),
                reason="warm: 36 new videos/6 h of 200",
                last_poll=at(48),
            )
        ]
    )
    return tables


def run(tables: dict[str, str], *args: str) -> Result:
    target = Target(tables["HashtagsTable"], region="us-east-1")
    env = {
        "SNAPSHOTS_TABLE": tables["SnapshotsTable"],
        "STATE_TABLE": tables["StateTable"],
        "VIDEOS_TABLE": tables["VideosTable"],
        "COLUMNS": "250",
    }
    from hashtag_tracker.storage.hashtags import DynamoHashtagStore

    state = CliState(
        lambda: DynamoHashtagStore(target.hashtags_table, client=target.dynamodb()),
        ManualClock(NOW),
        lambda: view_sources(target),
    )
    return CliRunner().invoke(cli, list(args), obj=state, env=env)


def as_json(tables: dict[str, str], *args: str) -> Any:
    result = run(tables, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_records_of_is_one_tags_records_without_the_claim_token(
    filled: dict[str, str],
) -> None:
    store = DynamoAlertStore(filled["StateTable"])
    records = store.records_of("trybrandx")
    assert [(r["key"], r["status"]) for r in records] == [
        ("trybrandx#viral#2026-11-03T18:00:00Z", "published"),
        ("trybrandx#milestone#1000000", "claimed"),
    ]
    assert all("token" not in r and "pk" not in r for r in records)
    assert [r["key"] for r in store.records_of("trybrandx", since=at(43))] == [
        "trybrandx#milestone#1000000"
    ]
    assert [r["key"] for r in store.records_of("trybrand")] == [
        "trybrand#viral#2026-11-03T06:00:00Z"
    ]


def test_status_from_the_real_tables(filled: dict[str, str]) -> None:
    data = as_json(filled, "status")
    trybrand, trybrandx = data["hashtags"]
    assert trybrand["last_reading"] is None and trybrand["plan"] is None
    assert trybrand["last_alert"]["window"] == "2026-11-03T06:00:00Z"
    assert trybrandx["last_reading"]["views"] == 1_048_000
    assert trybrandx["growth_6h"]["views"] == 6_000
    assert trybrandx["growth_6h"]["views_per_hour"] == 1_000.0
    assert trybrandx["growth_24h"]["videos"] == 24
    assert trybrandx["day_over_day"] == {
        "label": "stable",
        "views_today": 24_000,
        "views_yesterday": 24_000,
    }
    assert trybrandx["last_alert"]["rule"] == "milestone"
    assert trybrandx["plan"]["reason"] == "warm: 36 new videos/6 h of 200"
    table = run(filled, "status")
    assert table.exit_code == 0
    assert "in 2h (every 2h)" in table.output and "no readings yet" in table.output


def test_history_alerts_creators_and_list(filled: dict[str, str]) -> None:
    csv_lines = run(filled, "history", "trybrandx", "--since", "12h", "--csv").output.splitlines()
    assert csv_lines[1:] == [
        "2026-11-03T12:00:00Z,2026-11-03T12:00:00Z,ok,1036000,136,,,,0",
        "2026-11-03T18:00:00Z,2026-11-03T18:00:00Z,ok,1042000,142,6000,6,,0",
        "2026-11-04T00:00:00Z,2026-11-04T00:00:00Z,ok,1048000,148,6000,6,,0",
    ]
    sent = as_json(filled, "alerts", "--tag", "trybrandx", "--since", "1d")["alerts"]
    assert [(a["window"], a["status"], a["title"]) for a in sent] == [
        ("1000000", "claimed", "Milestone on #trybrandx"),
        ("2026-11-03T18:00:00Z", "published", "Viral moment on #trybrandx"),
    ]
    everyone = as_json(filled, "alerts", "--since", "2026-11-03")["alerts"]
    assert [a["hashtag"] for a in everyone] == ["trybrandx", "trybrandx", "trybrand"]
    ledger = as_json(filled, "creators", "trybrandx")
    assert (ledger["videos_seen"], ledger["video_count"], ledger["coverage_pct"]) == (
        4,
        148,
        round(400 / 148, 2),
    )
    assert [(c["author_id"], c["videos"], c["plays"]) for c in ledger["by_videos"]] == [
        ("ana", 3, 600),
        ("bo", 1, 400),
    ]
    listed = run(filled, "list")
    assert "  every 2 h, next poll 2026-11-04 02:00, why: warm" in listed.output
    bad = run(filled, "alerts", "--since", "next week")
    assert bad.exit_code == 2 and "--since" in bad.output


def test_views_without_the_other_tables_say_what_to_set(tables: dict[str, str]) -> None:
    result = CliRunner().invoke(
        cli,
        ["--table", tables["HashtagsTable"], "status"],
        env={"SNAPSHOTS_TABLE": "", "STATE_TABLE": "", "VIDEOS_TABLE": ""},
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: say which tables: --stack/--local, or with --table set "
        "SNAPSHOTS_TABLE, STATE_TABLE, VIDEOS_TABLE"
    )
    # `list` still lists, without the plan
    assert CliRunner().invoke(cli, ["--table", tables["HashtagsTable"], "list"]).exit_code == 0


def test_views_scan_only_the_hashtags_table(filled: dict[str, str]) -> None:
    # Given a client that records every request the views make
    calls: list[tuple[str, str]] = []
    client = boto3.client("dynamodb", region_name="us-east-1")

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, params.get("TableName", "")))

    client.meta.events.register("provide-client-params.dynamodb.*", record)
    target_client = client

    from hashtag_tracker.storage.hashtags import DynamoHashtagStore
    from hashtag_tracker_tools.cli.ports import ViewSources

    sources = ViewSources(
        DynamoSnapshotStore(filled["SnapshotsTable"], target_client),
        DynamoAlertStore(filled["StateTable"], target_client),
        DynamoVideoLedger(filled["VideosTable"], target_client),
        DynamoPlanStore(filled["StateTable"], target_client),
    )
    state = CliState(
        lambda: DynamoHashtagStore(filled["HashtagsTable"], client=target_client),
        ManualClock(NOW),
        lambda: sources,
    )
    # When every view runs
    for args in (["status"], ["alerts"], ["creators", "trybrandx"], ["history", "trybrand"]):
        assert CliRunner().invoke(cli, args, obj=state).exit_code == 0, args
    # Then only the Hashtags table is scanned; the others are read by key
    scans = {table for op, table in calls if op == "Scan"}
    assert scans == {filled["HashtagsTable"]}
    assert {op for op, _ in calls} <= {"Scan", "Query", "GetItem"}
