"""The CLI and the hashtag store against a moto table made from template.yaml."""

from __future__ import annotations

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
