"""SnsTopic: the one SNS publisher, and the three publishers that go through it."""

from __future__ import annotations

from typing import Any, cast

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from hashtag_tracker.models.hashtag import HashtagKind
from hashtag_tracker.rules.alert import Alert, AlertRule, Severity
from hashtag_tracker.storage.alerts import AlertPublishError, SnsAlertPublisher
from hashtag_tracker.storage.errors import StorageError
from hashtag_tracker.storage.reports import SnsReportTopic
from hashtag_tracker.storage.topic import SUBJECT_LIMIT, SnsNoticeTopic, SnsTopic, ascii_subject
from tests.unit.rules.builders import at

TOPIC = "arn:aws:sns:us-east-1:123456789012:AlertTopic"


def viral() -> Alert:
    return Alert(
        hashtag="trybrandx",
        rule=AlertRule.VIRAL,
        window=at(6).strftime("%Y-%m-%dT%H:%M:%SZ"),
        at=at(6),
        severity=Severity.WARNING,
        kind=HashtagKind.CAMPAIGN,
        campaign="BrandX",
        metrics={"new_videos": 300},
        summary="#trybrandx is taking off.",
        magnitude=1.5,
        cooldown_hours=24,
    )


class FakeSns:
    def __init__(self, exc: BaseException | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.exc = exc

    def publish(self, **request: Any) -> dict[str, Any]:
        if self.exc is not None:
            raise self.exc
        self.sent.append(request)
        return {"MessageId": f"m-{len(self.sent)}"}


def test_a_publish_sends_a_safe_subject_string_attributes_and_returns_the_id() -> None:
    sns = FakeSns()
    topic = SnsTopic(TOPIC, cast(Any, sns))

    message_id = topic.publish("Été\non #日本", "body", {"rule": "ops", "campaign": None})

    assert message_id == "m-1"
    assert sns.sent == [
        {
            "TopicArn": TOPIC,
            "Subject": "Ete%0Aon #%E6%97%A5%E6%9C%AC",
            "Message": "body",
            "MessageAttributes": {"rule": {"DataType": "String", "StringValue": "ops"}},
        }
    ]


def test_a_long_subject_is_cut_under_the_limit() -> None:
    subject = ascii_subject("x" * 150)
    assert len(subject) == SUBJECT_LIMIT < 100
    assert subject.endswith("...")


def test_a_json_structured_message_says_so() -> None:
    sns = FakeSns()
    SnsTopic(TOPIC, cast(Any, sns)).publish("s", "{}", message_structure="json")
    assert sns.sent[0]["MessageStructure"] == "json"
    assert "MessageAttributes" not in sns.sent[0]


@pytest.mark.parametrize(
    "failure",
    [
        ClientError(cast(Any, {"Error": {"Code": "NotFound", "Message": "no topic"}}), "Publish"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"),
    ],
)
def test_a_failed_publish_is_the_caller_s_error(failure: Exception) -> None:
    topic = SnsTopic(TOPIC, cast(Any, FakeSns(failure)))
    with pytest.raises(StorageError, match=r"^publishing x failed: ") as raised:
        topic.publish("s", "t", what="publishing x")
    assert raised.value.__cause__ is failure
    with pytest.raises(AlertPublishError):
        topic.publish("s", "t", error=AlertPublishError)


def test_the_three_publishers_send_what_they_sent_before() -> None:
    sns = FakeSns()
    SnsNoticeTopic(TOPIC, cast(Any, sns)).publish("Data API key refused", "text")
    SnsReportTopic(TOPIC, cast(Any, sns)).publish_summary("Weekly hashtag report 2026-11-23", "s")
    assert SnsAlertPublisher(TOPIC, cast(Any, sns)).publish(viral()) == "m-3"

    notice, report, alert = sns.sent
    assert notice["Subject"] == "Data API key refused"
    assert notice["MessageAttributes"] == {
        "rule": {"DataType": "String", "StringValue": "ops"},
        "severity": {"DataType": "String", "StringValue": "warning"},
    }
    assert report["Subject"] == "Weekly hashtag report 2026-11-23"
    assert report["MessageAttributes"] == {
        "rule": {"DataType": "String", "StringValue": "weekly_report"},
        "severity": {"DataType": "String", "StringValue": "info"},
    }
    assert alert["Subject"] == "Viral moment on #trybrandx"
    assert alert["MessageStructure"] == "json"
    assert set(alert["MessageAttributes"]) == {"hashtag", "rule", "severity", "kind", "campaign"}


def test_each_publisher_names_its_failure() -> None:
    down = FakeSns(EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"))
    with pytest.raises(StorageError, match=r"^publishing a notice failed: "):
        SnsNoticeTopic(TOPIC, cast(Any, down)).publish("s", "t")
    with pytest.raises(StorageError, match=r"^publishing the report summary failed: "):
        SnsReportTopic(TOPIC, cast(Any, down)).publish_summary("s", "t")
    with pytest.raises(AlertPublishError, match=r"^publishing alert '.*' failed: "):
        SnsAlertPublisher(TOPIC, cast(Any, down)).publish(viral())
