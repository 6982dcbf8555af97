"""The polling plan in the State table: one record per tag (partition "plan", written by the
worker after each reading), one in-flight mark per tag sent (partition "inflight", written
by the scheduler), and the rate limit the provider's headers reported.

A tick reads the whole plan in one paginated Query per partition (about 10,000 records per
1 MB page), never one request per tag.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hashtag_tracker.clock import from_iso, to_iso
from hashtag_tracker.models.codec import DecodeError, convert, to_data
from hashtag_tracker.models.plan import InFlight, PlanEntry, TickFigures
from hashtag_tracker.observability import logger
from hashtag_tracker.storage.aws_errors import storage_errors
from hashtag_tracker.storage.dynamo import batch_put, deserialize_item, dynamodb_client
from hashtag_tracker.storage.state import BUDGET_PK, RATE_PK

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PLAN_PK = "plan"
INFLIGHT_PK = "inflight"
# The rate-limit record's sort key for the limit the provider's X-RateLimit-Limit said.
HEADER_SK = "header"
# Plan records outlive any interval; a removed tag's record ends by itself.
PLAN_TTL = timedelta(days=30)


def entry_to_item(entry: PlanEntry) -> dict[str, Any]:
    item: dict[str, Any] = to_data(entry)
    item["next_due"] = to_iso(entry.next_due)
    for name in ("last_poll", "alerted_at"):
        value = getattr(entry, name)
        if value is not None:
            item[name] = to_iso(value)
    base = entry.last_poll or entry.next_due
    item |= {"pk": PLAN_PK, "sk": entry.hashtag, "expires_at": int((base + PLAN_TTL).timestamp())}
    return item


def item_to_entry(item: dict[str, Any]) -> PlanEntry:
    data = {k: v for k, v in item.items() if k not in ("pk", "sk", "expires_at")}
    return convert(data, PlanEntry)


class DynamoPlanStore:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()
        self._sleep = sleep

    def _partition(self, pk: str) -> list[dict[str, Any]]:
        paginator = self._client.get_paginator("query")
        items: list[dict[str, Any]] = []
        with storage_errors(f"reading the {pk} records"):
            for page in paginator.paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
            ):
                items.extend(deserialize_item(raw) for raw in page.get("Items", []))
        return items

    def read_all(self) -> dict[str, PlanEntry]:
        """Every tag's plan; a record that no longer reads is logged and left out (its tag
        is then planned as a new one)."""
        entries: dict[str, PlanEntry] = {}
        for item in self._partition(PLAN_PK):
            try:
                entry = item_to_entry(item)
            except (DecodeError, ValueError) as exc:
                logger.warning(
                    "unreadable plan record skipped",
                    extra={"item": str(item.get("sk"))[:100], "error": str(exc)[:200]},
                )
                continue
            entries[entry.hashtag] = entry
        return entries

    def in_flight(self) -> dict[str, InFlight]:
        """The tags sent at a tick and not answered yet (marks past `until` included; the
        caller compares)."""
        marks: dict[str, InFlight] = {}
        for item in self._partition(INFLIGHT_PK):
            try:
                marks[str(item["sk"])] = InFlight(from_iso(item["tick"]), from_iso(item["until"]))
            except (KeyError, TypeError, ValueError):
                continue
        return marks

    def put_entries(self, entries: Sequence[PlanEntry]) -> None:
        """Write plan records in batches of 25 (the worker's batch end)."""
        if entries:
            items = [entry_to_item(e) for e in entries]
            batch_put(self._client, self.table_name, items, "writing plan records", self._sleep)

    def mark_in_flight(self, hashtags: Sequence[str], tick: datetime, until: datetime) -> None:
        """Mark the tags sent at `tick` as in flight until `until` (batches of 25)."""
        expires = int((until + timedelta(days=1)).timestamp())
        items = [
            {
                "pk": INFLIGHT_PK,
                "sk": name,
                "tick": to_iso(tick),
                "until": to_iso(until),
                "expires_at": expires,
            }
            for name in hashtags
        ]
        if items:
            batch_put(self._client, self.table_name, items, "marking polls in flight", self._sleep)

    def tick_figures(self, month: str) -> TickFigures:
        """The month's credits so far and the provider's reported rate limit: one request."""
        keys = [
            {"pk": {"S": BUDGET_PK}, "sk": {"S": month}},
            {"pk": {"S": RATE_PK}, "sk": {"S": HEADER_SK}},
        ]
        with storage_errors("reading the month's credits and the reported rate limit"):
            answer = self._client.batch_get_item(
                RequestItems={self.table_name: {"Keys": keys, "ConsistentRead": True}}
            )
        spent, limit = 0, None
        for raw in answer.get("Responses", {}).get(self.table_name, []):
            item = deserialize_item(raw)
            if item.get("pk") == BUDGET_PK:
                spent = int(item.get("spent", 0))
            elif "limit" in item:
                limit = int(item["limit"])
        return TickFigures(spent, limit)

    def save_header_limit(self, limit: int, now: datetime) -> None:
        """Keep the rate limit the provider's X-RateLimit-Limit header reported."""
        with storage_errors("keeping the reported rate limit"):
            self._client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": RATE_PK},
                    "sk": {"S": HEADER_SK},
                    "limit": {"N": str(limit)},
                    "seen_at": {"S": to_iso(now)},
                },
            )
