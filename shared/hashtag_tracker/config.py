"""Settings per function, parsed once from the environment; a missing one fails at cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Literal, TypeVar

from msgspec import Meta, field

from hashtag_tracker.models.codec import DecodeError, Record, convert, describe


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; the message names it."""


class FunctionSettings(Record, frozen=True, kw_only=True):
    """The common part: how every function's settings are read (see `load_settings`)."""


class CollectionTables(FunctionSettings, frozen=True, kw_only=True):
    """Where the tracked hashtags and the bookkeeping live (scheduler and worker)."""

    hashtags_table: str = field(name="HASHTAGS_TABLE")
    state_table: str = field(name="STATE_TABLE")
    fetch_queue_url: str = field(name="FETCH_QUEUE_URL")


class CollectionPlan(CollectionTables, frozen=True, kw_only=True):
    """What the account allows and how tags are paced (scheduler and worker read the same)."""

    # The plan's rate: per second when set (above 0), else per minute (README, "Polling").
    rate_limit_per_minute: Annotated[int, Meta(ge=1, le=6000)] = field(
        name="RATE_LIMIT_PER_MINUTE", default=10
    )
    rate_limit_per_second: Annotated[float, Meta(ge=0, le=100)] = field(
        name="RATE_LIMIT_PER_SECOND", default=0.0
    )
    monthly_credit_budget: Annotated[int, Meta(ge=0)] = field(
        name="MONTHLY_CREDIT_BUDGET", default=20_000
    )
    # The plan's rate-limit window; only the local runner shortens it (time-scaled simulator).
    rate_window_seconds: Annotated[float, Meta(gt=0)] = field(
        name="RATE_WINDOW_SECONDS", default=60.0
    )
    # Every tag polled at exactly this interval; 0: the adaptive planner.
    fixed_interval_hours: Annotated[float, Meta(ge=0, le=168)] = field(
        name="FIXED_INTERVAL_HOURS", default=0.0
    )

    @property
    def rate_per_minute(self) -> int:
        """The plan's calls per minute, from whichever setting gives it."""
        if self.rate_limit_per_second > 0:
            return max(1, int(self.rate_limit_per_second * 60))
        return self.rate_limit_per_minute

    @property
    def pacing_window(self) -> tuple[int, float]:
        """(calls, seconds) of the window the limiter paces in: a second when a per-second
        rate of 1 or more is set (so no second ever holds more than it), else the plan's
        minute. The provider's X-RateLimit-Limit is read in the same window."""
        minute = self.rate_window_seconds
        if self.rate_limit_per_second >= 1:
            return int(self.rate_limit_per_second), minute / 60
        return self.rate_per_minute, minute

    @property
    def fixed_hours(self) -> float | None:
        return self.fixed_interval_hours or None


class SchedulerSettings(CollectionPlan, frozen=True, kw_only=True):
    tick_minutes: Literal[15, 30, 60] = field(name="TICK_MINUTES", default=60)
    # Empty: no ops notices from the scheduler (capacity).
    alert_topic_arn: str = field(name="ALERT_TOPIC_ARN", default="")


class WorkerSettings(CollectionPlan, frozen=True, kw_only=True):
    snapshots_table: str = field(name="SNAPSHOTS_TABLE")
    videos_table: str = field(name="VIDEOS_TABLE")
    # Empty: the alert rules are off (the worker logs it once per container).
    alert_topic_arn: str = field(name="ALERT_TOPIC_ARN", default="")
    api_base_url: str = field(name="API_BASE_URL", default="https://api.scavio.dev")
    api_key_secret: str = field(name="API_KEY_SECRET", default="hashtag-tracker/scavio-api-key")
    retention_days: Annotated[int, Meta(ge=1)] = field(name="RETENTION_DAYS", default=400)
    worker_max_attempts: Annotated[int, Meta(ge=1, le=10)] = field(
        name="WORKER_MAX_ATTEMPTS", default=3
    )
    # How many worker invocations may run at once (the event source's MaximumConcurrency):
    # a batch pools its credits only while the month has that many batches' worth left.
    worker_max_concurrency: Annotated[int, Meta(ge=1, le=1000)] = field(
        name="WORKER_MAX_CONCURRENCY", default=2
    )


class ReportSettings(FunctionSettings, frozen=True, kw_only=True):
    hashtags_table: str = field(name="HASHTAGS_TABLE")
    snapshots_table: str = field(name="SNAPSHOTS_TABLE")
    videos_table: str = field(name="VIDEOS_TABLE")
    reports_bucket: str = field(name="REPORTS_BUCKET")
    # Where the month's credits and the provider's balance are kept; empty: not shown.
    state_table: str = field(name="STATE_TABLE", default="")
    # Empty: the report is written to S3 but no summary is published.
    alert_topic_arn: str = field(name="ALERT_TOPIC_ARN", default="")
    # What the scheduled report ranks by (report.model.RankBy); on demand, the event's rank_by.
    rank_by: Literal["growth", "engagement", "views"] = field(
        name="REPORT_RANK_BY", default="growth"
    )
    # The daily digest weighs the month's projected spend against it (the worker's budget).
    monthly_credit_budget: Annotated[int, Meta(ge=0)] = field(
        name="MONTHLY_CREDIT_BUDGET", default=20_000
    )


class SlackSettings(FunctionSettings, frozen=True, kw_only=True):
    slack_webhook_secret: str = field(name="SLACK_WEBHOOK_SECRET")


S = TypeVar("S", bound=FunctionSettings)


def load_settings(kind: type[S], environ: Mapping[str, str] | None = None) -> S:
    """`kind` from the environment: only its own variables are read, surrounding white space
    is ignored, and a missing or malformed one is a ConfigError naming it."""
    env = os.environ if environ is None else environ
    names = set(kind.__struct_encode_fields__)
    try:
        return convert({k: v.strip() for k, v in env.items() if k in names}, kind)
    except DecodeError as exc:
        raise ConfigError(f"invalid or missing settings: {describe(exc)}") from None
