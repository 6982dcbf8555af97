"""Settings from the environment: names, defaults, limits, and a clear error at start."""

from __future__ import annotations

import pytest

from hashtag_tracker.config import ConfigError, load_settings

TABLES = {
    "HASHTAGS_TABLE": "h",
    "SNAPSHOTS_TABLE": "s",
    "VIDEOS_TABLE": "v",
    "STATE_TABLE": "st",
}


def test_defaults_apply_when_only_the_tables_are_set() -> None:
    config = load_settings(TABLES)
    assert (config.hashtags_table, config.state_table) == ("h", "st")
    assert config.rate_limit_per_minute == 10 and config.monthly_credit_budget == 20_000
    assert config.rate_window_seconds == 60.0 and config.api_base_url == "https://api.scavio.dev"


def test_numbers_come_as_text_and_surrounding_whitespace_is_ignored() -> None:
    # Given values as a .env file or a console would write them
    config = load_settings({**TABLES, "RATE_LIMIT_PER_MINUTE": " 20\n", "CYCLE_HOURS": "4"})
    # Then they are read as numbers
    assert config.rate_limit_per_minute == 20 and config.cycle_hours == 4


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({k: v for k, v in TABLES.items() if k != "STATE_TABLE"}, "STATE_TABLE"),
        ({**TABLES, "RATE_LIMIT_PER_MINUTE": "0"}, "RATE_LIMIT_PER_MINUTE"),
        ({**TABLES, "CYCLE_HOURS": "25"}, "CYCLE_HOURS"),
        ({**TABLES, "MONTHLY_CREDIT_BUDGET": "lots"}, "MONTHLY_CREDIT_BUDGET"),
    ],
    ids=["missing", "below-minimum", "above-maximum", "not-a-number"],
)
def test_a_bad_setting_fails_at_start_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert named in str(caught.value)


def test_unrelated_environment_variables_are_ignored() -> None:
    assert load_settings({**TABLES, "PATH": "/bin", "AWS_REGION": "eu-west-1"}).videos_table == "v"
