"""End to end: the demo's scenario, shortened, through the real handlers on the emulated stack."""

from __future__ import annotations

import dataclasses
import io
import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import boto3
import pytest

from hashtag_tracker.collection.planner import DEFAULT_BOUNDS
from hashtag_tracker.models.hashtag import HashtagKind
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker_tools.local.runner import Published
from hashtag_tracker_tools.local.scenario import FailureWindow, default_scenario
from hashtag_tracker_tools.local.session import LocalSession, SessionOptions

pytestmark = pytest.mark.e2e

DAYS = 7.5  # reaches the first Monday report


@dataclasses.dataclass
class Run:
    session: LocalSession
    alerts: list[Published]
    fired_at: list[datetime]  # the tick in which each alert was published
    cycles: list[datetime]
    report: object
    logs: str


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    # Given the demo scenario, with the outage moved to day 1 so a short run sees it
    scenario = dataclasses.replace(
        default_scenario(),
        failures=(FailureWindow("growingtag", start_day=1.0, hours=24.0),),
    )
    logs = io.StringIO()
    with LocalSession(scenario, SessionOptions(time_scale=3000, log_stream=logs)) as session:
        session.seed()
        alerts: list[Published] = []
        fired_at: list[datetime] = []
        cycles = list(session.cycle_times(DAYS))
        report: object = None
        # When every hourly tick and the Monday report run through the real handlers
        for when in cycles:
            published = session.run_cycle(when)
            if session.is_report_time(when) and when >= scenario.start + timedelta(days=7):
                report, reported = session.run_report(when)
                published += reported
            alerts += published
            fired_at += [when] * len(published)
        yield Run(session, alerts, fired_at, cycles, report, logs.getvalue())


def _snapshots(run: Run, hashtag: str) -> list:  # type: ignore[type-arg]
    store = DynamoSnapshotStore(run.session.info.outputs["SnapshotsTableName"])
    return store.between(hashtag, run.cycles[0], run.cycles[-1])


def test_every_hashtag_is_read_at_least_once_per_its_longest_interval(run: Run) -> None:
    # Then each tracked hashtag has at most one snapshot per tick, and no gap between two
    # readings is longer than its kind's longest interval (README, "Polling") or shorter
    # than its shortest; the invalid item has none
    for tracked in run.session.scenario.tracked:
        cycles = [s.cycle for s in _snapshots(run, tracked.name)]
        assert len(cycles) == len(set(cycles)) and set(cycles) <= set(run.cycles)
        low, high = DEFAULT_BOUNDS[HashtagKind(tracked.kind)]
        gaps = [(b - a) / timedelta(hours=1) for a, b in itertools.pairwise(cycles)]
        assert cycles[0] == run.cycles[0], tracked.name
        assert low <= min(gaps) and max(gaps) <= high, (tracked.name, sorted(set(gaps)))
    assert run.session.runner.dlq_depth() == 0


def test_the_heating_tag_is_polled_hourly_before_its_alert(run: Run) -> None:
    # Given the launch that heats up gradually, and when its true counters met the rule
    met = run.session.simulator.truth().viral_times["slowburn"]
    cycles = [s.cycle for s in _snapshots(run, "slowburn")]
    # Then it was read every hour from the tick before that moment on, and paged once,
    # at the first or second tick after it
    before = max(c for c in cycles if c < met)
    fired = [
        w
        for a, w in zip(run.alerts, run.fired_at, strict=True)
        if a.rule == "viral" and a.hashtag == "slowburn"
    ]
    ticks_after = [c for c in run.cycles if c >= met]
    assert len(fired) == 1 and fired[0] in ticks_after[:2], (met, fired)
    hot = [c for c in cycles if before <= c <= fired[0]]
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(hot)), hot


def test_the_outage_is_recorded_as_missing_never_as_zeros(run: Run) -> None:
    # Then the day of 500s shows as missing snapshots without counters, the rest as ok
    start = run.session.scenario.start
    for snapshot in _snapshots(run, "growingtag"):
        in_outage = start + timedelta(days=1) <= snapshot.cycle < start + timedelta(days=2)
        if in_outage:
            assert snapshot.status.value == "missing"
            assert snapshot.views is None and snapshot.videos is None
        else:
            assert snapshot.status.value == "ok" and snapshot.views
    assert not any(a.hashtag == "growingtag" and a.rule == "viral" for a in run.alerts)


def test_each_injected_spike_pages_once_within_its_longest_interval(run: Run) -> None:
    # Then each step spike the simulator injected gives exactly one viral alert, no later
    # than one longest interval of its kind after its true counters met the rule (a calm
    # tag had backed off that far when the step came)
    truth = run.session.simulator.truth()
    viral = Counter(a.hashtag for a in run.alerts if a.rule == "viral")
    for hashtag, kind in (("trybrandx", HashtagKind.CAMPAIGN), ("viraltag", HashtagKind.TREND)):
        assert viral[hashtag] == 1, (hashtag, viral)
        met = truth.viral_times[hashtag]
        fired = next(
            when
            for alert, when in zip(run.alerts, run.fired_at, strict=True)
            if alert.rule == "viral" and alert.hashtag == hashtag
        )
        longest = timedelta(hours=DEFAULT_BOUNDS[kind][1])
        assert met <= fired <= met + longest, (hashtag, met, fired)
    assert viral["steadytag"] == 0 and viral["rivalfizz"] == 0


def test_alerts_reach_slack_and_the_data_api_was_never_overrun(run: Run) -> None:
    truth = run.session.simulator.truth()
    assert truth.rate_limit_violations == 0
    assert truth.answers.get(429, 0) == 0
    assert run.session.slack is not None
    alert_count = sum(1 for a in run.alerts if a.rule != "weekly_report")
    assert len(run.session.slack.payloads) >= alert_count > 0


def test_the_weekly_report_is_written_to_the_bucket(run: Run) -> None:
    s3 = boto3.client("s3")
    bucket = run.session.info.outputs["ReportsBucketName"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert any(k.endswith(".html") for k in keys), keys
    assert any(k.endswith(".csv") for k in keys), keys
    assert any(k.endswith(".json") for k in keys), keys


def test_the_invalid_item_is_reported_and_skipped(run: Run) -> None:
    assert "skipped invalid hashtag item" in run.logs
    assert "Summer Sale!" in run.logs


def test_the_api_key_never_reaches_logs_alerts_or_slack(run: Run) -> None:
    key = run.session.simulator.api_key
    assert key not in run.logs
    assert all(key not in a.message for a in run.alerts)
    assert run.session.slack is not None
    assert all(key not in str(p) for p in run.session.slack.payloads)
