"""Answers of the collection's bookkeeping stores (rate-limit slots, fetch claims)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlotAnswer:
    """A rate-limit slot reservation: granted at `slot_ms`, or refused with the holder's value."""

    granted: bool
    observed_ms: int | None


@dataclass(frozen=True)
class ClaimAnswer:
    """Fetch claims taken together: those now ours, and those another worker holds; any key
    in neither was not decided (claim it alone)."""

    granted: frozenset[str]
    refused: frozenset[str]
