"""The daily digest on real boto3 calls against moto: bounded reads, one SNS message a day with
rule=daily_digest, its once-a-day mark in the report partition, the handler, Slack's filter."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities import parameters
from samtranslator.yaml_helper import yaml_parse

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.config import ReportSettings, SlackSettings, load_settings
from hashtag_tracker.models.codec import replace
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.snapshot import SentimentShares
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.notify.slack import payload_for
from hashtag_tracker.report.digest_run import DigestDeps, make_digest
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.report_sources import DynamoReportSources
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker.storage.state import REPORT_PK, DynamoStateStore
from hashtag_tracker.storage.topic import SnsTopic
from hashtag_tracker.storage.videos import DynamoVideoLedger
from hashtag_tracker.wiring.report import make_report_deps
from hashtag_tracker.wiring.slack_notifier import make_slack_notifier
from tests.integration.conftest import TEMPLATE
from tests.integration.test_slack_notifier_handler import HOOK, RecordingAdapter, _secret
from tests.unit.report.fakes import ok

pytestmark = pytest.mark.integration

AS_OF = datetime(2026, 12, 2, 8, tzinfo=UTC)
EVENT = {"digest": True, "time": "2026-12-02T08:00:00Z"}
KEEP = timedelta(days=400)
TAGS = {
    "brand": ("campaign", "BrandX"),
    "rival": ("competitor", "BrandX"),
    "trendy": ("trend", None),
}
DAILY = {"brand": 150_000, "rival": 60_000, "trendy": 10_000}


def slack_filter_policy() -> dict[str, Any] | None:
    """The Slack notifier's subscription filter policy in template.yaml, if it has one."""
    template = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    events = template["Resources"]["SlackNotifierFunction"]["Properties"]["Events"]
    (subscription,) = [e for e in events.values() if e["Type"] == "SNS"]
    policy = subscription["Properties"].get("FilterPolicy")
    return policy if isinstance(policy, dict) else None


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def before(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1


def _queue(sqs: Any, sns: Any, topic: str, name: str, policy: dict[str, Any] | None) -> str:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    attributes = {"FilterPolicy": json.dumps(policy)} if policy is not None else {}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return str(url)


@dataclass
class Stack:
    tables: dict[str, str]
    client: Any
    topic_arn: str
    inbox: str
    slack: str
    viral_only: str

    def received(self, queue: str) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name="us-east-1")
        answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]

    def state_keys(self) -> set[tuple[str, str]]:
        items = self.client.scan(TableName=self.tables["StateTable"])["Items"]
        return {(i["pk"]["S"], i["sk"]["S"]) for i in items}

    def env(self) -> dict[str, str]:
        return {
            "HASHTAGS_TABLE": self.tables["HashtagsTable"],
            "SNAPSHOTS_TABLE": self.tables["SnapshotsTable"],
            "VIDEOS_TABLE": self.tables["VideosTable"],
            "STATE_TABLE": self.tables["StateTable"],
            "REPORTS_BUCKET": "reports-bucket",
            "ALERT_TOPIC_ARN": self.topic_arn,
            "MONTHLY_CREDIT_BUDGET": "20000",
        }


