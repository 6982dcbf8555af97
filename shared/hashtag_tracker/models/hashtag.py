"""A tracked hashtag: its normalised name, kind, campaign group, thresholds and schedule."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from msgspec import Meta, field
from msgspec.structs import force_setattr

from hashtag_tracker.models.codec import (
    DecodeError,
    Record,
    convert,
    describe,
    plain_numbers,
    to_data,
)

MAX_HASHTAG_LENGTH = 100
MAX_CAMPAIGN_LENGTH = 64
# Upper bounds of the thresholds (README, "Thresholds"): far above any real tag, finite.
MAX_VIDEO_THRESHOLD = 10_000_000
MAX_VIEW_THRESHOLD = 1_000_000_000_000
MAX_GROWTH_PCT = 100_000.0

# Unicode categories a hashtag may contain: letters of any script, combining marks
# (Devanagari, Thai ... need them), digits, and the underscore (connector punctuation).
_ALLOWED_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Nd", "Pc"})


class InvalidHashtagError(ValueError):
    """A hashtag name or tracked-hashtag item that cannot be tracked; the message says why."""


def normalise_hashtag(raw: str) -> str:
    """Strip '#', apply NFKC and casefold; raise InvalidHashtagError with a one-line reason.

    >>> normalise_hashtag("#TryBrandX")
    'trybrandx'
    """
    if not isinstance(raw, str):
        raise InvalidHashtagError(f"hashtag must be text, got {type(raw).__name__}")
    text = unicodedata.normalize("NFKC", raw).strip().lstrip("#").strip()
    if not text:
        raise InvalidHashtagError("hashtag is empty")
    text = text.casefold()
    if len(text) > MAX_HASHTAG_LENGTH:
        raise InvalidHashtagError(
            f"hashtag is too long ({len(text)} characters, at most {MAX_HASHTAG_LENGTH})"
        )
    for char in text:
        if char.isspace():
            raise InvalidHashtagError(f"hashtag {raw!r} contains a space; track one tag per item")
        if unicodedata.category(char) not in _ALLOWED_CATEGORIES:
            raise InvalidHashtagError(
                f"hashtag {raw!r} contains {char!r}; only letters, digits and '_' are allowed"
            )
    return text


class HashtagKind(StrEnum):
    CAMPAIGN = "campaign"
    COMPETITOR = "competitor"
    TREND = "trend"


class Thresholds(Record, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Per-hashtag alert thresholds; the defaults and bounds are the documented ones (README).

    Every threshold has an upper and a lower bound (issue 17): an unbounded float let
    `Infinity` through, which msgspec writes as `null` in the fetch message (the worker then
    fails it into the DLQ every cycle), and DynamoDB's numbers stop at about 1e±125.
    """

    # New videos in 6 h that make it viral.
    viral_new_videos: Annotated[int, Meta(ge=1, le=MAX_VIDEO_THRESHOLD)] = 200
    # Views or videos growth % in 6 h.
    viral_growth_pct: Annotated[float, Meta(ge=0.01, le=MAX_GROWTH_PCT)] = 50.0
    # New views in a day: a viral day.
    viral_day_views: Annotated[int, Meta(ge=1, le=MAX_VIEW_THRESHOLD)] = 1_000_000
    # New videos in a day: high participation.
    high_participation_videos: Annotated[int, Meta(ge=1, le=MAX_VIDEO_THRESHOLD)] = 500
    # Fewer new views in a day: low activity.
    low_activity_views: Annotated[int, Meta(ge=0, le=MAX_VIEW_THRESHOLD)] = 1_000
    # Share of negative comments that raises an alert.
    negative_sentiment_share: Annotated[float, Meta(ge=0.001, le=1)] = 0.35
    # Quiet time per rule.
    cooldown_hours: Annotated[int, Meta(ge=1, le=24 * 30)] = 24
    # Quiet time of the lasting-condition rules (low activity, negative comments).
    condition_cooldown_hours: Annotated[int, Meta(ge=1, le=24 * 30)] = 168
    # A spike this many times bigger escalates once.
    escalation_factor: Annotated[float, Meta(ge=1.1, le=100)] = 2.0
    # Polling interval bounds in hours; None: the kind's default (README, "Polling").
    min_interval_hours: Annotated[float, Meta(ge=0.25, le=168)] | None = None
    max_interval_hours: Annotated[float, Meta(ge=0.25, le=168)] | None = None

    def __post_init__(self) -> None:
        low, high = self.min_interval_hours, self.max_interval_hours
        if low is not None and high is not None and high < low:
            raise ValueError(f"max_interval_hours {high:g} is below min_interval_hours {low:g}")


# Characters a campaign may not hold: controls (a line break forges a row in `list` and in
# email text), surrogates, and the Unicode line and paragraph separators.
_REFUSED_IN_TEXT = frozenset({"Cc", "Cs", "Zl", "Zp"})


def _campaign(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_CAMPAIGN_LENGTH:
        raise ValueError(f"campaign is longer than {MAX_CAMPAIGN_LENGTH} characters")
    for char in text:
        if unicodedata.category(char) in _REFUSED_IN_TEXT:
            raise ValueError(
                f"campaign contains {char!r} (a line break or control character); "
                "it must be one line of text"
            )
    return text


class TrackedHashtag(Record, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One item of the Hashtags table, validated."""

    hashtag: str
    kind: HashtagKind = HashtagKind.CAMPAIGN
    # Campaign group shared with competitors.
    campaign: str | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    active: bool = True
    start_date: date | None = None
    end_date: date | None = None
    # The data API's id, cached after lookup.
    hashtag_id: str | None = None
    # e.g. 'not_found' after a 404 from the API.
    status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        force_setattr(self, "hashtag", normalise_hashtag(self.hashtag))
        force_setattr(self, "campaign", _campaign(self.campaign))
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")

    def is_due(self, today: date) -> bool:
        """Active, and inside its optional start/end dates."""
        if not self.active:
            return False
        if self.start_date and today < self.start_date:
            return False
        return not (self.end_date and today > self.end_date)

    @classmethod
    def parse(cls, item: dict[str, Any]) -> TrackedHashtag:
        """Validate a raw item, its problem told in one clear line."""
        try:
            return convert(plain_numbers(item), cls)
        except DecodeError as exc:
            raise InvalidHashtagError(describe_validation_error(exc, item)) from None


def _printable(text: str) -> str:
    return text if text.isprintable() else repr(text)


def describe_validation_error(exc: DecodeError, item: dict[str, Any]) -> str:
    name = item.get("hashtag") if isinstance(item, dict) else None
    # Item keys are free text (a console user may type anything): keep the line one line.
    prefix = f"hashtag item {name!r}" if name is not None else "hashtag item"
    return f"{prefix} is invalid: {_printable(describe(exc))}"


def with_changes(
    hashtag: TrackedHashtag, changes: dict[str, Any], now: datetime | None = None
) -> TrackedHashtag:
    """A validated copy with `changes` applied; `thresholds` changes merge key by key."""
    data = to_data(hashtag)
    for key, value in changes.items():
        if key == "thresholds":
            data["thresholds"] = {**data["thresholds"], **value}
        else:
            data[key] = value
    if now is not None:
        data["updated_at"] = now
    return TrackedHashtag.parse(data)


@dataclass(frozen=True)
class InvalidItem:
    """A stored item that failed validation: reported and skipped, never fatal."""

    key: str
    reason: str


ScanResult = TrackedHashtag | InvalidItem
