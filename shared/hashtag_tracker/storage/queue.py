"""The fetch queue: one message per hashtag and cycle (SendMessageBatch, ten at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from hashtag_tracker.storage.aws_errors import storage_errors
from hashtag_tracker.storage.errors import StorageError

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

SQS_BATCH = 10
MAX_DELAY_SECONDS = 900
_RESEND_ATTEMPTS = 3
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


class SqsFetchQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self.queue_url = queue_url
        self._client = client or boto3.client("sqs", config=_CONFIG)

    def send_bodies(self, bodies: Sequence[str], delay_seconds: int = 0) -> int:
        """Send every body, retrying entries SQS refused; raise if some never went."""
        delay = max(0, min(MAX_DELAY_SECONDS, delay_seconds))
        sent = 0
        for start in range(0, len(bodies), SQS_BATCH):
            pending = {str(i): body for i, body in enumerate(bodies[start : start + SQS_BATCH])}
            for _ in range(_RESEND_ATTEMPTS):
                if not pending:
                    break
                with storage_errors("sending to the fetch queue"):
                    answer = self._client.send_message_batch(
                        QueueUrl=self.queue_url,
                        Entries=[
                            {"Id": key, "MessageBody": body, "DelaySeconds": delay}
                            for key, body in pending.items()
                        ],
                    )
                for ok in answer.get("Successful", []):
                    pending.pop(ok["Id"], None)
                    sent += 1
            if pending:
                raise StorageError(
                    f"{len(pending)} message(s) could not be sent to the fetch queue"
                )
        return sent

    def depth(self) -> int:
        """Messages waiting, in flight and delayed (SQS's approximate counts): one request."""
        with storage_errors("reading the fetch queue's depth"):
            answer = self._client.get_queue_attributes(
                QueueUrl=self.queue_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )
        values = answer.get("Attributes", {}).values()
        return sum(int(value) for value in values if value.isdigit())
