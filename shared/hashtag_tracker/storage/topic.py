"""Publishing plain operational notices to the alert topic (alerts proper live in notify/)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from hashtag_tracker.storage.errors import StorageError

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient

SUBJECT_LIMIT = 99


class NoticeTopic:
    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self._client = client or boto3.client("sns")

    def publish(self, subject: str, text: str) -> None:
        try:
            self._client.publish(
                TopicArn=self.topic_arn,
                Subject=subject[:SUBJECT_LIMIT],
                Message=text,
                MessageAttributes={
                    "rule": {"DataType": "String", "StringValue": "ops"},
                    "severity": {"DataType": "String", "StringValue": "warning"},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"publishing a notice failed: {exc}") from exc
