"""The weekly report over the simulator's weeks: the spike and the dead campaign are flagged,
steady tags are not, and the ranking follows the world's true week-over-week growth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from hashtag_tracker.report.model import AnomalyKind, Report
from hashtag_tracker.report.run import make_report
from hashtag_tracker_tools.simulator.world import (
    BRAND,
    COMPETITORS,
    DEFAULT_PROFILES,
    Profile,
    ProfileKind,
    World,
)
from tests.unit.report.fakes import (
    FakeSources,
    MemorySink,
    tracked,
    world_ledger,
    world_snapshots,
)

pytestmark = pytest.mark.contract

EPOCH = datetime(2026, 10, 26, tzinfo=UTC)  # a Monday; reports on Mondays 09:00
WEEKS = 6
DYING = "lastcall"
DIES_AT_HOURS = 2.5 * 168
STEADY = ("steadytag", "rivalfizz", "deadtag", "growingtag")


@dataclass(frozen=True)
class DiesAt(Profile):
    """A campaign that is alive, then gets no new videos at all after a given hour."""

    dies_at_hours: float = 0.0

    def new_videos(self, hours: float) -> float:
        return super().new_videos(min(hours, self.dies_at_hours))


def as_of(week: int) -> datetime:
    return EPOCH + timedelta(weeks=week, hours=9)


@pytest.fixture(scope="module")
def world() -> World:
    profiles = dict(DEFAULT_PROFILES)
    profiles[DYING] = DiesAt(
        ProfileKind.STEADY, rate=10.0, tail_views_per_hour=50.0, dies_at_hours=DIES_AT_HOURS
    )
    return World(epoch=EPOCH, profiles=profiles)


@pytest.fixture(scope="module")
def reports(world: World) -> dict[int, Report]:
    sources = FakeSources()
    end = as_of(WEEKS)
    for name in world.profiles:
        if name in (BRAND, DYING):
            item = tracked(name, "campaign", "BrandX" if name == BRAND else "LastCall")
        elif name in COMPETITORS:
            item = tracked(name, "competitor", "BrandX")
        else:
            item = tracked(name, "trend")
        # 6-hourly snapshots from the world's start, as the collector would store them
        sources.add(item, world_snapshots(world, name, EPOCH, end))
        sources.videos[name], sources.creators[name] = world_ledger(world, name, EPOCH, end)
    return {
        week: make_report(as_of(week), sources, MemorySink(), None).report
        for week in range(1, WEEKS + 1)
    }


def test_viraltags_spike_week_is_flagged_by_every_report_from_the_third_week(
    world: World, reports: dict[int, Report]
) -> None:
    spike = world.spike_time("viraltag")
    assert spike is not None
    for week in range(3, WEEKS + 1):
        row = next(r for r in reports[week].hashtags if r.hashtag == "viraltag")
        # Then the week containing the spike stands out as a spike, and no other week does
        flagged = [(w.start < spike <= w.end, w.anomaly.kind) for w in row.flagged_weeks]
        assert flagged == [(True, AnomalyKind.SPIKE)], f"report of week {week}: {flagged}"


def test_the_dead_campaign_is_flagged_dead_once_a_whole_week_is_dead(
    reports: dict[int, Report],
) -> None:
    first_dead_week = 4  # it dies half way through week 3
    for week in range(2, WEEKS + 1):
        row = next(r for r in reports[week].hashtags if r.hashtag == DYING)
        if week < first_dead_week:
            assert not row.anomaly.flagged, f"week {week}: {row.anomaly}"
        else:
            assert row.anomaly.kind is AnomalyKind.DEAD, f"week {week}: {row.anomaly}"
            assert row in reports[week].anomalies
            assert row.videos_wow == 0


def test_steady_and_smoothly_growing_tags_are_never_flagged(reports: dict[int, Report]) -> None:
    for week, report in reports.items():
        for row in report.hashtags:
            if row.hashtag in STEADY:
                assert not row.anomaly.flagged, f"{row.hashtag} in week {week}: {row.anomaly}"


def test_the_ranking_follows_the_worlds_true_week_over_week_growth(
    world: World, reports: dict[int, Report]
) -> None:
    for week in range(1, WEEKS + 1):
        end = as_of(week)

        def true_growth(name: str, end: datetime = end) -> float:
            before, _ = world.stats(name, end - timedelta(weeks=1))
            after, _ = world.stats(name, end)
            return (after - before) / before

        truth = sorted(world.profiles, key=true_growth, reverse=True)
        ranked = [r.hashtag for r in reports[week].hashtags]
        assert ranked == truth, f"week {week}"
        assert [r.rank for r in reports[week].hashtags] == list(range(1, len(truth) + 1))


def test_share_of_voice_of_the_brand_matches_the_worlds_growth(
    world: World, reports: dict[int, Report]
) -> None:
    end = as_of(WEEKS)
    [group] = [g for g in reports[WEEKS].groups if g.campaign == "BrandX"]
    growth = {
        name: world.stats(name, end - timedelta(hours=3))[0]
        - world.stats(name, end - timedelta(weeks=1, hours=3))[0]
        for name in (BRAND, *COMPETITORS)
    }
    expected = growth[BRAND] / sum(growth.values())
    assert group.campaign_share == pytest.approx(expected, abs=1e-4)
