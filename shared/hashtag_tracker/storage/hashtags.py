"""The Hashtags table: tracked-hashtag items that users edit (CLI, console, put-item)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.codec import to_data
from hashtag_tracker.models.hashtag import (
    InvalidHashtagError,
    InvalidItem,
    ScanResult,
    TrackedHashtag,
)
from hashtag_tracker.storage.aws_errors import storage_errors
from hashtag_tracker.storage.dynamo import deserialize_item, dynamodb_client, serialize_item
from hashtag_tracker.storage.errors import ItemExistsError, ItemNotFoundError, StorageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# Items per scan request. Without a Limit one request returns up to 1 MB (about 5,000 small
# items), so its time grows with the table: the emulator took longer than the client's 5 s
# read timeout for one such page on a loaded 2-core machine (issue 19), and on DynamoDB a
# large page also holds the scheduler's memory and time. 500 items is one fan-out chunk.
SCAN_PAGE_ITEMS = 500
# Keys per BatchGetItem request (DynamoDB's limit).
BATCH_GET_KEYS = 100


def hashtag_to_item(hashtag: TrackedHashtag) -> dict[str, Any]:
    """The documented item shape (README: 'Raw item shape')."""
    item: dict[str, Any] = to_data(hashtag)
    for key in ("created_at", "updated_at"):
        when = getattr(hashtag, key)
        if when is not None:
            item[key] = to_iso(when)
    return item


class DynamoHashtagStore:
    """The Hashtags table (DynamoDB); the CLI's HashtagStore port."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()

    def get(self, name: str) -> TrackedHashtag:
        with storage_errors(f"reading hashtag {name!r}"):
            answer = self._client.get_item(
                TableName=self.table_name,
                Key={"hashtag": {"S": name}},
                ConsistentRead=True,
            )
        if "Item" not in answer:
            raise ItemNotFoundError(f"hashtag {name!r} is not tracked")
        return TrackedHashtag.parse(deserialize_item(answer["Item"]))

    def _put(self, hashtag: TrackedHashtag, condition: str, on_fail: StorageError) -> None:
        with storage_errors(f"writing hashtag {hashtag.hashtag!r}", on_condition=on_fail):
            self._client.put_item(
                TableName=self.table_name,
                Item=serialize_item(hashtag_to_item(hashtag)),
                ConditionExpression=condition,
            )

    def create(self, hashtag: TrackedHashtag) -> None:
        self._put(
            hashtag,
            "attribute_not_exists(hashtag)",
            ItemExistsError(f"hashtag {hashtag.hashtag!r} is already tracked"),
        )

    def replace(self, hashtag: TrackedHashtag) -> None:
        self._put(
            hashtag,
            "attribute_exists(hashtag)",
            ItemNotFoundError(f"hashtag {hashtag.hashtag!r} is not tracked"),
        )

    def delete(self, name: str) -> None:
        with storage_errors(
            f"removing hashtag {name!r}",
            on_condition=ItemNotFoundError(f"hashtag {name!r} is not tracked"),
        ):
            self._client.delete_item(
                TableName=self.table_name,
                Key={"hashtag": {"S": name}},
                ConditionExpression="attribute_exists(hashtag)",
            )

    def mark_status(self, name: str, status: str) -> None:
        # A refused condition: removed meanwhile, nothing to mark.
        with storage_errors(f"marking hashtag {name!r}", on_condition=True):
            self._client.update_item(
                TableName=self.table_name,
                Key={"hashtag": {"S": name}},
                UpdateExpression="SET #s = :s",
                ConditionExpression="attribute_exists(hashtag)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": status}},
            )

    def current_items(self, names: Sequence[str]) -> dict[str, ScanResult | None]:
        """The items of `names` as they are now, in one BatchGetItem (at most 100 names, an
        SQS batch's worth): name -> item (an InvalidItem if it no longer reads), None when
        there is no such item. Keys DynamoDB left unprocessed are left out (unknown), not
        retried: the caller proceeds without knowing rather than spend another request."""
        keys = list(dict.fromkeys(names))[:BATCH_GET_KEYS]
        if not keys:
            return {}
        with storage_errors(f"reading {len(keys)} hashtag items"):
            answer = self._client.batch_get_item(
                RequestItems={
                    self.table_name: {
                        "Keys": [{"hashtag": {"S": name}} for name in keys],
                        "ConsistentRead": True,
                    }
                }
            )
        found: dict[str, ScanResult | None] = {}
        for raw in answer.get("Responses", {}).get(self.table_name, []):
            found[str(raw.get("hashtag", {}).get("S", ""))] = parse_item(raw)
        left: Any = answer.get("UnprocessedKeys") or {}
        unknown = {
            str(key.get("hashtag", {}).get("S", ""))
            for key in left.get(self.table_name, {}).get("Keys", [])
        }
        for name in keys:
            if name not in found and name not in unknown:
                found[name] = None
        return found

    def scan(self) -> Iterator[ScanResult]:
        paginator = self._client.get_paginator("scan")
        with storage_errors(f"scanning {self.table_name}"):
            for page in paginator.paginate(
                TableName=self.table_name, PaginationConfig={"PageSize": SCAN_PAGE_ITEMS}
            ):
                for raw in page.get("Items", []):
                    yield parse_item(raw)


def parse_item(raw: dict[str, Any]) -> ScanResult:
    """One raw DynamoDB item -> a TrackedHashtag, or an InvalidItem saying why.

    An item whose stored key is not its normalised name (`#TryBrandX`, `ＴｒｙＢｒａｎｄＸ`,
    typed by hand) is invalid too: read as `trybrandx` it would be a second name for that
    hashtag, polled twice a cycle and reported twice, and no command given the name could
    reach it (issue 17). Its reason names the normalised key and the way out.
    """
    key_attr = raw.get("hashtag", {})
    key = str(next(iter(key_attr.values()), "?")) if isinstance(key_attr, dict) else "?"
    try:
        item = deserialize_item(raw)
        hashtag = TrackedHashtag.parse(item)
    except InvalidHashtagError as exc:
        return InvalidItem(key=key, reason=str(exc))
    except (TypeError, ValueError) as exc:  # an attribute type the deserializer cannot read
        return InvalidItem(key=key, reason=f"hashtag item {key!r} is unreadable: {exc}")
    if item.get("hashtag") != hashtag.hashtag:
        return InvalidItem(key=key, reason=key_not_normalised(key, hashtag.hashtag))
    return hashtag


def key_not_normalised(key: str, name: str) -> str:
    """The one-line reason for an item stored under a key that is not its normalised name."""
    return (
        f"hashtag item {key!r} is invalid: its key is not normalised (the tracker's name is "
        f"{name!r}); move it with `hashtag-tracker fix-key {key!r}` or remove it with "
        f"`hashtag-tracker remove --raw-key {key!r}`"
    )
