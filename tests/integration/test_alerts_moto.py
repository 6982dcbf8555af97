"""The alert store's conditional writes on the template's State table, and SNS delivery."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.models.codec import convert
from hashtag_tracker.models.hashtag import HashtagKind
from hashtag_tracker.notify.dispatcher import AlertDispatcher
from hashtag_tracker.rules.alert import Alert, AlertRule, Severity
from hashtag_tracker.rules.cooldown import ClaimOutcome
from hashtag_tracker.storage.alerts import (
    CLAIM_LEASE,
    AlertPublishError,
    DynamoAlertStore,
    SnsAlertPublisher,
)
from tests.unit.rules.builders import T0, at, ok, tag

pytestmark = pytest.mark.integration


def viral(hours: float, magnitude: float = 1.5, **changes: Any) -> Alert:
    data: dict[str, Any] = {
        "hashtag": "trybrandx",
        "rule": AlertRule.VIRAL,
        "window": at(hours).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "at": at(hours),
        "severity": Severity.WARNING,
        "kind": HashtagKind.CAMPAIGN,
        "campaign": "BrandX",
        "metrics": {"new_videos": 300},
        "summary": "#trybrandx is taking off.",
        "magnitude": magnitude,
        "cooldown_hours": 24,
    }
    return Alert(**{**data, **changes})


@pytest.fixture
def store(tables: dict[str, str]) -> DynamoAlertStore:
    return DynamoAlertStore(tables["StateTable"])


def test_a_window_is_claimed_once_even_before_it_is_confirmed(store: DynamoAlertStore) -> None:
    # Given a claimed (not yet confirmed) alert
    first = store.claim(viral(6), T0)

    # When the same alert is claimed again (a concurrent redelivery)
    second = store.claim(viral(6), T0 + timedelta(seconds=5))

    # Then only the first may publish
    assert first.outcome is ClaimOutcome.NEW
    assert second.outcome is ClaimOutcome.DUPLICATE


def test_a_confirmed_alert_stays_a_duplicate(store: DynamoAlertStore) -> None:
    claim = store.claim(viral(6), T0)
    store.confirm(claim, "msg-1", T0)

    later = store.claim(viral(6), T0 + timedelta(hours=2))

    assert later.outcome is ClaimOutcome.DUPLICATE
    record = store.record(viral(6).key)
    assert record is not None and record["status"]["S"] == "published"
    assert int(record["expires_at"]["N"]) > int((T0 + timedelta(days=29)).timestamp())


def test_cooldown_and_a_single_escalation(store: DynamoAlertStore) -> None:
    store.confirm(store.claim(viral(6, 1.5), T0), "m1", T0)

    # Similar spikes are suppressed and raise the peak to beat (2.0, then 3.0): twice the
    # peak escalates (the old rule compared with the alerted 1.5 only)
    similar = store.claim(viral(12, 2.0), T0)
    not_enough = store.claim(viral(18, 3.0), T0)
    bigger = store.claim(viral(18, 6.0), T0)
    store.confirm(bigger, "m2", T0)
    biggest = store.claim(viral(24, 50.0), T0)
    after = store.claim(viral(30, 1.0), T0)

    assert [similar.outcome, not_enough.outcome, bigger.outcome] == [
        ClaimOutcome.COOLDOWN,
        ClaimOutcome.COOLDOWN,
        ClaimOutcome.ESCALATION,
    ]
    assert [biggest.outcome, after.outcome] == [
        ClaimOutcome.COOLDOWN,
        ClaimOutcome.NEW,
    ]


def test_release_restores_the_cooldown_so_the_retry_publishes(store: DynamoAlertStore) -> None:
    # Given an earlier alert's cooldown ran out and a new claim was made, then released
    store.confirm(store.claim(viral(0, 1.5), T0), "m1", T0)
    claim = store.claim(viral(30, 1.5), T0)
    store.release(claim)

    # When the retry claims the same alert, and another window of the rule comes next
    retry = store.claim(viral(30, 1.5), T0)

    # Then the retry publishes, and the restored-then-rewritten cooldown holds the next one
    assert retry.outcome is ClaimOutcome.NEW
    assert store.record(viral(30).key) is not None
    store.confirm(retry, "m2", T0)
    assert store.claim(viral(36, 1.5), T0).outcome is ClaimOutcome.COOLDOWN


def test_a_stale_unconfirmed_claim_is_taken_over(store: DynamoAlertStore) -> None:
    # Given a publisher claimed and died without confirming
    store.claim(viral(6), T0)

    # When the redelivery comes after the lease
    late = store.claim(viral(6), T0 + CLAIM_LEASE + timedelta(seconds=1))

    # Then it takes the claim over and publishes; a later one is a duplicate
    assert late.outcome is ClaimOutcome.TAKEOVER
    store.confirm(late, "m1", T0)
    assert store.claim(viral(6), T0 + timedelta(hours=1)).outcome is ClaimOutcome.DUPLICATE


def test_milestones_have_no_cooldown_and_fire_once_each(store: DynamoAlertStore) -> None:
    one = viral(6, window="1000000", rule=AlertRule.MILESTONE, cooldown_hours=0)
    ten = viral(8, window="10000000", rule=AlertRule.MILESTONE, cooldown_hours=0)
    assert store.claim(one, T0).outcome is ClaimOutcome.NEW
    assert store.claim(ten, T0).outcome is ClaimOutcome.NEW
    assert store.claim(one, T0).outcome is ClaimOutcome.DUPLICATE


# -- SNS ------------------------------------------------------------------------------------


@pytest.fixture
def subscribed_queue(aws: None) -> tuple[str, str]:
    """(topic arn, queue url): an SQS queue subscribed to a topic, raw delivery off."""
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="AlertTopic")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="alerts-sub")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue_url


def _received(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def test_published_alert_reaches_a_subscriber_with_attributes_and_json(
    subscribed_queue: tuple[str, str],
) -> None:
    topic, queue_url = subscribed_queue

    # When an alert is published
    SnsAlertPublisher(topic).publish(viral(6))

    # Then the SQS subscriber gets the alert JSON, the subject and filterable attributes
    [envelope] = _received(queue_url)
    assert envelope["Subject"] == "Viral moment on #trybrandx"
    attributes = {k: v["Value"] for k, v in envelope["MessageAttributes"].items()}
    assert attributes == {
        "hashtag": "trybrandx",
        "rule": "viral",
        "severity": "warning",
        "kind": "campaign",
        "campaign": "BrandX",
    }
    body = json.loads(envelope["Message"])
    assert body["type"] == "hashtag-tracker.alert" and body["key"] == viral(6).key
    assert convert(body, Alert) == viral(6)


def test_a_filter_policy_on_attributes_selects_alerts(aws: None) -> None:
    # Given a subscriber that only wants viral alerts of campaign BrandX
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="AlertTopic")["TopicArn"]
    url = sqs.create_queue(QueueName="viral-only")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps({"rule": ["viral"], "campaign": ["BrandX"]})},
    )
    publisher = SnsAlertPublisher(topic)

    # When a viral alert and a milestone are published
    publisher.publish(viral(6))
    publisher.publish(viral(6, rule=AlertRule.MILESTONE, window="1000000", cooldown_hours=0))

    # Then only the viral one arrives
    assert [json.loads(e["Message"])["rule"] for e in _received(url)] == ["viral"]


def test_a_publish_to_a_missing_topic_is_a_storage_error(aws: None) -> None:
    publisher = SnsAlertPublisher("arn:aws:sns:us-east-1:123456789012:nope")
    with pytest.raises(AlertPublishError, match="publishing alert"):
        publisher.publish(viral(6))


def test_the_dispatcher_end_to_end_publishes_once_per_window(
    tables: dict[str, str], subscribed_queue: tuple[str, str]
) -> None:
    # Given the real store and publisher behind the worker's hook
    topic, queue_url = subscribed_queue
    hook = AlertDispatcher(
        DynamoAlertStore(tables["StateTable"]), SnsAlertPublisher(topic), ManualClock(T0)
    )
    base = ok(0, 50_000_000, 10_000)
    snapshot = ok(6, 50_300_000, 10_300)

    # When a viral snapshot is handled three times (first delivery and two redeliveries)
    for _ in range(3):
        hook(tag(), snapshot, [base])

    # Then the subscriber got exactly one message
    assert [json.loads(e["Message"])["rule"] for e in _received(queue_url)] == ["viral"]


def test_a_failed_publish_leaves_no_record_behind(tables: dict[str, str]) -> None:
    # Given a topic that does not exist
    store = DynamoAlertStore(tables["StateTable"])
    hook = AlertDispatcher(
        store, SnsAlertPublisher("arn:aws:sns:us-east-1:123456789012:nope"), ManualClock(T0)
    )

    # When publishing fails
    with pytest.raises(AlertPublishError):
        hook(tag(), ok(6, 50_300_000, 10_300), [ok(0, 50_000_000, 10_000)])

    # Then the window is free again, so the retry can publish it
    assert store.record("trybrandx#viral#2026-11-02T06:00:00Z") is None
    assert store.claim(viral(6), T0).outcome is ClaimOutcome.NEW


class StaleFirstRead(DynamoAlertStore):
    """Sees no cooldown on its first read, as if another worker wrote it just after."""

    def __init__(self, table_name: str) -> None:
        super().__init__(table_name)
        self.stale_reads = 1

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        if pk == "alert-cooldown" and self.stale_reads:
            self.stale_reads -= 1
            return None
        return super()._get(pk, sk)


def test_a_race_on_the_cooldown_is_decided_again_by_the_conditional_write(
    tables: dict[str, str],
) -> None:
    # Given another worker alerted 6 h ago, and this one reads the cooldown too early
    DynamoAlertStore(tables["StateTable"]).claim(viral(0), T0)
    racer = StaleFirstRead(tables["StateTable"])

    # When it claims the next window
    claim = racer.claim(viral(6), T0)

    # Then the transaction refused the stale decision, and the retry sees the cooldown
    assert racer.stale_reads == 0
    assert claim.outcome is ClaimOutcome.COOLDOWN
    assert racer.record(viral(6).key) is None


def test_the_worker_hook_is_built_from_settings(
    tables: dict[str, str], subscribed_queue: tuple[str, str]
) -> None:
    # Given the worker's environment with the State table and the alert topic
    from hashtag_tracker.clock import SystemClock
    from hashtag_tracker.config import WorkerSettings, load_settings
    from hashtag_tracker.wiring.worker import make_worker_container

    topic, queue_url = subscribed_queue
    env = {name: name for name in ("HASHTAGS_TABLE", "SNAPSHOTS_TABLE", "VIDEOS_TABLE")}
    env |= {"STATE_TABLE": tables["StateTable"], "ALERT_TOPIC_ARN": topic, "FETCH_QUEUE_URL": "q"}

    # When the worker's container is made and its hook called with a viral snapshot
    container = make_worker_container(load_settings(WorkerSettings, env), SystemClock())
    hook = container.alerts
    assert hook is not None
    hook(tag(), ok(6, 50_300_000, 10_300), [ok(0, 50_000_000, 10_000)])

    # Then the alert reached the topic's subscriber
    assert [json.loads(e["Message"])["rule"] for e in _received(queue_url)] == ["viral"]


def test_the_delivery_record_keeps_the_title_and_summary_as_sent(store: DynamoAlertStore) -> None:
    # Given an alert published, then an escalation of it
    store.confirm(store.claim(viral(6, 1.5), T0), "m1", T0)
    store.confirm(store.claim(viral(12, 9.0), T0), "m2", T0)
    # When the CLI reads the hashtag's records
    records = store.records_of("trybrandx")
    # Then each keeps what subscribers got
    assert [(r["title"], r["summary"]) for r in records] == [
        ("Viral moment on #trybrandx", "#trybrandx is taking off."),
        ("Escalated: Viral moment on #trybrandx", "#trybrandx is taking off."),
    ]
