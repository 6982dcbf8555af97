"""Settings per function from the environment: names, defaults, limits, and a clear error at
cold start naming what is missing; each function reads only its own variables."""

from __future__ import annotations

import pytest

from hashtag_tracker.config import (
    ConfigError,
    ReportSettings,
    SchedulerSettings,
    SlackSettings,
    WorkerSettings,
    load_settings,
)

TABLES = {
    "HASHTAGS_TABLE": "h",
    "SNAPSHOTS_TABLE": "s",
    "VIDEOS_TABLE": "v",
    "STATE_TABLE": "st",
    "FETCH_QUEUE_URL": "q",
}


def test_defaults_apply_when_only_the_tables_are_set() -> None:
    config = load_settings(WorkerSettings, TABLES)
    assert (config.hashtags_table, config.state_table) == ("h", "st")
    assert config.rate_limit_per_minute == 10 and config.monthly_credit_budget == 20_000
    assert config.rate_window_seconds == 60.0 and config.api_base_url == "https://api.scavio.dev"


def test_numbers_come_as_text_and_surrounding_whitespace_is_ignored() -> None:
    # Given values as a .env file or a console would write them
    env = {**TABLES, "RATE_LIMIT_PER_MINUTE": " 20\n", "TICK_MINUTES": "30"}
    # Then they are read as numbers
    assert load_settings(WorkerSettings, env).rate_limit_per_minute == 20
    assert load_settings(SchedulerSettings, env).tick_minutes == 30


def test_the_plans_rate_per_second_wins_over_per_minute() -> None:
    env = {**TABLES, "RATE_LIMIT_PER_MINUTE": "10", "RATE_LIMIT_PER_SECOND": "50"}
    assert load_settings(SchedulerSettings, env).rate_per_minute == 3000
    assert load_settings(WorkerSettings, TABLES).rate_per_minute == 10


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({k: v for k, v in TABLES.items() if k != "STATE_TABLE"}, "STATE_TABLE"),
        ({**TABLES, "RATE_LIMIT_PER_MINUTE": "0"}, "RATE_LIMIT_PER_MINUTE"),
        ({**TABLES, "WORKER_MAX_ATTEMPTS": "11"}, "WORKER_MAX_ATTEMPTS"),
        ({**TABLES, "MONTHLY_CREDIT_BUDGET": "lots"}, "MONTHLY_CREDIT_BUDGET"),
    ],
    ids=["missing", "below-minimum", "above-maximum", "not-a-number"],
)
def test_a_bad_setting_fails_at_start_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(WorkerSettings, env)
    assert named in str(caught.value)


def test_unrelated_environment_variables_are_ignored() -> None:
    env = {**TABLES, "PATH": "/bin", "AWS_REGION": "eu-west-1"}
    assert load_settings(WorkerSettings, env).videos_table == "v"


@pytest.mark.parametrize(
    ("kind", "env", "named"),
    [
        (SchedulerSettings, {**TABLES, "TICK_MINUTES": "20"}, "TICK_MINUTES"),
        (SchedulerSettings, {"HASHTAGS_TABLE": "h", "STATE_TABLE": "st"}, "FETCH_QUEUE_URL"),
        (ReportSettings, TABLES, "REPORTS_BUCKET"),
        (SlackSettings, TABLES, "SLACK_WEBHOOK_SECRET"),
    ],
    ids=["scheduler-bound", "scheduler-missing", "report-missing", "slack-missing"],
)
def test_each_function_fails_at_start_naming_what_it_lacks(
    kind: type[SchedulerSettings | ReportSettings | SlackSettings],
    env: dict[str, str],
    named: str,
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(kind, env)
    assert named in str(caught.value)


def test_a_function_needs_only_its_own_variables() -> None:
    # Given only what the Slack notifier and the report read
    slack = load_settings(SlackSettings, {"SLACK_WEBHOOK_SECRET": "s"})
    report = load_settings(
        ReportSettings,
        {"HASHTAGS_TABLE": "h", "SNAPSHOTS_TABLE": "s", "VIDEOS_TABLE": "v", "REPORTS_BUCKET": "b"},
    )
    # Then each starts without the other functions' settings
    assert slack.slack_webhook_secret == "s"
    assert (report.reports_bucket, report.alert_topic_arn) == ("b", "")


def test_a_per_second_plan_is_paced_in_one_second_windows() -> None:
    # 50 a second: no second may hold more than 50 (a 60-s window would let a late call
    # share a second with punctual ones)
    env = {**TABLES, "RATE_LIMIT_PER_SECOND": "50"}
    assert load_settings(WorkerSettings, env).pacing_window == (50, 1.0)
    assert load_settings(WorkerSettings, TABLES).pacing_window == (10, 60.0)
    # the local runner's shortened minute shortens the second alike
    scaled = {**env, "RATE_WINDOW_SECONDS": "6"}
    assert load_settings(SchedulerSettings, scaled).pacing_window == (50, 0.1)
