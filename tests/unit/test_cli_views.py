"""The CLI's views (status, history, alerts, creators) and the polling plan in list/show,
against in-memory readers: every figure is checked, and every bad input is one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from hashtag_tracker.clock import ManualClock, to_iso
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry
from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker_tools.cli import cli
from hashtag_tracker_tools.cli.app import CliState
from hashtag_tracker_tools.cli.ports import ViewSources
from hashtag_tracker_tools.cli.simulated_clock import SimulatedClock, read_clock, write_clock
from hashtag_tracker_tools.cli.views import SinceError, compact, parse_since, sparkline
from tests.unit.hashtag_fakes import InMemoryHashtagStore

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def hours(h: float) -> datetime:
    return NOW + timedelta(hours=h)


# -- in-memory readers (the ports of cli/ports.py) ----------------------------------------


class FakeSnapshots:
    def __init__(self, snapshots: list[Snapshot]) -> None:
        self.snapshots = snapshots
        self.queries: list[tuple[str, str, datetime]] = []

    def between(
        self, hashtag: str, since: datetime, until: datetime | None = None
    ) -> list[Snapshot]:
        self.queries.append(("between", hashtag, since))
        found = [
            s
            for s in self.snapshots
            if s.hashtag == hashtag and s.cycle >= since and (until is None or s.cycle <= until)
        ]
        return sorted(found, key=lambda s: s.cycle)

    def latest(self, hashtag: str, before: datetime, limit: int = 12) -> list[Snapshot]:
        self.queries.append(("latest", hashtag, before))
        found = [s for s in self.snapshots if s.hashtag == hashtag and s.cycle < before]
        return sorted(found, key=lambda s: s.cycle, reverse=True)[:limit]


class FakeAlerts:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.queries: list[str] = []

    def records_of(self, hashtag: str, since: datetime | None = None) -> list[dict[str, Any]]:
        self.queries.append(hashtag)
        return [
            r
            for r in self.records
            if r["key"].startswith(f"{hashtag}#") and (since is None or r["at"] >= to_iso(since))
        ]


class FakeLedger:
    def __init__(self, entries: list[LedgerVideo | LedgerCreator]) -> None:
        self.items = entries

    def entries(self, hashtag: str, prefix: str) -> list[LedgerVideo | LedgerCreator]:
        kind = LedgerVideo if prefix == "video#" else LedgerCreator
        return [e for e in self.items if e.hashtag == hashtag and isinstance(e, kind)]


class FakePlans:
    def __init__(self, entries: dict[str, PlanEntry]) -> None:
        self.entries = entries

    def read_all(self) -> dict[str, PlanEntry]:
        return dict(self.entries)


# -- the world: #trybrandx with 3 days of 6-hourly readings, #newtag with none --------------


def views_at(h: int) -> int:
    # +1,000 views and +10 videos per 6 h until 24 h ago, then +3,000 and +40
    if h <= -24:
        return 1_000_000 + (h + 72) // 6 * 1_000
    return 1_008_000 + (h + 24) // 6 * 3_000


def videos_at(h: int) -> int:
    if h <= -24:
        return 500 + (h + 72) // 6 * 10
    return 580 + (h + 24) // 6 * 40


def brand_snapshots() -> list[Snapshot]:
    readings = [
        Snapshot(
            hashtag="trybrandx",
            cycle=hours(h),
            taken_at=hours(h),
            views=views_at(h),
            videos=videos_at(h),
            credits=1,
        )
        for h in range(-72, 1, 6)
    ]
    readings.append(
        Snapshot(
            hashtag="trybrandx",
            cycle=hours(-9),
            taken_at=hours(-9),
            status=SnapshotStatus.MISSING,
            reason="unavailable",
        )
    )
    readings.append(
        Snapshot(
            hashtag="trybrandx",
            cycle=hours(-3),
            taken_at=hours(-3),
            status=SnapshotStatus.SUSPECT,
            views=0,
            videos=0,
            reason="zero_glitch",
        )
    )
    return readings


ALERT_RECORDS = [
    {
        "key": "trybrandx#milestone#1000000",
        "status": "published",
        "outcome": "new",
        "at": to_iso(hours(-72)),
        "claimed_at": to_iso(hours(-72)),
        "published_at": to_iso(hours(-72)),
    },
    {
        "key": "trybrandx#viral#2026-11-22T06:00:00Z",
        "status": "published",
        "outcome": "escalation",
        "at": to_iso(hours(-6)),
        "claimed_at": to_iso(hours(-6)),
        "published_at": to_iso(hours(-6)),
    },
]


def video(video_id: str, author: str, plays: int, seen_h: float) -> LedgerVideo:
    return LedgerVideo(
        hashtag="trybrandx",
        video_id=video_id,
        author_id=author,
        first_seen=hours(seen_h),
        last_seen=NOW,
        plays=plays,
        likes=0,
        comments=0,
        shares=0,
    )


def creator(author: str, nickname: str, seen_h: float) -> LedgerCreator:
    return LedgerCreator(
        hashtag="trybrandx",
        author_id=author,
        nickname=nickname,
        first_seen=hours(seen_h),
        last_seen=NOW,
    )


LEDGER: list[LedgerVideo | LedgerCreator] = [
    video("v1", "ana", 100, -48),
    video("v2", "ana", 200, -24),
    video("v3", "ana", 50, -6),
    video("v4", "bo", 5_000, -30),
    creator("ana", "Ana", -48),
    creator("bo", "[bold]Bo\nfake row", -30),
]

PLAN = PlanEntry(
    hashtag="trybrandx",
    interval_hours=1.0,
    next_due=hours(1),
    reason="hot: 160 new videos/6 h of 200",
    last_poll=NOW,
)


class World:
    def __init__(self) -> None:
        self.store = InMemoryHashtagStore()
        for name in ("trybrandx", "newtag"):
            self.store.create(TrackedHashtag.parse({"hashtag": name, "created_at": hours(-100)}))
        self.snapshots = FakeSnapshots(brand_snapshots())
        self.alerts = FakeAlerts(list(ALERT_RECORDS))
        self.ledger = FakeLedger(list(LEDGER))
        self.plans = FakePlans({"trybrandx": PLAN})

    def run(self, *args: str) -> Result:
        sources = ViewSources(self.snapshots, self.alerts, self.ledger, self.plans)
        state = CliState(lambda: self.store, ManualClock(NOW), lambda: sources)
        return CliRunner().invoke(cli, list(args), obj=state, env={"COLUMNS": "250"})

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)


@pytest.fixture
def world() -> World:
    return World()


def row_of(output: str, start: str) -> str:
    (line,) = [line for line in output.splitlines() if line.startswith(start)]
    return line


def first_row(output: str, start: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(start))


# -- status -------------------------------------------------------------------------------


def test_status_table_shows_every_figure_of_a_tag_and_a_tag_with_no_readings(
    world: World,
) -> None:
    # When
    result = world.run("status")
    # Then
    assert result.exit_code == 0, result.output
    brand = row_of(result.output, "#trybrandx")
    cells = [c for c in brand.split("  ") if c.strip()]
    assert [c.strip() for c in cells] == [
        "#trybrandx",
        "2026-11-22 12:00",  # last reading
        "0m",  # its age
        "1M",  # views (1,020,000)
        "740",  # videos
        "+3k (500/h)",  # 6 h: +3,000 views
        "+40 (6.7/h)",
        "+12k (500/h)",  # 24 h: +12,000 views
        "+160 (6.7/h)",
        "rising",  # 12,000 new views against 4,000 the day before
        "viral 2026-11-22 06:00",
        "in 1h (every 1h)",
        "1/1",  # one missing, one suspect reading today
    ]
    newtag = row_of(result.output, "#newtag")
    assert "no readings yet" in newtag
    assert newtag.split()[-2:] == ["-", "0/0"]
    assert "2 hashtag(s) at 2026-11-22T12:00:00Z" in result.output


def test_status_json_has_exact_figures(world: World) -> None:
    data = world.json("status")
    assert data["now"] == "2026-11-22T12:00:00Z"
    newtag, brand = data["hashtags"]  # by name
    assert brand["hashtag"] == "trybrandx" and newtag["hashtag"] == "newtag"
    assert brand["last_reading"] == {
        "cycle": "2026-11-22T12:00:00Z",
        "taken_at": "2026-11-22T12:00:00Z",
        "views": 1_020_000,
        "videos": 740,
        "age_hours": 0.0,
    }
    assert brand["growth_6h"] == {
        "hours": 6.0,
        "views": 3_000,
        "views_per_hour": 500.0,
        "views_pct": round(100 * 3_000 / 1_017_000, 2),
        "videos": 40,
        "videos_per_hour": 6.67,
        "videos_pct": round(100 * 40 / 700, 2),
    }
    assert brand["growth_24h"]["views"] == 12_000 and brand["growth_24h"]["videos"] == 160
    assert brand["day_over_day"] == {
        "label": "rising",
        "views_today": 12_000,
        "views_yesterday": 4_000,
    }
    assert brand["last_alert"]["rule"] == "viral"
    assert brand["last_alert"]["title"] == "Escalated: Viral moment on #trybrandx"
    assert brand["plan"] == {
        "interval_hours": 1.0,
        "next_due": "2026-11-22T13:00:00Z",
        "reason": "hot: 160 new videos/6 h of 200",
    }
    assert (brand["missing_today"], brand["suspect_today"]) == (1, 1)
    assert newtag["last_reading"] is None
    assert newtag["growth_6h"] is None and newtag["day_over_day"] is None
    assert newtag["plan"] is None and newtag["last_alert"] is None


def test_status_reads_one_window_per_tag_and_the_plan_once(world: World) -> None:
    world.json("status")
    since = NOW - timedelta(days=3)
    assert world.snapshots.queries == [
        ("between", "newtag", since),
        # no usable reading in the window: the newest before it, one more key query
        ("latest", "newtag", since),
        ("between", "trybrandx", since),
    ]
    assert world.alerts.queries == ["newtag", "trybrandx"]


def test_status_of_an_empty_table(world: World) -> None:
    world.store.items.clear()
    result = world.run("status")
    assert result.exit_code == 0
    assert "no hashtags tracked" in result.output
    assert world.json("status")["hashtags"] == []


def test_status_names_an_invalid_item_and_exits_3(world: World) -> None:
    world.store.items["Bad Tag"] = {"hashtag": "Bad Tag"}
    result = world.run("status")
    assert result.exit_code == 3
    assert "skipped" in result.stderr and "#trybrandx" in result.stdout


def test_a_falling_day_and_growth_without_a_base_are_shown_as_such(world: World) -> None:
    # Given only the last day's readings with less growth than the day before
    world.snapshots.snapshots = [
        Snapshot(hashtag="trybrandx", cycle=hours(h), taken_at=hours(h), views=v, videos=10)
        for h, v in ((-48, 1_000), (-24, 2_000), (0, 2_500))
    ]
    brand = world.json("status")["hashtags"][1]
    assert brand["day_over_day"]["label"] == "falling"
    # a 6 h window has no reading at its start (the nearest is 24 h back)
    assert brand["growth_6h"] is None
    assert brand["growth_24h"]["views"] == 500


# -- history ------------------------------------------------------------------------------


def test_history_table_with_sparklines(world: World) -> None:
    result = world.run("history", "#TryBrandX", "--since", "24h")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "#trybrandx: 7 reading(s) since 2026-11-21T12:00:00Z (1 missing, 1 suspect)"
    )
    # five usable readings rising evenly, a gap for the missing and the suspect one
    assert lines[1] == "views   ▁▃▅ ▆ █  1,008,000 → 1,020,000"
    assert lines[2] == "videos  ▁▃▅ ▆ █  580 → 740"
    assert row_of(result.output, "2026-11-22 06:00").split() == [
        "2026-11-22", "06:00", "ok", "1,017,000", "700", "+3,000", "+40", "1",
    ]  # fmt: skip
    assert row_of(result.output, "2026-11-22 03:00").split() == [
        "2026-11-22", "03:00", "missing", "-", "-", "-", "-", "0", "unavailable",
    ]  # fmt: skip
    # the reading after a gap compares with the last usable one
    assert row_of(result.output, "2026-11-22 12:00").split()[5:7] == ["+3,000", "+40"]


def test_history_json_and_csv(world: World) -> None:
    data = world.json("history", "trybrandx", "--since", "2026-11-22T06:00:00Z")
    assert data["since"] == "2026-11-22T06:00:00Z"
    assert [(r["cycle"], r["status"], r["views"], r["views_delta"]) for r in data["readings"]] == [
        ("2026-11-22T06:00:00Z", "ok", 1_017_000, None),
        ("2026-11-22T09:00:00Z", "suspect", None, None),
        ("2026-11-22T12:00:00Z", "ok", 1_020_000, 3_000),
    ]
    result = world.run("history", "trybrandx", "--since", "6h", "--csv")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "cycle,taken_at,status,views,videos,views_delta,videos_delta,reason,credits",
        "2026-11-22T06:00:00Z,2026-11-22T06:00:00Z,ok,1017000,700,,,,1",
        "2026-11-22T09:00:00Z,2026-11-22T09:00:00Z,suspect,,,,,zero_glitch,0",
        "2026-11-22T12:00:00Z,2026-11-22T12:00:00Z,ok,1020000,740,3000,40,,1",
    ]


def test_history_of_a_tag_with_no_readings_yet(world: World) -> None:
    result = world.run("history", "newtag")
    assert result.exit_code == 0
    assert result.output.strip() == "#newtag: no readings since 2026-11-15T12:00:00Z"
    assert world.json("history", "newtag")["readings"] == []


# -- alerts -------------------------------------------------------------------------------


def test_alerts_table_newest_first_as_sent(world: World) -> None:
    result = world.run("alerts", "--since", "4d")
    assert result.exit_code == 0, result.output
    viral = row_of(result.output, "2026-11-22 06:00")
    assert "Escalated: Viral moment on #trybrandx" in viral and "published" in viral
    milestone = row_of(result.output, "2026-11-19 12:00")
    assert "Milestone on #trybrandx" in milestone and "1000000" in milestone
    assert result.output.index("2026-11-22 06:00") < result.output.index("2026-11-19 12:00")
    assert "2 alert(s) since 2026-11-18T12:00:00Z" in result.output


def test_alerts_show_the_title_and_summary_the_record_kept(world: World) -> None:
    # Given a record of this release, which keeps what subscribers got
    world.alerts.records.append(
        {
            "key": "trybrandx#viral_day#2026-11-22",
            "at": "2026-11-22T07:00:00Z",
            "status": "published",
            "outcome": "new",
            "title": "Viral day on #trybrandx",
            "summary": "#trybrandx gained 1,250,000 views in 24 h.",
        }
    )
    # Then the table shows its title and its sentence, and the JSON both
    result = world.run("alerts", "--since", "1d")
    assert "Viral day on #trybrandx" in row_of(result.output, "2026-11-22 07:00")
    assert "  2026-11-22 07:00 #trybrandx gained 1,250,000 views in 24 h." in result.output
    [sent] = [
        a for a in world.json("alerts", "--since", "1d")["alerts"] if a["rule"] == "viral_day"
    ]
    assert sent["summary"] == "#trybrandx gained 1,250,000 views in 24 h."


def test_alerts_since_and_tag_filters_in_json(world: World) -> None:
    data = world.json("alerts", "--tag", "#TryBrandX", "--since", "1d")
    assert [(a["rule"], a["window"], a["at"]) for a in data["alerts"]] == [
        ("viral", "2026-11-22T06:00:00Z", "2026-11-22T06:00:00Z")
    ]
    assert world.alerts.queries == ["trybrandx"]
    assert world.json("alerts", "--tag", "newtag")["alerts"] == []
    result = world.run("alerts", "--tag", "newtag")
    assert result.exit_code == 0
    assert result.output.strip() == "no alerts since 2026-11-15T12:00:00Z"


# -- creators -----------------------------------------------------------------------------


def test_creators_by_videos_and_by_plays_with_coverage(world: World) -> None:
    result = world.run("creators", "trybrandx")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "#trybrandx: 4 video(s) in the ledger of 740 on TikTok (0.5 %), 2 creator(s)"
    )
    by_videos = result.output.split("Top creators by videos")[1].split("Top creators by plays")
    first_by_videos = first_row(by_videos[0], "@")
    assert first_by_videos.split()[:4] == ["@ana", "Ana", "3", "350"]
    first_by_plays = first_row(by_videos[1], "@")
    # a nickname is shown as text: no markup, no line break forging a row
    assert first_by_plays.startswith("@bo")
    assert "'[bold]Bo\\nfake row'" in first_by_plays and "5,000" in first_by_plays


def test_creators_json(world: World) -> None:
    data = world.json("creators", "trybrandx", "--top", "1")
    assert data["videos_seen"] == 4 and data["creators_seen"] == 2
    assert data["video_count"] == 740 and data["coverage_pct"] == round(400 / 740, 2)
    assert data["by_videos"] == [
        {
            "author_id": "ana",
            "nickname": "Ana",
            "videos": 3,
            "plays": 350,
            "first_seen": "2026-11-20T12:00:00Z",
        }
    ]
    assert [c["author_id"] for c in data["by_plays"]] == ["bo"]


def test_creators_of_a_tag_with_no_readings_or_ledger_yet(world: World) -> None:
    result = world.run("creators", "newtag")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "#newtag: 0 video(s) in the ledger (no video count read yet), 0 creator(s)",
        "no creators in the ledger yet",
    ]
    data = world.json("creators", "newtag")
    assert (data["video_count"], data["coverage_pct"], data["by_plays"]) == (None, None, [])


# -- bad input: one line, non-zero ----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["history", "trybrandx", "--since", "yesterday"],
        ["history", "trybrandx", "--since", "-6h"],
        ["history", "trybrandx", "--since", "2027-01-01"],
        ["alerts", "--since", "6x"],
        ["alerts", "--since", "99999999w"],
    ],
)
def test_a_bad_since_is_one_line_and_exit_2(world: World, args: list[str]) -> None:
    result = world.run(*args)
    assert result.exit_code == 2
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert "--since" in error
    assert world.snapshots.queries == [] and world.alerts.queries == []


@pytest.mark.parametrize(
    "args",
    [
        ["history", "nosuch"],
        ["creators", "#NoSuch"],
        ["alerts", "--tag", "nosuch"],
    ],
)
def test_an_unknown_tag_is_one_line_and_exit_1(world: World, args: list[str]) -> None:
    result = world.run(*args)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: hashtag 'nosuch' is not tracked"


def test_an_invalid_hashtag_name_is_one_line(world: World) -> None:
    result = world.run("history", "two words")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1


def test_history_refuses_csv_and_json_together(world: World) -> None:
    result = world.run("history", "trybrandx", "--csv", "--json")
    assert result.exit_code == 2 and "one of --csv and --json" in result.output


# -- issue 15: the polling plan in list and show ---------------------------------------------


def test_list_and_show_print_interval_next_poll_and_why(world: World) -> None:
    listed = world.run("list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    brand = lines.index(next(line for line in lines if line.startswith("#trybrandx")))
    assert lines[brand + 1] == (
        "  every 1 h, next poll 2026-11-22 13:00, why: hot: 160 new videos/6 h of 200"
    )
    newtag = lines.index(next(line for line in lines if line.startswith("#newtag")))
    assert lines[newtag + 1] == "  -"
    shown = world.run("show", "trybrandx")
    assert "polling" in shown.output and "every 1 h, next poll 2026-11-22 13:00" in shown.output
    data = json.loads(world.run("show", "newtag", "--json").output)
    assert data["plan"] is None
    rows = [json.loads(line) for line in world.run("list", "--json").output.splitlines()]
    plans = {r["hashtag"]: r["plan"] for r in rows}
    assert plans["trybrandx"]["next_due"] == "2026-11-22T13:00:00Z"
    assert plans["trybrandx"]["last_poll"] == "2026-11-22T12:00:00Z"
    assert plans["newtag"] is None


def test_list_without_the_state_table_leaves_the_plan_out(world: World) -> None:
    state = CliState(lambda: world.store, ManualClock(NOW))  # no readers: --table alone
    result = CliRunner().invoke(cli, ["list"], obj=state)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert sorted(line.split()[0] for line in lines[:2]) == ["#newtag", "#trybrandx"]
    assert len(lines) == 3 and lines[2] == "2 hashtag(s)"


# -- the pieces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("6h", NOW - timedelta(hours=6)),
        ("7D", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T06:00:00Z", datetime(2026, 11, 20, 6, tzinfo=UTC)),
        ("2026-11-20T08:00:00+02:00", datetime(2026, 11, 20, 6, tzinfo=UTC)),
        ("2026-11-20T06:00", datetime(2026, 11, 20, 6, tzinfo=UTC)),  # no zone: UTC
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "h", "1.5h", "soon", "2026-13-01", "2026-11-23"])
def test_parse_since_refuses(text: str) -> None:
    with pytest.raises(SinceError):
        parse_since(text, NOW)


def test_sparkline_scales_gaps_and_buckets() -> None:
    assert sparkline([0, 7, 14]) == "▁▅█"
    assert sparkline([5, None, 5]) == "▄ ▄"
    assert sparkline([None, None]) == "  "
    assert sparkline([]) == ""
    # 120 values into 60 columns: the last of each pair
    assert sparkline(list(range(120)), width=60) == sparkline(list(range(1, 120, 2)), width=60)
    assert len(sparkline(list(range(1000)))) == 60


def test_compact_numbers_never_turn_unknown_into_zero() -> None:
    assert [compact(v) for v in (None, 0, 999, 1_000, 1_250, 6.67, 2_500_000, -3_000)] == [
        "-", "0", "999", "1k", "1.2k", "6.7", "2.5M", "-3k",
    ]  # fmt: skip


def test_the_simulated_clock_runs_speed_times_faster_from_its_anchor(tmp_path: Path) -> None:
    wall = [1_000.0]
    clock = SimulatedClock(NOW, 1_000.0, 60.0, wall_time=lambda: wall[0])
    wall[0] = 1_030.0  # 30 real seconds: 30 simulated minutes
    assert clock.now() == NOW + timedelta(minutes=30)
    write_clock(tmp_path, clock)
    read = read_clock(tmp_path)
    assert read is not None and (read.simulated, read.wall, read.speed) == (NOW, 1_000.0, 60.0)
    (tmp_path / "clock.json").write_text("{not json")
    assert read_clock(tmp_path) is None
    assert read_clock(tmp_path / "nowhere") is None


def test_local_uses_the_stacks_dummy_credentials_and_simulated_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a local stack's state and clock files, and no AWS credentials at all
    from hashtag_tracker_tools.cli.target import resolve_target

    state_dir = tmp_path / ".tracker-local"
    state_dir.mkdir()
    (state_dir / "stack.json").write_text(
        json.dumps(
            {
                "endpoint_url": "http://127.0.0.1:1",
                "region": "us-east-1",
                "outputs": {"HashtagsTableName": "h", "StateTableName": "s"},
            }
        )
    )
    write_clock(state_dir, SimulatedClock(NOW, 0.0, 1e-12))
    monkeypatch.chdir(tmp_path)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    # When the CLI resolves --local
    target = resolve_target(table=None, stack=None, local=True, region=None, endpoint_url=None)
    client = target.dynamodb()
    # Then its client signs with the stack's dummy credentials, never looking for real ones
    credentials = client._request_signer._credentials  # type: ignore[attr-defined]
    assert (credentials.access_key, credentials.secret_key) == ("local", "local")
    # And `credits --json` (a command reading `now`) runs in the stack's simulated month
    captured: dict[str, Any] = {}

    def fake_read(ctx_obj: CliState) -> None:
        captured["now"] = ctx_obj.clock.now()

    import click

    @click.command()
    @click.pass_obj
    def probe(obj: CliState) -> None:
        fake_read(obj)

    cli.add_command(probe, "probe-clock")
    try:
        assert CliRunner().invoke(cli, ["--local", "probe-clock"]).exit_code == 0
    finally:
        cli.commands.pop("probe-clock")
    # 1e-12 simulated seconds per real second: still the anchor, to the second
    assert abs((captured["now"] - NOW).total_seconds()) < 1