@pytest.fixture
def stack(tables: dict[str, str]) -> Stack:
    client = boto3.client("dynamodb", region_name="us-east-1")
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="AlertTopic")["TopicArn"]
    hashtags = DynamoHashtagStore(tables["HashtagsTable"], client)
    snapshots = DynamoSnapshotStore(tables["SnapshotsTable"], client)
    for name, (kind, campaign) in TAGS.items():
        hashtags.create(TrackedHashtag(hashtag=name, kind=HashtagKind(kind), campaign=campaign))
        # 6-hourly readings for four days: the day before grew 100,000, the last day DAILY
        for step in range(17):
            cycle = datetime(2026, 11, 28, 6, tzinfo=UTC) + step * timedelta(hours=6)
            days = (cycle - datetime(2026, 12, 1, 6, tzinfo=UTC)) / timedelta(days=1)
            views = 1_000_000 + (int(100_000 * days) if days <= 0 else int(DAILY[name] * days))
            snapshot = ok(name, cycle, views, 100 + step)
            if name == "brand" and cycle == datetime(2026, 12, 2, tzinfo=UTC):
                snapshot = replace(
                    snapshot,
                    credits=4,
                    sentiment=SentimentShares(positive=0.2, neutral=0.3, negative=0.5, scored=60),
                )
            snapshots.put(snapshot, KEEP)
    ledger = DynamoVideoLedger(tables["VideosTable"], client)
    for video_id, seen, plays in (
        ("7000", datetime(2026, 12, 1, 7, tzinfo=UTC), 900_000),  # first seen the day before
        ("7001", datetime(2026, 12, 2, 2, tzinfo=UTC), 80_000),
        ("7002", datetime(2026, 12, 1, 14, tzinfo=UTC), 50_000),
    ):
        ledger.upsert(
            "brand",
            [
                LedgerVideo(
                    hashtag="brand", video_id=video_id, author_id="maker.one",
                    first_seen=seen, last_seen=seen, plays=plays, likes=10, comments=1, shares=1,
                )
            ],
            [LedgerCreator(hashtag="brand", author_id="maker.one", first_seen=seen,
                           last_seen=seen)],
            seen,
        )  # fmt: skip
    state = DynamoStateStore(tables["StateTable"], client)
    assert state.reserve_credits("2026-12", 3_100, 20_000)
    state.settle_credits("2026-12", 3_100, 3_000, 41_000, datetime(2026, 12, 2, 6, tzinfo=UTC))
    return Stack(
        tables,
        client,
        topic,
        _queue(sqs, sns, topic, "inbox", None),
        _queue(sqs, sns, topic, "slack", slack_filter_policy()),
        _queue(sqs, sns, topic, "viral-only", {"rule": ["viral"]}),
    )


def test_the_digest_reads_a_bounded_amount_and_publishes_one_tagged_message(stack: Stack) -> None:
    # Given the Report function's adapters on a client that counts its requests
    counter = CallCounter()
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.meta.events.register("before-call.dynamodb", counter.before)
    state = DynamoStateStore(stack.tables["StateTable"], client)
    sources = DynamoReportSources(
        DynamoHashtagStore(stack.tables["HashtagsTable"], client),
        DynamoSnapshotStore(stack.tables["SnapshotsTable"], client),
        DynamoVideoLedger(stack.tables["VideosTable"], client),
        state,
    )
    before = stack.state_keys()

    # When the day to Dec 2 08:00 is digested
    result = make_digest(AS_OF, DigestDeps(sources, SnsTopic(stack.topic_arn), state, 20_000))

    # Then the reads are one scan, two key queries per tag, two State items; one mark written
    assert dict(counter.calls) == {"Scan": 1, "Query": 2 * len(TAGS), "GetItem": 2, "PutItem": 1}
    # and the mark sits in the Report role's own partition of the State table
    assert stack.state_keys() - before == {(REPORT_PK, "summary#digest#2026-12-02")}
    assert result.published
    # and one message reaches the subscriber, tagged for filter policies
    [envelope] = stack.received(stack.inbox)
    assert envelope["Subject"] == "Daily hashtag digest 2026-12-02"
    attributes = {k: v["Value"] for k, v in envelope["MessageAttributes"].items()}
    assert attributes == {"rule": "daily_digest", "severity": "info"}
    # with the digest's JSON (its SQS part), per tag, most new views first
    body = json.loads(envelope["Message"])
    assert body["type"] == "hashtag-tracker.digest"
    assert [t["hashtag"] for t in body["tags"]] == ["brand", "rival", "trendy"]
    brand = body["tags"][0]
    assert (brand["new_views"], brand["views_day_before"], brand["day_over_day"]) == (
        150_000,
        100_000,
        "rising",
    )
    assert body["tags"][2]["day_over_day"] == "falling"  # 10,000 after 100,000
    assert brand["top_video"]["link"] == "https://www.tiktok.com/@maker.one/video/7001"
    assert brand["mood"] == {
        "label": "negative",
        "positive": 0.2,
        "neutral": 0.3,
        "negative": 0.5,
        "scored": 60,
    }
    # credits: 4 readings a day per tag at 1 credit, brand's midnight one at 4
    assert brand["credits"] == 7 and body["credits"]["today"] == 4 * 3 + 3
    assert body["credits"]["month_used"] == 3_000 and body["credits"]["balance"] == 41_000
    assert body["credits"]["month_projected"] == 69_750  # 2,250 a day over 31 days
    # and the Slack notifier renders what it receives as the digest, not as a notice
    blocks = payload_for(envelope["Subject"], envelope["Message"])["blocks"]
    assert blocks[0]["text"]["text"] == "📊 Daily hashtag digest 2026-12-02"
    assert "🙁 negative" in blocks[4]["text"]["text"]


