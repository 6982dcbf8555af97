"""Settings parsed once from the environment into a typed model; a missing one fails at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; the message names it."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    hashtags_table: str = Field(alias="HASHTAGS_TABLE")
    snapshots_table: str = Field(alias="SNAPSHOTS_TABLE")
    videos_table: str = Field(alias="VIDEOS_TABLE")
    state_table: str = Field(alias="STATE_TABLE")
    fetch_queue_url: str = Field("", alias="FETCH_QUEUE_URL")
    alert_topic_arn: str = Field("", alias="ALERT_TOPIC_ARN")
    reports_bucket: str = Field("", alias="REPORTS_BUCKET")
    api_base_url: str = Field("https://api.scavio.dev", alias="API_BASE_URL")
    api_key_secret: str = Field("hashtag-tracker/scavio-api-key", alias="API_KEY_SECRET")
    slack_webhook_secret: str = Field("", alias="SLACK_WEBHOOK_SECRET")
    rate_limit_per_minute: int = Field(10, ge=1, le=600, alias="RATE_LIMIT_PER_MINUTE")
    monthly_credit_budget: int = Field(20_000, ge=0, alias="MONTHLY_CREDIT_BUDGET")
    retention_days: int = Field(400, ge=1, alias="RETENTION_DAYS")
    cycle_hours: int = Field(6, ge=1, le=24, alias="CYCLE_HOURS")
    # The plan's rate-limit window; only the local runner shortens it (time-scaled simulator).
    rate_window_seconds: float = Field(60.0, gt=0, alias="RATE_WINDOW_SECONDS")
    worker_max_attempts: int = Field(3, ge=1, le=10, alias="WORKER_MAX_ATTEMPTS")
    # How many worker invocations may run at once (the event source's MaximumConcurrency):
    # a batch pools its credits only while the month has that many batches' worth left.
    worker_max_concurrency: int = Field(2, ge=1, le=1000, alias="WORKER_MAX_CONCURRENCY")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    fields = {f.alias for f in Settings.model_fields.values() if f.alias}
    try:
        return Settings.model_validate({k: v for k, v in env.items() if k in fields})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid or missing settings: {problems}") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, parsed once (handlers call this at cold start)."""
    return load_settings()
