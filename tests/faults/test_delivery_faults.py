"""Faults of delivery and time: Slack, killed workers, duplicates, double fires, clock jumps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hashtag_tracker.clock import to_iso
from hashtag_tracker_tools.simulator import ALWAYS, Profile, ProfileKind
from tests.faults.harness import (
    CALM,
    TAGS,
    Expect,
    MakeHarness,
    assert_invariants,
    cycles,
    viral,
)
from tests.faults.inject import Params, key_pk

pytestmark = pytest.mark.faults

# 12 new videos an hour: 72 in 6 h, never the 200 a viral alert needs.
BRISK = Profile(ProfileKind.STEADY, base_videos=2_000, base_views=6_000_000, rate=12.0)


class LambdaKilled(BaseException):
    """The invocation hit its timeout: Lambda stops it wherever it is."""


def test_slack_webhook_500s(harness_factory: MakeHarness) -> None:
    """Slack webhook 500s.
    Injected: Slack answers 500 to the next 3 posts.
    Asserted: the poster retries; each alert reaches Slack exactly once; nothing in the
    Slack DLQ.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.slack.fail_next = 3
    h.run(whens)
    assert h.slack.answers[500] == 3
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_slack_webhook_down_then_redriven(harness_factory: MakeHarness) -> None:
    """Slack webhook down.
    Injected: Slack answers 500 to every post for the alerting cycle (past the poster's and
    Lambda's retries).
    Asserted: the alert's event lands in the Slack DLQ (not lost); once Slack is back a
    redrive posts it exactly once.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:2])
    h.slack.fail_next = 1_000
    h.cycle(whens[2])
    assert len(h.delivery.slack_dlq) == 1
    assert h.slack.payloads == []

    h.slack.fail_next = 0
    h.redrive_slack_dlq()
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_slack_webhook_timeouts(harness_factory: MakeHarness) -> None:
    """Slack webhook timeouts.
    Injected: Slack does not answer the next 2 posts within the poster's timeout (and does
    not take them).
    Asserted: the poster retries; the alert reaches Slack exactly once.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.slack.hang_next = 2
    h.run(whens)
    assert h.slack.answers[504] == 2
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_worker_timing_out_mid_batch(harness_factory: MakeHarness) -> None:
    """Worker timing out mid-batch.
    Injected: the worker invocation is killed (Lambda timeout) right after it wrote the
    alerting tag's snapshot, before its alerts and before answering SQS.
    Asserted: after the visibility timeout the whole batch comes back: records already done
    are not written again, the rest are collected, the viral alert fires once; DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:2])

    def kill(_params: Params) -> None:
        raise LambdaKilled

    name = h.stack.snapshots_table
    h.boto.after(
        "PutItem",
        kill,
        match=lambda p: (
            p.get("TableName") == name
            and p["Item"]["hashtag"]["S"] == "spiky"
            and p["Item"]["cycle"]["S"] == to_iso(whens[2])
        ),
    )
    h.tick(whens[2])
    sqs = h._sqs
    batch: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=h.runner.fetch_queue_url, MaxNumberOfMessages=5, AttributeNames=["All"]
    )["Messages"]
    assert len(batch) == len(h.names)
    with pytest.raises(LambdaKilled):
        h.invoke_worker(batch)

    # When the visibility timeout (90 min) ends, SQS delivers the batch again
    h.clock.set(whens[2] + timedelta(minutes=90))
    for message in batch:
        sqs.change_message_visibility(
            QueueUrl=h.runner.fetch_queue_url,
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=0,
        )
    h.drain()
    h.deliver_alerts()
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_duplicate_deliveries(harness_factory: MakeHarness) -> None:
    """Duplicate deliveries.
    Injected: SQS delivers every fetch message of two cycles twice.
    Asserted: one snapshot per tag and cycle, written once; the duplicates make no API call;
    the viral alert fires once; DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:1])
    calls_before = h.simulator.truth().calls["hashtag"]
    for when in whens[1:]:
        h.tick(when)
        bodies = h.fetch_bodies()
        h.send_bodies(bodies + bodies)
        h.drain()
        h.deliver_alerts()
    assert h.simulator.truth().calls["hashtag"] - calls_before == 2 * len(h.names)
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_double_fired_schedule(harness_factory: MakeHarness) -> None:
    """Double-fired schedule.
    Injected: the collection schedule fires twice for one cycle (40 s apart), and for the
    next cycle a second scheduler claims the cycle while the first is about to.
    Asserted: exactly one fetch message per tag and cycle; one snapshot each; DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:1])

    first = h.tick(whens[1])
    second = h.tick(whens[1] + timedelta(seconds=40))
    assert (first["sent"], second["sent"], second["claimed"]) == (3, 0, False)
    assert h.queue_depth() == len(h.names)
    h.drain()
    h.deliver_alerts()

    racing: dict[str, Any] = {}
    h.boto.race(
        "UpdateItem",
        lambda _p: racing.update(h.runner.tick_collection(whens[2])),
        match=key_pk("cycle"),
    )
    loser = h.tick(whens[2])
    assert (racing["sent"], loser["sent"], loser["claimed"]) == (3, 0, False)
    assert h.queue_depth() == len(h.names)
    h.drain()
    h.deliver_alerts()
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_clock_jumping_forward(harness_factory: MakeHarness) -> None:
    """Clock jumping forward.
    Injected: after two cycles the clock jumps 30 hours (five cycles never run).
    Asserted: the cycles that ran each have one ok snapshot; no alert is made from a base
    outside its window (the 6 h viral rule stays quiet); the spike's day alerts once for each
    daily rule it really met (viral day, high participation); DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(2)
    h.run(whens)
    later = [whens[1] + timedelta(hours=30), whens[1] + timedelta(hours=36)]
    h.run(later)
    day = later[0].date().isoformat()
    assert_invariants(
        h,
        Expect(
            whens + later,
            alerts={("spiky", "viral_day", day), ("spiky", "high_participation", day)},
        ),
    )


