"""The fetch message: one hashtag, one cycle; every redelivery names the same cycle."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.codec import Record, replace, to_json
from hashtag_tracker.models.hashtag import TrackedHashtag


class FetchMessage(Record, frozen=True, kw_only=True, forbid_unknown_fields=True):
    v: Literal[1] = 1
    # The cycle's start, with its UTC offset.
    cycle: Annotated[datetime, Meta(tz=True)]
    # The item as it was when the cycle was planned.
    hashtag: TrackedHashtag
    # Times handed back for want of a call slot.
    deferrals: Annotated[int, Meta(ge=0)] = 0

    @property
    def key(self) -> str:
        """hashtag + cycle: the correlation id in logs and the idempotency key."""
        return f"{self.hashtag.hashtag}@{to_iso(self.cycle)}"

    def body(self) -> str:
        return to_json(self, keep_none=False)

    def deferred(self) -> FetchMessage:
        return replace(self, deferrals=self.deferrals + 1)
