"""A tracked hashtag: its normalised name, kind, campaign group, thresholds and schedule."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MAX_HASHTAG_LENGTH = 100
MAX_CAMPAIGN_LENGTH = 64

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


class Thresholds(BaseModel):
    """Per-hashtag alert thresholds; the defaults are the documented ones (README)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    viral_new_videos: int = Field(200, ge=1, description="new videos in 6 h that make it viral")
    viral_growth_pct: float = Field(50.0, gt=0, description="views or videos growth % in 6 h")
    viral_day_views: int = Field(1_000_000, ge=1, description="new views in a day: viral day")
    high_participation_videos: int = Field(500, ge=1, description="new videos in a day")
    low_activity_views: int = Field(1_000, ge=0, description="fewer new views in a day: low")
    negative_sentiment_share: float = Field(
        0.35, gt=0, le=1, description="share of negative comments that raises an alert"
    )
    cooldown_hours: int = Field(24, ge=1, le=24 * 30, description="quiet time per rule")
    condition_cooldown_hours: int = Field(
        168,
        ge=1,
        le=24 * 30,
        description="quiet time of the lasting-condition rules (low activity, negative comments)",
    )
    escalation_factor: float = Field(
        2.0, ge=1.1, le=100, description="a spike this many times bigger escalates once"
    )


class TrackedHashtag(BaseModel):
    """One item of the Hashtags table, validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hashtag: str
    kind: HashtagKind = HashtagKind.CAMPAIGN
    campaign: str | None = Field(None, description="campaign group shared with competitors")
    thresholds: Thresholds = Field(default_factory=Thresholds)
    active: bool = True
    start_date: date | None = None
    end_date: date | None = None
    hashtag_id: str | None = Field(None, description="the data API's id, cached after lookup")
    status: str | None = Field(None, description="e.g. 'not_found' after a 404 from the API")
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("hashtag", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> str:
        return normalise_hashtag(value)

    @field_validator("campaign", mode="before")
    @classmethod
    def _campaign(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("campaign must be text")
        text: str = value.strip()
        if not text:
            return None
        if len(text) > MAX_CAMPAIGN_LENGTH:
            raise ValueError(f"campaign is longer than {MAX_CAMPAIGN_LENGTH} characters")
        return text

    @model_validator(mode="after")
    def _dates_in_order(self) -> TrackedHashtag:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        return self

    def is_due(self, today: date) -> bool:
        """Active, and inside its optional start/end dates."""
        if not self.active:
            return False
        if self.start_date and today < self.start_date:
            return False
        return not (self.end_date and today > self.end_date)

    @classmethod
    def parse(cls, item: dict[str, Any]) -> TrackedHashtag:
        """Validate a raw item, turning pydantic's report into one clear line."""
        try:
            return cls.model_validate(item)
        except ValidationError as exc:
            raise InvalidHashtagError(describe_validation_error(exc, item)) from None


def _printable(text: str) -> str:
    return text if text.isprintable() else repr(text)


def describe_validation_error(exc: ValidationError, item: dict[str, Any]) -> str:
    name = item.get("hashtag") if isinstance(item, dict) else None
    parts = []
    for error in exc.errors():
        # Item keys are free text (a console user may type anything): keep the line one line.
        where = ".".join(_printable(str(p)) for p in error["loc"]) or "item"
        message = _printable(str(error["msg"]).removeprefix("Value error, "))
        parts.append(f"{where}: {message}")
    prefix = f"hashtag item {name!r}" if name is not None else "hashtag item"
    return f"{prefix} is invalid: " + "; ".join(parts)


def with_changes(
    hashtag: TrackedHashtag, changes: dict[str, Any], now: datetime | None = None
) -> TrackedHashtag:
    """A validated copy with `changes` applied; `thresholds` changes merge key by key."""
    data = hashtag.model_dump(mode="python")
    for key, value in changes.items():
        if key == "thresholds":
            data["thresholds"] = {**data["thresholds"], **value}
        else:
            data[key] = value
    if now is not None:
        data["updated_at"] = now
    return TrackedHashtag.parse(data)