def test_slacks_subscription_takes_the_digest_and_a_viral_only_one_does_not(stack: Stack) -> None:
    deps = make_report_deps(load_settings(ReportSettings, stack.env()))
    assert deps.digest is not None
    make_digest(AS_OF, deps.digest)

    [to_slack] = stack.received(stack.slack)
    assert to_slack["MessageAttributes"]["rule"]["Value"] == "daily_digest"
    assert stack.received(stack.viral_only) == []


@dataclass
class Context:
    function_name: str = "report"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:report"
    aws_request_id: str = "req-1"


def test_the_handler_digests_the_scheduled_day_once(stack: Stack) -> None:
    from functions.report.app import lambda_handler

    # Given the function's own wiring, its clock a few minutes after the schedule fired
    clock = ManualClock(AS_OF + timedelta(minutes=3))
    deps = make_report_deps(load_settings(ReportSettings, stack.env()), clock)

    # When the daily schedule's event is delivered, and delivered again an hour later
    first = lambda_handler(EVENT, Context(), deps=deps)  # type: ignore[arg-type]
    clock.advance(timedelta(hours=1))
    again = lambda_handler(EVENT, Context(), deps=deps)  # type: ignore[arg-type]

    # Then the digest of the scheduled day is published once
    assert (first["digest"], first["until"], first["published"]) == (
        "2026-12-02",
        "2026-12-02T08:00:00Z",
        True,
    )
    assert (again["published"], again["already_published"]) == (False, True)
    assert first["listed"] == ["brand", "rival", "trendy"]
    assert len(stack.received(stack.inbox)) == 1
    # and nothing of the weekly report was written
    assert "files" not in first


@pytest.fixture
def slack_app(aws: None) -> Iterator[tuple[Any, RecordingAdapter]]:
    """The Slack notifier's handler with its own wiring, its HTTP session recording posts."""
    parameters.clear_caches()
    from functions.slack_notifier.app import lambda_handler

    adapter = RecordingAdapter()
    session = requests.Session()
    session.mount("https://hooks.slack.com/", adapter)
    settings = load_settings(
        SlackSettings, {"SLACK_WEBHOOK_SECRET": "hashtag-tracker/slack-webhook"}
    )
    yield (
        functools.partial(lambda_handler, deps=make_slack_notifier(settings, session=session)),
        adapter,
    )
    parameters.clear_caches()


def test_the_slack_notifier_posts_the_published_digest_as_block_kit(
    stack: Stack, slack_app: tuple[Any, RecordingAdapter]
) -> None:
    # Given the digest published on the topic, and the Slack notifier with its webhook secret
    deps = make_report_deps(load_settings(ReportSettings, stack.env()))
    assert deps.digest is not None
    make_digest(AS_OF, deps.digest)
    [envelope] = stack.received(stack.slack)
    handler, adapter = slack_app
    _secret(HOOK)

    # When the notifier gets it as SNS delivers it to a Lambda subscriber
    record = {"Sns": {"Subject": envelope["Subject"], "Message": envelope["Message"]}}
    answer = handler({"Records": [record]}, Context())

    # Then one Block Kit digest went to the webhook: a section per tag, within Slack's limits
    assert answer == {"posted": 1}
    [sent] = adapter.requests
    body = json.loads(sent.body or b"{}")
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "section", "divider"] + [
        "section"
    ] * len(TAGS)
    assert body["blocks"][4]["text"]["text"].startswith(
        "*<https://www.tiktok.com/tag/brand|#brand>* · campaign BrandX · 📈 rising"
    )
