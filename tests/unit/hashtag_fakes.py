"""An in-memory Hashtags table for unit tests; keeps raw items so invalid ones can be planted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hashtag_tracker.models.hashtag import (
    InvalidHashtagError,
    InvalidItem,
    ScanResult,
    TrackedHashtag,
)
from hashtag_tracker.storage.errors import ItemExistsError, ItemNotFoundError
from hashtag_tracker.storage.hashtags import hashtag_to_item


class InMemoryHashtagStore:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> TrackedHashtag:
        if name not in self.items:
            raise ItemNotFoundError(f"hashtag {name!r} is not tracked")
        return TrackedHashtag.parse(self.items[name])

    def create(self, hashtag: TrackedHashtag) -> None:
        if hashtag.hashtag in self.items:
            raise ItemExistsError(f"hashtag {hashtag.hashtag!r} is already tracked")
        self.items[hashtag.hashtag] = hashtag_to_item(hashtag)

    def replace(self, hashtag: TrackedHashtag) -> None:
        if hashtag.hashtag not in self.items:
            raise ItemNotFoundError(f"hashtag {hashtag.hashtag!r} is not tracked")
        self.items[hashtag.hashtag] = hashtag_to_item(hashtag)

    def delete(self, name: str) -> None:
        if self.items.pop(name, None) is None:
            raise ItemNotFoundError(f"hashtag {name!r} is not tracked")

    def mark_status(self, name: str, status: str) -> None:
        if name in self.items:
            self.items[name] = {**self.items[name], "status": status}

    def scan(self) -> Iterator[ScanResult]:
        for key, raw in list(self.items.items()):
            try:
                yield TrackedHashtag.parse(raw)
            except InvalidHashtagError as exc:
                yield InvalidItem(key=key, reason=str(exc))
