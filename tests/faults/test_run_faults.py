"""Faults of a run's own inputs over time (issue 17): a redelivered or repeated report run, and
hashtags paused or removed while their fetch messages wait in the queue."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from hashtag_tracker.models.codec import replace
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker_tools.local.runner import scheduled_event
from tests.faults.harness import START, TAGS, Expect, MakeHarness, assert_invariants, cycles
from tests.faults.inject import ALWAYS, Params

pytestmark = pytest.mark.faults


def _stored_report(h: Any, key: str) -> dict[str, Any]:
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=h.info.outputs["ReportsBucketName"], Key=key)["Body"].read()
    document: dict[str, Any] = json.loads(body)
    return document


def test_a_redelivered_weekly_report_and_an_on_demand_run_keep_one_report_per_window(
    harness_factory: MakeHarness,
) -> None:
    """Weekly report delivered twice, then run on demand the same day.
    Injected: the Monday 09:00 schedule event is delivered a second time (09:02), and an
    on-demand run with no `as_of` (the week ending now) follows at 15:00.
    Asserted: one summary per window (two, not three); the Monday summary's link and stored
    location open the Monday window's report (as_of 09:00, under reports/<day>/), which the
    on-demand run did not overwrite; the on-demand report is stored apart with its own as_of.
    """
    h = harness_factory(TAGS)
    h.run(cycles(2))
    monday = START + timedelta(hours=9)
    bucket = h.info.outputs["ReportsBucketName"]

    # When the Monday event is delivered twice and an on-demand run follows that afternoon
    h.clock.set(monday)
    first = h.runner.invoke("report", scheduled_event(monday, "WeeklyReport"))
    h.clock.set(monday + timedelta(minutes=2))
    again = h.runner.invoke("report", scheduled_event(monday, "WeeklyReport"))
    h.clock.set(monday + timedelta(hours=6))
    on_demand = h.runner.invoke("report", {})
    summaries = [m for m in h.deliver_alerts() if m.rule == "weekly_report"]

    # Then one summary per window: the Monday one, once, and the on-demand one
    assert (first["published"], again["published"], on_demand["published"]) == (
        True,
        False,
        True,
    )
    assert len(summaries) == 2
    day_key = "reports/2026-10-05/report.html"
    assert first["files"]["report.html"] == again["files"]["report.html"] == day_key
    assert f"s3://{bucket}/{day_key}" in summaries[0].message
    # And the Monday folder still holds the Monday window
    monday_json = _stored_report(h, "reports/2026-10-05/report.json")
    assert monday_json["as_of"].startswith("2026-10-05T09:00:00")
    # And the on-demand report lives apart, with its own window, linked by its own summary
    apart = on_demand["files"]["report.json"]
    assert apart != "reports/2026-10-05/report.json"
    assert _stored_report(h, apart)["as_of"].startswith("2026-10-05T15:00:00")
    assert f"s3://{bucket}/{on_demand['files']['report.html']}" in summaries[1].message


def test_hashtags_paused_or_removed_while_queued_are_not_collected(
    harness_factory: MakeHarness,
) -> None:
    """Hashtags paused or removed while their messages are queued.
    Injected: after the 06:00 fan-out, before any worker runs, one tag is paused and another
    removed (the messages in the queue still hold the items as they were).
    Asserted: neither is called for or stored for that cycle (no credit charged for them),
    their records are acknowledged (DLQ empty); the third tag is collected as usual; the worker
    re-reads the items in one BatchGetItem per SQS batch, no more.
    """
    h = harness_factory(TAGS)
    whens = cycles(2)
    h.run(whens[:1])
    charged = dict(h.simulator.truth().credits_by_hashtag)
    reads: list[Params] = []
    h.boto.after("BatchGetItem", reads.append, times=ALWAYS)

    # When the 06:00 messages are queued, and then one tag is paused and one removed
    h.tick(whens[1])
    store = DynamoHashtagStore(h.info.outputs["HashtagsTableName"])
    store.replace(replace(store.get("calmone"), active=False))
    store.delete("calmtwo")
    stats = h.runner.drain_fetch_queue(max_wait_seconds=90)
    h.deliver_alerts()

    # Then nothing was paid for either, and nothing stored for them at 06:00
    after = h.simulator.truth().credits_by_hashtag
    assert after.get("calmone") == charged.get("calmone")
    assert after.get("calmtwo") == charged.get("calmtwo")
    assert after["spiky"] > charged["spiky"]
    absent = {("calmone", whens[1]), ("calmtwo", whens[1])}
    assert_invariants(h, Expect(whens, absent=absent))
    assert stats.failed_records == 0
    # And the items were read in one request per batch
    hashtag_reads = [p for p in reads if h.info.outputs["HashtagsTableName"] in json.dumps(p)]
    assert len(hashtag_reads) == stats.batches >= 1
