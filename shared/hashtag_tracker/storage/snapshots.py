"""The Snapshots table: one item per hashtag and cycle, written once (conditional put)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.codec import convert, to_data
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.storage.aws_errors import storage_errors
from hashtag_tracker.storage.dynamo import (
    conditional_write,
    deserialize_item,
    dynamodb_client,
    serialize_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def snapshot_to_item(snapshot: Snapshot, retention: timedelta) -> dict[str, Any]:
    item: dict[str, Any] = to_data(snapshot)
    item["cycle"] = to_iso(snapshot.cycle)
    item["taken_at"] = to_iso(snapshot.taken_at)
    item["expires_at"] = int((snapshot.cycle + retention).timestamp())
    return item


def item_to_snapshot(item: dict[str, Any]) -> Snapshot:
    data = {k: v for k, v in item.items() if k != "expires_at"}
    return convert(data, Snapshot)


class DynamoSnapshotStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()

    def put(self, snapshot: Snapshot, retention: timedelta) -> bool:
        """Write the cycle's snapshot; False when one is already there (a redelivery)."""
        return conditional_write(
            f"writing snapshot of {snapshot.hashtag!r}",
            lambda: self._client.put_item(
                TableName=self.table_name,
                Item=serialize_item(snapshot_to_item(snapshot, retention)),
                ConditionExpression="attribute_not_exists(hashtag)",
            ),
        )

    def get(self, hashtag: str, cycle: datetime) -> Snapshot | None:
        with storage_errors(f"reading snapshot of {hashtag!r}"):
            answer = self._client.get_item(
                TableName=self.table_name,
                Key={"hashtag": {"S": hashtag}, "cycle": {"S": to_iso(cycle)}},
            )
        if "Item" not in answer:
            return None
        return item_to_snapshot(deserialize_item(answer["Item"]))

    def between(
        self, hashtag: str, since: datetime, until: datetime | None = None
    ) -> list[Snapshot]:
        """Snapshots with since <= cycle (<= until), oldest first: one paginated key query."""
        condition = "hashtag = :h AND cycle >= :since"
        values: dict[str, Any] = {":h": {"S": hashtag}, ":since": {"S": to_iso(since)}}
        if until is not None:
            condition = "hashtag = :h AND cycle BETWEEN :since AND :until"
            values[":until"] = {"S": to_iso(until)}
        paginator = self._client.get_paginator("query")
        snapshots: list[Snapshot] = []
        with storage_errors(f"querying snapshots of {hashtag!r}"):
            for page in paginator.paginate(
                TableName=self.table_name,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
            ):
                snapshots.extend(
                    item_to_snapshot(deserialize_item(raw)) for raw in page.get("Items", [])
                )
        return snapshots

    def latest(self, hashtag: str, before: datetime, limit: int = 12) -> list[Snapshot]:
        """Up to `limit` snapshots before `before`, newest first (one query)."""
        with storage_errors(f"querying snapshots of {hashtag!r}"):
            answer = self._client.query(
                TableName=self.table_name,
                KeyConditionExpression="hashtag = :h AND cycle < :before",
                ExpressionAttributeValues={
                    ":h": {"S": hashtag},
                    ":before": {"S": to_iso(before)},
                },
                ScanIndexForward=False,
                Limit=limit,
            )
        return [item_to_snapshot(deserialize_item(raw)) for raw in answer.get("Items", [])]