def test_clock_far_past_the_cycle_on_a_redrive(harness_factory: MakeHarness) -> None:
    """Clock far past the cycle (late redrive).
    Injected: the key is refused for the 06:00 cycle only; its messages wait in the DLQ
    until the operator redrives them the next day (the clock is 19 h past the cycle).
    Asserted: the late snapshots are stored, the DLQ empties, and no viral alert fires for a
    steady tag whose 6-hour growth never reached the threshold.
    """
    h = harness_factory({"calmone": CALM, "brisk": BRISK})
    whens = cycles(4)
    h.run(whens[:1])
    h.simulator.set_faults(unauthorized=ALWAYS)
    h.cycle(whens[1])
    h.simulator.clear_faults()
    h.run(whens[2:])
    assert h.runner.dlq_depth() == 2

    # When the DLQ is redriven the next day at 01:00
    h.clock.set(whens[0] + timedelta(hours=25))
    h.runner.redrive_dlq()
    h.drain()
    h.deliver_alerts()
    assert_invariants(h, Expect(whens, notices=["Data API key refused"]))


def test_poison_message(harness_factory: MakeHarness) -> None:
    """Poison message.
    Injected: two fetch messages nobody can handle (not JSON; an unknown field) arrive with
    a normal cycle.
    Asserted: they fail alone (the cycle's other messages are collected), land in the DLQ
    after the queue's 5 receives, and a redrive brings them back to the DLQ, not into data.
    """
    h = harness_factory(TAGS)
    whens = cycles(1)
    h.tick(whens[0])
    h.send_bodies(["not json", '{"v": 1, "cycle": "2026-10-05T00:00:00Z", "x": 1}'])
    h.drain()
    h.deliver_alerts()
    assert h.runner.dlq_depth() == 2
    assert h.runner.redrive_dlq() == 2
    h.drain()
    assert_invariants(h, Expect(whens, dlq=2))
