"""What the CLI needs from the tracked-hashtag store (DynamoHashtagStore in storage/)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from hashtag_tracker.models.hashtag import ScanResult, TrackedHashtag


class HashtagStore(Protocol):
    def get(self, name: str) -> TrackedHashtag: ...

    def create(self, hashtag: TrackedHashtag) -> None: ...

    def replace(self, hashtag: TrackedHashtag) -> None:
        """Overwrite an existing item; ItemNotFoundError if it is gone."""

    def delete(self, name: str) -> None: ...

    def scan(self) -> Iterator[ScanResult]:
        """Every item, paginated; invalid ones come back as InvalidItem."""
