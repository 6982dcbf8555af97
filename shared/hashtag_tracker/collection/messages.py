"""The fetch message: one hashtag, one cycle; every redelivery names the same cycle."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.hashtag import TrackedHashtag


class FetchMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1
    cycle: AwareDatetime = Field(description="the cycle's start, with its UTC offset")
    hashtag: TrackedHashtag = Field(description="the item as it was when the cycle was planned")
    deferrals: int = Field(0, ge=0, description="times handed back for want of a call slot")

    @property
    def key(self) -> str:
        """hashtag + cycle: the correlation id in logs and the idempotency key."""
        return f"{self.hashtag.hashtag}@{to_iso(self.cycle)}"

    def body(self) -> str:
        return self.model_dump_json(exclude_none=True)

    def deferred(self) -> FetchMessage:
        return self.model_copy(update={"deferrals": self.deferrals + 1})
