"""Settings parsed once from the environment into a typed model; a missing one fails at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated

from msgspec import Meta, field

from hashtag_tracker.models.codec import DecodeError, Record, convert, describe


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; the message names it."""


class Settings(Record, frozen=True, kw_only=True):
    hashtags_table: str = field(name="HASHTAGS_TABLE")
    snapshots_table: str = field(name="SNAPSHOTS_TABLE")
    videos_table: str = field(name="VIDEOS_TABLE")
    state_table: str = field(name="STATE_TABLE")
    fetch_queue_url: str = field(name="FETCH_QUEUE_URL", default="")
    alert_topic_arn: str = field(name="ALERT_TOPIC_ARN", default="")
    reports_bucket: str = field(name="REPORTS_BUCKET", default="")
    api_base_url: str = field(name="API_BASE_URL", default="https://api.scavio.dev")
    api_key_secret: str = field(name="API_KEY_SECRET", default="hashtag-tracker/scavio-api-key")
    slack_webhook_secret: str = field(name="SLACK_WEBHOOK_SECRET", default="")
    rate_limit_per_minute: Annotated[int, Meta(ge=1, le=600)] = field(
        name="RATE_LIMIT_PER_MINUTE", default=10
    )
    monthly_credit_budget: Annotated[int, Meta(ge=0)] = field(
        name="MONTHLY_CREDIT_BUDGET", default=20_000
    )
    retention_days: Annotated[int, Meta(ge=1)] = field(name="RETENTION_DAYS", default=400)
    cycle_hours: Annotated[int, Meta(ge=1, le=24)] = field(name="CYCLE_HOURS", default=6)
    # The plan's rate-limit window; only the local runner shortens it (time-scaled simulator).
    rate_window_seconds: Annotated[float, Meta(gt=0)] = field(
        name="RATE_WINDOW_SECONDS", default=60.0
    )
    worker_max_attempts: Annotated[int, Meta(ge=1, le=10)] = field(
        name="WORKER_MAX_ATTEMPTS", default=3
    )
    # How many worker invocations may run at once (the event source's MaximumConcurrency):
    # a batch pools its credits only while the month has that many batches' worth left.
    worker_max_concurrency: Annotated[int, Meta(ge=1, le=1000)] = field(
        name="WORKER_MAX_CONCURRENCY", default=2
    )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    names = set(Settings.__struct_encode_fields__)
    try:
        return convert({k: v.strip() for k, v in env.items() if k in names}, Settings)
    except DecodeError as exc:
        raise ConfigError(f"invalid or missing settings: {describe(exc)}") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, parsed once (handlers call this at cold start)."""
    return load_settings()
