"""The one SNS publisher (safe subject, string attributes, StorageError), and ops notices."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import boto3

from hashtag_tracker.storage.aws_errors import storage_errors
from hashtag_tracker.storage.errors import StorageError

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

SUBJECT_LIMIT = 99


def ascii_subject(title: str) -> str:
    """An email subject SNS accepts: printable ASCII, one line, under 100 characters.

    Accents are folded (é -> e); a hashtag in another script is percent-encoded, as in its
    TikTok link, rather than dropped. The message body carries the real text.
    """
    folded = unicodedata.normalize("NFKD", title)
    kept = "".join(c for c in folded if not unicodedata.combining(c))
    text = "".join(c if 32 <= ord(c) < 127 else quote(c) for c in kept)
    text = " ".join(text.split())
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."


def string_attributes(
    values: Mapping[str, str | None],
) -> dict[str, MessageAttributeValueTypeDef]:
    """SNS message attributes (String) subscribers filter on; empty values are left out."""
    return {
        name: {"DataType": "String", "StringValue": value}
        for name, value in values.items()
        if value
    }


class SnsTopic:
    """Publishes to one topic: the subject made one SNS accepts, failures as StorageError."""

    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self._client = client or boto3.client("sns")

    def publish(
        self,
        subject: str,
        text: str,
        attributes: Mapping[str, str | None] | None = None,
        *,
        what: str = "publishing to the topic",
        error: type[StorageError] = StorageError,
        message_structure: Literal["json"] | None = None,
    ) -> str:
        """Publish one message; returns its SNS message id. A failure raises `error`
        ("<what> failed: ..."). With message_structure="json", `text` is SNS's per-protocol
        JSON document."""
        request: dict[str, Any] = {
            "TopicArn": self.topic_arn,
            "Subject": ascii_subject(subject),
            "Message": text,
        }
        if attributes:
            request["MessageAttributes"] = string_attributes(attributes)
        if message_structure is not None:
            request["MessageStructure"] = message_structure
        with storage_errors(what, error=error):
            answer = self._client.publish(**request)
        return str(answer.get("MessageId", ""))


class SnsNoticeTopic:
    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self._topic = SnsTopic(topic_arn, client)

    def publish(self, subject: str, text: str) -> None:
        self._topic.publish(
            subject, text, {"rule": "ops", "severity": "warning"}, what="publishing a notice"
        )
