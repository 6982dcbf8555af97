"""Low-level DynamoDB helpers: client creation and plain-Python <-> attribute-value mapping."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config

from hashtag_tracker.models.codec import plain_numbers
from hashtag_tracker.storage.aws_errors import error_code, storage_errors
from hashtag_tracker.storage.errors import StorageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = [
    "batch_put",
    "conditional_write",
    "deserialize_item",
    "dynamodb_client",
    "error_code",
    "serialize_item",
]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Standard retry mode retries throttling with backoff; adaptive would also rate-limit locally.
# No client-side parameter validation: DynamoDB validates every request itself (a bad one is
# a ValidationException, a StorageError here like any other), and botocore's walk over each
# attribute value cost a third of a 25-item BatchWriteItem's CPU (bench/RESULTS.md).
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=3,
    read_timeout=5,
    parameter_validation=False,
)


def dynamodb_client() -> DynamoDBClient:
    """A DynamoDB client; AWS_ENDPOINT_URL (set by the local stack) points it at moto."""
    return boto3.client("dynamodb", config=_CONFIG)


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str, Decimal)):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_to_dynamo(v) for v in value]
    return value


def serialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain dict -> DynamoDB attribute values; None values are left out, floats become N."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values -> plain dict with ints and floats instead of Decimal."""
    return {k: plain_numbers(_deserializer.deserialize(v)) for k, v in item.items()}


def conditional_write(what: str, write: Callable[[], object]) -> bool:
    """Run one conditional write: True if applied, False if its condition did not hold;
    any other failure is a StorageError naming `what`."""
    with storage_errors(what, on_condition=True) as refused:
        write()
    return not refused


# DynamoDB's most items per BatchWriteItem, and how often unprocessed ones are sent again.
WRITE_BATCH = 25
UNPROCESSED_ATTEMPTS = 6


def batch_put(
    client: DynamoDBClient,
    table: str,
    items: Sequence[Mapping[str, Any]],
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Put `items` (plain dicts) in batches of 25, resending what DynamoDB left unprocessed
    with a short backoff; StorageError naming `what` when some are still left."""
    for start in range(0, len(items), WRITE_BATCH):
        request: Any = {
            table: [
                {"PutRequest": {"Item": serialize_item(item)}}
                for item in items[start : start + WRITE_BATCH]
            ]
        }
        with storage_errors(what):
            for attempt in range(UNPROCESSED_ATTEMPTS):
                answer = client.batch_write_item(RequestItems=request)
                request = answer.get("UnprocessedItems") or {}
                if not request:
                    break
                sleep(min(1.0, 0.05 * 2**attempt))
        if request:
            raise StorageError(f"{what} left items unprocessed")
