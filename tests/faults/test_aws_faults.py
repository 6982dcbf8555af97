"""Faults of AWS itself, injected at the boto3 layer (botocore hooks), on the emulated stack."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from hashtag_tracker.clock import from_iso, to_iso
from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.sqs import SqsRecord
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.storage.state import BUDGET_PK, FETCH_PK, RATE_PK, DynamoStateStore
from hashtag_tracker.wiring.worker import WorkerContainer
from hashtag_tracker_tools.local.runner import FakeContext
from hashtag_tracker_tools.simulator import ALWAYS
from tests.faults.harness import (
    CALM,
    TAGS,
    Expect,
    Harness,
    MakeHarness,
    assert_invariants,
    cycles,
    private_client,
    viral,
)
from tests.faults.inject import InjectedReadTimeout, Params, key_pk

pytestmark = pytest.mark.faults


def _snapshots_table(h: Harness) -> Callable[[Params], bool]:
    name = h.stack.snapshots_table
    return lambda params: params.get("TableName") == name


def _snapshot_of(h: Harness, hashtag: str) -> Callable[[Params], bool]:
    name = h.stack.snapshots_table
    return lambda p: (
        p.get("TableName") == name and p.get("Item", {}).get("hashtag", {}).get("S") == hashtag
    )


def another_worker(h: Harness, hashtag: str, cycle_text: str) -> None:
    """A second container handles a duplicate of the same fetch message, start to finish."""
    from hashtag_tracker.collection.batch import BatchProgress
    from hashtag_tracker.collection.handler import WorkerRun

    message = FetchMessage(cycle=from_iso(cycle_text), hashtag=TrackedHashtag(hashtag=hashtag))
    record = SqsRecord.from_event(
        {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": "competitor",
            "body": message.body(),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }
    )
    container = h.runner.deps("worker")
    assert isinstance(container, WorkerContainer)
    deps = container.invocation(FakeContext("competitor"), BatchProgress())  # type: ignore[arg-type]
    WorkerRun(deps).handle(record)


def test_dynamodb_throttling_absorbed_by_retries(harness_factory: MakeHarness) -> None:
    """DynamoDB throttling (transient).
    Injected: ProvisionedThroughputExceeded answers on snapshot writes, rate-limit slot
    updates and the alert claim transaction; botocore's own retries see them.
    Asserted: the retries absorb them: every snapshot ok, written once, the viral alert
    once, DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.boto.throttle("PutItem", match=_snapshots_table(h), times=2)
    h.boto.throttle("UpdateItem", match=key_pk(RATE_PK), times=1)
    h.boto.throttle("TransactWriteItems", times=1)
    h.run(whens)
    assert h.boto.injected["throttle:dynamodb.PutItem"] == 2
    assert h.boto.injected["throttle:dynamodb.TransactWriteItems"] == 1
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_dynamodb_throttling_past_retries_goes_to_dlq_and_redrives(
    harness_factory: MakeHarness,
) -> None:
    """DynamoDB throttling (persistent).
    Injected: every snapshot write of one cycle fails with ProvisionedThroughputExceeded after
    botocore's retries.
    Asserted: nothing half-written (no snapshot, no zero) for that cycle; the DLQ holds
    exactly its messages; once the throttling ends a redrive writes each snapshot once; the
    viral alert of the next cycle fires once.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:1])
    rule = h.boto.fail("PutItem", match=_snapshots_table(h))
    h.cycle(whens[1])
    assert h.runner.dlq_depth() == len(h.names)
    assert not [k for k in h.snapshots() if k[1] == to_iso(whens[1])]
    h.boto.rules.remove(rule)

    assert h.runner.redrive_dlq() == len(h.names)
    h.drain()
    h.run(whens[2:])
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_dynamodb_throttling_of_the_scheduler_scan(harness_factory: MakeHarness) -> None:
    """DynamoDB throttling of the scheduler.
    Injected: the scheduler's scan of the Hashtags table fails (throttled past retries) after
    it claimed the cycle; Lambda retries the scheduled event one minute later.
    Asserted: the retry fans the cycle out, so every hashtag still gets its snapshot.
    """
    h = harness_factory(TAGS)
    whens = cycles(2)
    h.run(whens[:1])
    hashtags_table = h.info.outputs["HashtagsTableName"]
    rule = h.boto.fail("Scan", match=lambda p: p.get("TableName") == hashtags_table)
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        h.tick(whens[1])
    h.boto.rules.remove(rule)

    # When Lambda's asynchronous retry runs the same event a minute later
    h.tick(whens[1], at=whens[1].replace(minute=1))
    h.drain()
    h.deliver_alerts()
    assert_invariants(h, Expect(whens))


def test_conditional_check_race_on_the_rate_limit_slot(harness_factory: MakeHarness) -> None:
    """Conditional-check race on the rate-limit slot.
    Injected: before every second slot reservation another worker takes the slot first, so
    the compare-and-swap fails (ConditionalCheckFailed).
    Asserted: the limiter retries from the value it read; every snapshot ok; the API never
    saw more than its plan (no 429, no violation); DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    dynamodb = private_client("dynamodb", h.info)
    state_table = h.info.outputs["StateTableName"]
    seen = {"n": 0}

    def rival_takes_the_slot(_params: Params) -> None:
        seen["n"] += 1
        if seen["n"] % 2:
            return
        key = {"pk": {"S": RATE_PK}, "sk": {"S": "data-api"}}
        item = dynamodb.get_item(TableName=state_table, Key=key, ConsistentRead=True)
        current = item.get("Item", {}).get("next_ms", {}).get("N")
        if current is None:
            return
        dynamodb.update_item(
            TableName=state_table,
            Key=key,
            UpdateExpression="SET next_ms = :next",
            ConditionExpression="next_ms = :seen",
            ExpressionAttributeValues={
                ":next": {"N": str(int(current) + 7)},
                ":seen": {"N": current},
            },
        )

    h.boto.race("UpdateItem", rival_takes_the_slot, match=key_pk(RATE_PK), times=ALWAYS)
    h.run(whens)
    truth = h.simulator.truth()
    assert seen["n"] >= 10
    assert truth.rate_limit_violations == 0 and 429 not in truth.answers
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_conditional_check_race_on_the_snapshot(harness_factory: MakeHarness) -> None:
    """Conditional-check race on the snapshot.
    Injected: between a worker's read and its conditional snapshot write, a duplicate of the
    same message is handled to the end by another worker (the alerting cycle).
    Asserted: the loser's write fails its condition and is taken as a duplicate: one snapshot
    written once, one viral alert; DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:2])
    h.boto.race(
        "PutItem",
        lambda p: another_worker(h, "spiky", p["Item"]["cycle"]["S"]),
        match=_snapshot_of(h, "spiky"),
    )
    h.run(whens[2:])
    assert h.boto.injected["race:dynamodb.PutItem"] == 1
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_conditional_check_race_on_the_alert_claim(harness_factory: MakeHarness) -> None:
    """Conditional-check race on the alert claim.
    Injected: just before a worker's claim transaction for the viral alert, a redelivery of
    the same message claims and publishes it in another worker (TransactionCanceled).
    Asserted: the alert is published exactly once; one snapshot; DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:2])

    def is_alert_claim(params: Params) -> bool:
        items: list[Any] = params.get("TransactItems", [])
        put = items[0].get("Put", {}) if items else {}
        return put.get("Item", {}).get("pk", {}).get("S") == "alert"

    h.boto.race(
        "TransactWriteItems",
        lambda _p: another_worker(h, "spiky", to_iso(whens[2])),
        match=is_alert_claim,
    )
    h.run(whens[2:])
    assert h.boto.injected["race:dynamodb.TransactWriteItems"] == 1
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_sns_publish_failure_of_an_alert(harness_factory: MakeHarness) -> None:
    """SNS publish failure (alert).
    Injected: the first two publishes of the viral alert to the topic fail (InternalError).
    Asserted: the claim is released each time and the queue's retry publishes it: exactly
    one alert, reaching Slack once; DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.boto.fail(
        "Publish",
        "InternalError",
        service="sns",
        match=lambda p: p.get("MessageStructure") == "json",
        times=2,
    )
    h.run(whens)
    assert h.boto.injected["fail:sns.Publish"] == 2
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_sns_publish_failure_of_an_ops_notice(harness_factory: MakeHarness) -> None:
    """SNS publish failure (operational notice).
    Injected: the API answers 402 for one tag; the first publish of the resulting "out of
    credits" notice fails (InternalError).
    Asserted: the notice still reaches the topic exactly once; the tag is `missing:
    out_of_credits`; DLQ empty.
    """
    h = harness_factory({"calmone": CALM, "calmtwo": CALM})
    whens = cycles(1)
    h.simulator.set_faults("calmone", out_of_credits=ALWAYS)
    h.boto.fail("Publish", "InternalError", service="sns", match=lambda p: "Subject" in p, times=1)
    h.run(whens)
    assert h.boto.injected["fail:sns.Publish"] == 1
    assert_invariants(
        h,
        Expect(
            whens,
            missing={("calmone", whens[0]): "out_of_credits"},
            notices=["Data API account out of credits"],
        ),
    )


def _fetch_claims(params: Params) -> bool:
    items = params.get("TransactItems", [])
    return bool(items) and all(
        i.get("Put", {}).get("Item", {}).get("pk", {}).get("S") == FETCH_PK for i in items
    )


def test_batch_claim_transaction_answer_lost(harness_factory: MakeHarness) -> None:
    """Lost answer of the batch's claim transaction.
    Injected: every worker batch's fetch-claim transaction goes through, but its answer is lost
    (a read timeout after DynamoDB committed it), for two cycles.
    Asserted: each record's own claim finds the key already its invocation's, so no hashtag is
    acknowledged as someone else's duplicate: every snapshot written once, the data API paid
    once per hashtag and cycle, the viral alert once, DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:1])

    def lose_answer(params: Params) -> None:
        raise InjectedReadTimeout(endpoint_url="http://127.0.0.1 (answer lost)")

    h.boto.after("TransactWriteItems", lose_answer, match=_fetch_claims, times=ALWAYS)
    h.run(whens[1:])
    assert h.boto.injected["after:dynamodb.TransactWriteItems"] >= 2
    stats_calls = h.simulator.truth().calls.get("hashtag", 0)
    assert stats_calls == len(h.names) * len(whens)
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_batch_credit_settlement_fails(harness_factory: MakeHarness) -> None:
    """Failed settlement of a batch's credits.
    Injected: the settlement of each batch's pooled credits fails past botocore's retries
    (throttled) for one cycle.
    Asserted: the records are not failed for it (every snapshot written once, DLQ empty); the
    month's counter keeps the unsettled batch's reservation (spent above what was charged:
    never below, so the budget is never overspent) and counts what later cycles used.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:1])
    state = DynamoStateStore(h.info.outputs["StateTableName"])
    month = whens[0].strftime("%Y-%m")
    spent_before, used_before = state.credits(month)
    assert spent_before == used_before  # settled to the credit

    def settlement(params: Params) -> bool:
        return key_pk(BUDGET_PK)(params) and "used" in str(params.get("UpdateExpression", ""))

    charged_before = sum(h.simulator.truth().calls.values())
    rule = h.boto.fail("UpdateItem", match=settlement)
    h.run(whens[1:2])
    h.boto.rules.remove(rule)
    charged = sum(h.simulator.truth().calls.values()) - charged_before
    spent, used = state.credits(month)
    assert used == used_before  # that cycle's use was never counted...
    assert spent - spent_before >= charged > 0  # ...but its reservation stays: never below
    h.run(whens[2:])
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))
    spent_after, used_after = state.credits(month)
    assert used_after > used  # later batches settle again
    assert spent_after - used_after == spent - used  # only the failed cycle's reservation stays
