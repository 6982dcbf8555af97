"""The fetch message: one hashtag, one cycle; every redelivery names the same cycle.

Its size is bounded (issue 17): SQS takes at most 256 KiB per message and per batch of ten,
and the scheduler sends batches of ten, so a body must stay under a tenth of that. The item's
free-text fields the worker never reads from the message (`status`, `hashtag_id`) are left
out when longer than MAX_ITEM_TEXT_BYTES; every other field of a valid item is bounded by its
own validation (name 100 characters, campaign 64, thresholds numbers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta
from msgspec.structs import force_setattr

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.codec import Record, replace, to_json
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.plan import PlanEntry

# SQS's limit per message and per SendMessageBatch request.
SQS_MAX_BYTES = 256 * 1024
# A body's most: ten of them fit one batch request, with room for the request's own fields.
MAX_BODY_BYTES = SQS_MAX_BYTES // 10 - 1024
# `status` and `hashtag_id` longer than this are not copied into the message.
MAX_ITEM_TEXT_BYTES = 256


def _fits(text: str | None) -> bool:
    return text is None or len(text.encode("utf-8", "replace")) <= MAX_ITEM_TEXT_BYTES


def message_item(item: TrackedHashtag) -> TrackedHashtag:
    """The item as a message carries it: `status` / `hashtag_id` dropped when too long."""
    if _fits(item.status) and _fits(item.hashtag_id):
        return item
    return replace(
        item,
        status=item.status if _fits(item.status) else None,
        hashtag_id=item.hashtag_id if _fits(item.hashtag_id) else None,
    )


class FetchMessage(Record, frozen=True, kw_only=True, forbid_unknown_fields=True):
    v: Literal[1] = 1
    # The cycle's start, with its UTC offset.
    cycle: Annotated[datetime, Meta(tz=True)]
    # The item as it was when the cycle was planned.
    hashtag: TrackedHashtag
    # Times handed back for want of a call slot.
    deferrals: Annotated[int, Meta(ge=0)] = 0
    # Calls the planner budgeted beyond the stats call (the daily sample's pages, a
    # campaign's jump page); None: the fetch policy alone decides (messages of old releases).
    page_calls: Annotated[int, Meta(ge=0, le=100)] | None = None
    # The tag's plan when it was sent: the worker moves its interval from there.
    plan: PlanEntry | None = None

    def __post_init__(self) -> None:
        force_setattr(self, "hashtag", message_item(self.hashtag))

    @property
    def key(self) -> str:
        """hashtag + cycle: the correlation id in logs and the idempotency key."""
        return f"{self.hashtag.hashtag}@{to_iso(self.cycle)}"

    def body(self) -> str:
        """The JSON body; at most MAX_BODY_BYTES for any valid item (see the module)."""
        return to_json(self, keep_none=False)

    def deferred(self) -> FetchMessage:
        return replace(self, deferrals=self.deferrals + 1)
