"""The CLI and the hashtag store against a moto table made from template.yaml."""

from __future__ import annotations

import json

import boto3
from click.testing import CliRunner

from hashtag_tracker.models.hashtag import InvalidItem
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker_tools.cli import cli


def test_cli_round_trip_and_invalid_items_in_the_real_table(tables: dict[str, str]) -> None:
    # Given the Hashtags table and an item a user broke by hand with put-item
    table = tables["HashtagsTable"]
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.put_item(
        TableName=table,
        Item={"hashtag": {"S": "Bad Tag"}, "thresholds": {"M": {"viral_new_videos": {"S": "x"}}}},
    )
    runner = CliRunner()
    # When the CLI adds, updates and pauses a hashtag
    assert (
        runner.invoke(cli, ["--table", table, "add", "#Été", "--campaign", "Summer"]).exit_code == 0
    )
    assert (
        runner.invoke(
            cli, ["--table", table, "update", "été", "--threshold", "viral_new_videos=5"]
        ).exit_code
        == 0
    )
    assert runner.invoke(cli, ["--table", table, "pause", "été"]).exit_code == 0
    # Then the stored item is the documented shape
    item = client.get_item(TableName=table, Key={"hashtag": {"S": "été"}})["Item"]
    assert item["active"] == {"BOOL": False}
    assert item["thresholds"]["M"]["viral_new_videos"] == {"N": "5"}
    assert item["campaign"] == {"S": "Summer"}
    # And a scan names the broken item instead of failing
    results = list(DynamoHashtagStore(table, client=client).scan())
    invalid = [r for r in results if isinstance(r, InvalidItem)]
    assert [r.key for r in invalid] == ["Bad Tag"]
    listed = runner.invoke(cli, ["--table", table, "list"])
    assert listed.exit_code == 3 and "#été" in listed.output and "Bad Tag" in listed.output


def test_cli_without_a_table_says_what_to_pass(aws: None) -> None:
    result = CliRunner().invoke(cli, ["list"], env={"HASHTAGS_TABLE": ""})
    assert result.exit_code == 1
    assert "--table" in result.output and "--stack" in result.output


def test_cli_finds_the_table_from_stack_outputs(tables: dict[str, str]) -> None:
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(
        StackName="tracker",
        TemplateBody=(
            '{"Resources": {"T": {"Type": "AWS::SNS::Topic"}},'
            ' "Outputs": {"HashtagsTableName": {"Value": "HashtagsTable"}}}'
        ),
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["--stack", "tracker", "add", "brand"]).exit_code == 0
    shown = runner.invoke(cli, ["--stack", "tracker", "show", "brand"])
    assert shown.exit_code == 0 and "#brand" in shown.output
    missing = runner.invoke(cli, ["--stack", "nope", "list"])
    assert missing.exit_code == 1 and "nope" in missing.output


def test_cli_credits_shows_the_months_use_and_the_providers_balance(
    tables: dict[str, str],
) -> None:
    """Issue 16: the balance of record is what the provider reported, shown with the month's
    use and whether it lasts the month."""
    from datetime import UTC, datetime

    from hashtag_tracker.clock import ManualClock
    from hashtag_tracker.storage.state import DynamoStateStore
    from hashtag_tracker_tools.cli.app import CliState

    # Given mid-November: 3,000 credits used so far and a balance of 1,000 reported
    state_table = tables["StateTable"]
    now = datetime(2026, 11, 16, tzinfo=UTC)
    store = DynamoStateStore(state_table)
    store.settle_credits("2026-11", reserved=0, used=3_000, balance=1_000, now=now)
    cli_state = CliState(lambda: DynamoHashtagStore(tables["HashtagsTable"]), ManualClock(now))
    args = ["--table", tables["HashtagsTable"], "credits", "--state-table", state_table]

    # When the CLI shows the month's credits, as text and as JSON
    text = CliRunner().invoke(cli, args, obj=cli_state)
    figures = CliRunner().invoke(cli, [*args, "--json"], obj=cli_state)

    # Then it names the use and the balance, and says 1,000 will not last 15 more days
    assert text.exit_code == 0, text.output
    assert "3,000 credits used" in text.output and "1,000 credits" in text.output
    assert "RUNS OUT" in text.output
    parsed = json.loads(figures.output)
    assert parsed["used"] == 3_000 and parsed["balance"] == 1_000
    assert parsed["daily_rate"] == 200.0 and parsed["lasts_the_month"] is False


def test_cli_credits_refuses_a_bad_month(tables: dict[str, str]) -> None:
    args = ["--table", tables["HashtagsTable"], "credits", "--state-table", "x", "--month", "11"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "not a month" in result.output


def test_an_unnormalised_key_is_listed_as_invalid_and_removed_by_its_raw_key(
    tables: dict[str, str],
) -> None:
    """Issue 17: '#TryBrandX' beside 'trybrandx' was a second name for the same hashtag."""
    table = tables["HashtagsTable"]
    client = boto3.client("dynamodb", region_name="us-east-1")
    runner = CliRunner()
    assert runner.invoke(cli, ["--table", table, "add", "trybrandx"]).exit_code == 0
    client.put_item(TableName=table, Item={"hashtag": {"S": "#TryBrandX"}})

    results = list(DynamoHashtagStore(table, client=client).scan())
    [invalid] = [r for r in results if isinstance(r, InvalidItem)]
    assert invalid.key == "#TryBrandX" and "'trybrandx'" in invalid.reason
    listed = runner.invoke(cli, ["--table", table, "list"])
    assert listed.exit_code == 3 and "not normalised" in listed.stderr
    assert listed.stdout.count("#trybrandx ") == 1

    removed = runner.invoke(cli, ["--table", table, "remove", "--raw-key", "#TryBrandX", "--yes"])
    assert removed.exit_code == 0, removed.output
    keys = [i["hashtag"]["S"] for i in client.scan(TableName=table)["Items"]]
    assert keys == ["trybrandx"]
    assert runner.invoke(cli, ["--table", table, "list"]).exit_code == 0


def test_an_infinite_threshold_is_one_line_not_a_traceback(tables: dict[str, str]) -> None:
    """Issue 17: `=inf` printed a traceback and `=1e200` a decimal.Overflow."""
    table = tables["HashtagsTable"]
    runner = CliRunner()
    for value in ("inf", "1e200", "1e-300"):
        result = runner.invoke(
            cli, ["--table", table, "add", "brand", "--threshold", f"viral_growth_pct={value}"]
        )
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.output.startswith("Error:") and "Traceback" not in result.output
    client = boto3.client("dynamodb", region_name="us-east-1")
    assert client.scan(TableName=table)["Items"] == []
