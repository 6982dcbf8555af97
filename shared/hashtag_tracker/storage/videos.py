"""The Videos table: the ledger of every video and creator ever seen per hashtag.

Upserts read the keys first (BatchGetItem) and write in batches (BatchWriteItem), so
first-seen times are never overwritten. The totals (videos and creators ever seen) on the
`summary` item are counted from the items themselves after each write (a COUNT query per
prefix) and SET, never added to (issue 17): a write cut short, retried, or whose answer was
lost and sent again by botocore only puts the same items and sets the same numbers again, so
the totals never count an item twice and, at the next upsert, catch up with every item
written. The report reads them with one GetItem. Ids too long to key are dropped and free
text is bounded (`models.video.bound_video`, `bound_creator`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hashtag_tracker.clock import from_iso, to_iso
from hashtag_tracker.models.codec import convert, replace, to_data
from hashtag_tracker.models.video import (
    DESCRIPTION_CHARS,
    MAX_DESCRIPTION_BYTES,
    LedgerCreator,
    LedgerVideo,
    bound_creator,
    bound_video,
    bounded_text,
)
from hashtag_tracker.observability import logger
from hashtag_tracker.storage.aws_errors import storage_errors
from hashtag_tracker.storage.dynamo import (
    UNPROCESSED_ATTEMPTS,
    batch_put,
    deserialize_item,
    dynamodb_client,
)
from hashtag_tracker.storage.errors import StorageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

GET_BATCH = 100
SUMMARY_SK = "summary"
FIRST_SEEN_INDEX = "ByFirstSeen"
DESCRIPTION_LIMIT = DESCRIPTION_CHARS


@dataclass(frozen=True)
class LedgerUpdate:
    new_videos: tuple[str, ...]
    new_creators: tuple[str, ...]
    videos_total: int
    creators_total: int
    # Videos and creators left out: an id too long to key (models.video.MAX_ID_BYTES).
    dropped: int = 0


def video_key(video_id: str) -> str:
    return f"video#{video_id}"


def creator_key(author_id: str) -> str:
    return f"creator#{author_id}"


def video_to_item(video: LedgerVideo) -> dict[str, Any]:
    item: dict[str, Any] = to_data(video)
    item["sk"] = video_key(video.video_id)
    for key in ("first_seen", "last_seen", "created_at"):
        value = getattr(video, key)
        if value is not None:
            item[key] = to_iso(value)
    if video.description:
        item["description"] = bounded_text(
            video.description[:DESCRIPTION_LIMIT], MAX_DESCRIPTION_BYTES
        )
    return item


def creator_to_item(creator: LedgerCreator) -> dict[str, Any]:
    item: dict[str, Any] = to_data(creator)
    item["sk"] = creator_key(creator.author_id)
    item["first_seen"] = to_iso(creator.first_seen)
    item["last_seen"] = to_iso(creator.last_seen)
    return item


def item_to_ledger(item: dict[str, Any]) -> LedgerVideo | LedgerCreator | None:
    sk = str(item.get("sk", ""))
    data = {k: v for k, v in item.items() if k != "sk"}
    if sk.startswith("video#"):
        return convert(data, LedgerVideo)
    if sk.startswith("creator#"):
        return convert(data, LedgerCreator)
    return None


def _item(entry: LedgerVideo | LedgerCreator, first_seen: datetime) -> dict[str, Any]:
    if isinstance(entry, LedgerVideo):
        return video_to_item(replace(entry, first_seen=first_seen))
    return creator_to_item(replace(entry, first_seen=first_seen))


class DynamoVideoLedger:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        sleep: Any = time.sleep,
    ) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()
        self._sleep = sleep

    def _first_seen(self, hashtag: str, sort_keys: Sequence[str]) -> dict[str, datetime]:
        found: dict[str, datetime] = {}
        unique = list(dict.fromkeys(sort_keys))
        for start in range(0, len(unique), GET_BATCH):
            keys: list[Any] = [
                {"hashtag": {"S": hashtag}, "sk": {"S": sk}}
                for sk in unique[start : start + GET_BATCH]
            ]
            request: Any = {
                self.table_name: {"Keys": keys, "ProjectionExpression": "sk, first_seen"}
            }
            for attempt in range(UNPROCESSED_ATTEMPTS):
                answer = self._client.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self.table_name, []):
                    found[raw["sk"]["S"]] = from_iso(raw["first_seen"]["S"])
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._sleep(min(1.0, 0.05 * 2**attempt))
            if request:
                raise StorageError(f"ledger read of {hashtag!r} left keys unprocessed")
        return found

    def _write(self, items: Sequence[dict[str, Any]]) -> None:
        batch_put(self._client, self.table_name, items, "ledger write", self._sleep)

    def upsert(
        self,
        hashtag: str,
        videos: Sequence[LedgerVideo],
        creators: Sequence[LedgerCreator],
        now: datetime,
    ) -> LedgerUpdate:
        """Record what this cycle saw; keep first-seen times; say what is new."""
        given = len(videos) + len(creators)
        videos = [b for b in (bound_video(v) for v in videos) if b is not None]
        creators = [b for b in (bound_creator(c) for c in creators) if b is not None]
        dropped = given - len(videos) - len(creators)
        if dropped:
            logger.warning("ledger entries with unkeyable ids dropped", extra={"count": dropped})
        videos = list({v.video_id: v for v in videos}.values())
        creators = list({c.author_id: c for c in creators}.values())
        if not videos and not creators:
            return LedgerUpdate((), (), *self.totals(hashtag), dropped=dropped)
        with storage_errors(f"ledger upsert of {hashtag!r}"):
            seen = self._first_seen(
                hashtag,
                [video_key(v.video_id) for v in videos]
                + [creator_key(c.author_id) for c in creators],
            )
            items: list[dict[str, Any]] = []
            new_videos: list[str] = []
            new_creators: list[str] = []
            for video in videos:
                first = seen.get(video_key(video.video_id))
                if first is None:
                    new_videos.append(video.video_id)
                items.append(_item(video, first or now))
            for creator in creators:
                first = seen.get(creator_key(creator.author_id))
                if first is None:
                    new_creators.append(creator.author_id)
                items.append(_item(creator, first or now))
            self._write(items)
            totals = self._count(hashtag)
            self._store_totals(hashtag, totals, now)
        return LedgerUpdate(tuple(new_videos), tuple(new_creators), *totals, dropped=dropped)

    def _count(self, hashtag: str) -> tuple[int, int]:
        """(video items, creator items) of a hashtag: strongly consistent COUNT queries,
        paginated (each page reads up to 1 MB of the ledger; once per page of videos)."""
        paginator = self._client.get_paginator("query")
        counts: list[int] = []
        for prefix in ("video#", "creator#"):
            total = 0
            for page in paginator.paginate(
                TableName=self.table_name,
                KeyConditionExpression="hashtag = :h AND begins_with(sk, :p)",
                ExpressionAttributeValues={":h": {"S": hashtag}, ":p": {"S": prefix}},
                Select="COUNT",
                ConsistentRead=True,
            ):
                total += int(page.get("Count", 0))
            counts.append(total)
        return counts[0], counts[1]

    def _store_totals(self, hashtag: str, totals: tuple[int, int], now: datetime) -> None:
        """SET the counted totals (a plain SET: it also mends totals an earlier release's
        ADD left too low or too high)."""
        self._client.update_item(
            TableName=self.table_name,
            Key={"hashtag": {"S": hashtag}, "sk": {"S": SUMMARY_SK}},
            UpdateExpression="SET videos_total = :v, creators_total = :c, updated_at = :now",
            ExpressionAttributeValues={
                ":v": {"N": str(totals[0])},
                ":c": {"N": str(totals[1])},
                ":now": {"S": to_iso(now)},
            },
        )

    def totals(self, hashtag: str) -> tuple[int, int]:
        """(videos ever seen, creators ever seen) from the summary item (see the module)."""
        with storage_errors(f"reading ledger totals of {hashtag!r}"):
            answer = self._client.get_item(
                TableName=self.table_name,
                Key={"hashtag": {"S": hashtag}, "sk": {"S": SUMMARY_SK}},
            )
        item = answer.get("Item", {})
        return (
            int(item.get("videos_total", {}).get("N", "0")),
            int(item.get("creators_total", {}).get("N", "0")),
        )

    def entries(self, hashtag: str, prefix: str) -> list[LedgerVideo | LedgerCreator]:
        """Every ledger item of a hashtag under `prefix` ('video#' or 'creator#')."""
        paginator = self._client.get_paginator("query")
        found: list[LedgerVideo | LedgerCreator] = []
        with storage_errors(f"reading the ledger of {hashtag!r}"):
            for page in paginator.paginate(
                TableName=self.table_name,
                KeyConditionExpression="hashtag = :h AND begins_with(sk, :p)",
                ExpressionAttributeValues={":h": {"S": hashtag}, ":p": {"S": prefix}},
            ):
                for raw in page.get("Items", []):
                    entry = item_to_ledger(deserialize_item(raw))
                    if entry is not None:
                        found.append(entry)
        return found

    def first_seen_since(
        self, hashtag: str, since: datetime
    ) -> tuple[list[LedgerVideo], list[LedgerCreator]]:
        """Videos and creators first seen at or after `since`: one query on the GSI."""
        paginator = self._client.get_paginator("query")
        videos: list[LedgerVideo] = []
        creators: list[LedgerCreator] = []
        with storage_errors(f"querying new ledger entries of {hashtag!r}"):
            for page in paginator.paginate(
                TableName=self.table_name,
                IndexName=FIRST_SEEN_INDEX,
                KeyConditionExpression="hashtag = :h AND first_seen >= :since",
                ExpressionAttributeValues={":h": {"S": hashtag}, ":since": {"S": to_iso(since)}},
            ):
                for raw in page.get("Items", []):
                    entry = item_to_ledger(deserialize_item(raw))
                    if isinstance(entry, LedgerVideo):
                        videos.append(entry)
                    elif isinstance(entry, LedgerCreator):
                        creators.append(entry)
        return videos, creators
