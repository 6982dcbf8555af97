"""End to end: the demo's scenario, shortened, through the real handlers on the emulated stack."""

from __future__ import annotations

import dataclasses
import io
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import boto3
import pytest

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
    fired_at: list[datetime]  # the cycle in which each alert was published
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
        # When every cycle and the Monday report run through the real handlers
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


def test_every_hashtag_has_exactly_one_snapshot_per_cycle(run: Run) -> None:
    # Then each tracked hashtag has one snapshot per cycle, the invalid item none
    for tracked in run.session.scenario.tracked:
        cycles = [s.cycle for s in _snapshots(run, tracked.name)]
        assert sorted(cycles) == run.cycles, tracked.name
    assert run.session.runner.dlq_depth() == 0


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


def test_each_injected_spike_pages_once_within_one_cycle(run: Run) -> None:
    # Then each spike the simulator injected gives exactly one viral alert, in time
    truth = run.session.simulator.truth()
    viral = Counter(a.hashtag for a in run.alerts if a.rule == "viral")
    for hashtag in ("trybrandx", "viraltag"):
        assert viral[hashtag] == 1, (hashtag, viral)
        spike = truth.spike_times[hashtag]
        fired = next(
            when
            for alert, when in zip(run.alerts, run.fired_at, strict=True)
            if alert.rule == "viral" and alert.hashtag == hashtag
        )
        # The first cycle after the spike starts sees it; one more cycle is the allowance.
        first_cycle_after = min(c for c in run.cycles if c >= spike)
        assert spike <= fired <= first_cycle_after + timedelta(hours=6), (hashtag, spike, fired)
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
