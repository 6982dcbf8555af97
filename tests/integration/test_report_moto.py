"""The weekly report on real boto3 calls against moto: bounded reads, three S3 objects, the
summary on the topic, the handler and the CLI command."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from hashtag_tracker.config import ConfigError, ReportSettings, load_settings
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.report.model import RankBy
from hashtag_tracker.report.render import CSV_COLUMNS
from hashtag_tracker.report.run import ReportEventError, make_report
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.report_sources import DynamoReportSources
from hashtag_tracker.storage.reports import S3ReportStore, SnsReportTopic
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker.storage.videos import DynamoVideoLedger
from hashtag_tracker.wiring.report import make_report_deps
from hashtag_tracker_tools.cli.app import cli
from tests.unit.report.fakes import ok

pytestmark = pytest.mark.integration

AS_OF = datetime(2026, 11, 23, 9, tzinfo=UTC)
KEEP = timedelta(days=400)
BUCKET = "reports-bucket"
TAGS = {"brand": ("campaign", "B"), "rival": ("competitor", "B"), "trendy": ("trend", None)}


class CallCounter:
    """Counts DynamoDB requests by operation, and the items Query answers returned."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0

    def before(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def after(self, parsed: Any, **_: Any) -> None:
        self.items_read += int(parsed.get("Count", 0))

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0


@dataclass
class Stack:
    client: Any
    counter: CallCounter
    snapshots: DynamoSnapshotStore
    ledger: DynamoVideoLedger
    hashtags: DynamoHashtagStore
    s3: Any
    topic_arn: str
    queue_url: str

    def sources(self) -> DynamoReportSources:
        return DynamoReportSources(self.hashtags, self.snapshots, self.ledger)

    def seed_weeks(self, first_week: int, last_week: int) -> None:
        """6-hourly snapshots for weeks first..last before AS_OF (1 = the current week)."""
        for name in TAGS:
            rate = {"brand": 30_000, "rival": 20_000, "trendy": 10_000}[name]
            for week in range(first_week, last_week + 1):
                week_start = AS_OF - timedelta(hours=3) - week * timedelta(days=7)
                for step in range(1, 29):
                    cycle = week_start + step * timedelta(hours=6)
                    hours = (cycle - (AS_OF - timedelta(days=200))).total_seconds() / 3600
                    self.snapshots.put(
                        ok(name, cycle, 1_000_000 + int(rate * hours / 168), 100 + int(hours)),
                        KEEP,
                    )


@pytest.fixture
def stack(tables: dict[str, str]) -> Iterator[Stack]:
    counter = CallCounter()
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.meta.events.register("before-call.dynamodb", counter.before)
    client.meta.events.register("after-call.dynamodb.Query", counter.after)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    hashtags = DynamoHashtagStore(tables["HashtagsTable"], client)
    for name, (kind, campaign) in TAGS.items():
        hashtags.create(TrackedHashtag(hashtag=name, kind=HashtagKind(kind), campaign=campaign))
    ledger = DynamoVideoLedger(tables["VideosTable"], client)
    for day in range(10):
        seen = AS_OF - timedelta(days=day, hours=1)
        ledger.upsert(
            "brand",
            [
                LedgerVideo(
                    hashtag="brand", video_id=f"v{day}", author_id=f"a{day % 3}",
                    first_seen=seen, last_seen=seen, plays=1_000 * (day + 1), likes=50,
                    comments=5, shares=10,
                )
            ],
            [LedgerCreator(hashtag="brand", author_id=f"a{day % 3}", first_seen=seen,
                           last_seen=seen)],
            seen,
        )  # fmt: skip
    yield Stack(
        client,
        counter,
        DynamoSnapshotStore(tables["SnapshotsTable"], client),
        ledger,
        hashtags,
        s3,
        topic_arn,
        queue_url,
    )


def test_reads_per_hashtag_stay_constant_as_history_grows(stack: Stack) -> None:
    # Given four weeks of 6-hourly history
    stack.seed_weeks(1, 4)
    stack.counter.reset()
    make_report(AS_OF, stack.sources(), S3ReportStore(BUCKET, stack.s3), None)
    four_weeks = dict(stack.counter.calls)
    # When history grows to eight weeks, and then to sixteen
    stack.seed_weeks(5, 8)
    stack.counter.reset()
    make_report(AS_OF, stack.sources(), S3ReportStore(BUCKET, stack.s3), None)
    eight_weeks = dict(stack.counter.calls)
    stack.seed_weeks(9, 16)
    stack.counter.reset()
    result = make_report(AS_OF, stack.sources(), S3ReportStore(BUCKET, stack.s3), None)
    # Then the requests are the same: one scan, and per hashtag two queries and one get
    assert four_weeks == eight_weeks == dict(stack.counter.calls)
    assert eight_weeks == {"Scan": 1, "Query": 2 * len(TAGS), "GetItem": len(TAGS)}
    # and history beyond the report's window (8 weeks + a day's tolerance) is never read:
    # 57 days of 6-hourly snapshots per tag, plus the 10 videos and 3 creators of the ledger
    assert stack.counter.items_read == len(TAGS) * 57 * 4 + 10 + 3
    assert len(result.report.hashtags) == len(TAGS)
    brand = next(r for r in result.report.hashtags if r.hashtag == "brand")
    assert brand.views_wow == 30_000
    assert brand.new_videos_week == 7  # first seen within the last 7 days
    assert brand.videos_total == 10


def test_the_report_lands_in_s3_and_its_summary_on_the_topic(stack: Stack) -> None:
    stack.seed_weeks(1, 5)
    result = make_report(
        AS_OF, stack.sources(), S3ReportStore(BUCKET, stack.s3), SnsReportTopic(stack.topic_arn)
    )
    # three objects under the dated prefix, with their content types
    listed = stack.s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/2026-11-23/")
    assert sorted(o["Key"] for o in listed["Contents"]) == [
        "reports/2026-11-23/report.csv",
        "reports/2026-11-23/report.html",
        "reports/2026-11-23/report.json",
    ]
    html = stack.s3.get_object(Bucket=BUCKET, Key="reports/2026-11-23/report.html")
    assert html["ContentType"] == "text/html; charset=utf-8"
    assert b"<svg" in html["Body"].read()
    csv_text = (
        stack.s3.get_object(Bucket=BUCKET, Key="reports/2026-11-23/report.csv")["Body"]
        .read()
        .decode()
    )
    assert csv_text.splitlines()[0] == ",".join(CSV_COLUMNS)
    # a presigned link to the page
    link = result.written.html_link
    assert link and "reports/2026-11-23/report.html" in link and "Signature" in link
    # and one summary on the topic, tagged rule=weekly_report
    sqs = boto3.client("sqs", region_name="us-east-1")
    [message] = sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10)["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["Subject"] == "Weekly hashtag report 2026-11-23"
    assert envelope["MessageAttributes"]["rule"]["Value"] == "weekly_report"
    assert link in envelope["Message"]
    # and where the page lives for good, since a presigned link expires with the session
    assert f"s3://{BUCKET}/reports/2026-11-23/report.html" in envelope["Message"]


@dataclass
class Context:
    function_name: str = "report"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:report"
    aws_request_id: str = "req-1"


def test_the_handler_makes_the_on_demand_report(stack: Stack, tables: dict[str, str]) -> None:
    stack.seed_weeks(1, 3)
    env = {
        "HASHTAGS_TABLE": tables["HashtagsTable"],
        "SNAPSHOTS_TABLE": tables["SnapshotsTable"],
        "VIDEOS_TABLE": tables["VideosTable"],
        "STATE_TABLE": tables["StateTable"],
        "REPORTS_BUCKET": BUCKET,
        "ALERT_TOPIC_ARN": stack.topic_arn,
    }
    from functions.report.app import lambda_handler

    # The function's own wiring, from its environment, passed in as a container would make it
    deps = make_report_deps(load_settings(ReportSettings, env))
    event = json.loads(Path("events/report_on_demand.json").read_text())
    answer = lambda_handler(event, Context(), deps=deps)  # type: ignore[arg-type]
    assert answer["as_of"] == "2026-11-23T09:00:00Z"
    assert answer["hashtags"] == len(TAGS)
    assert answer["files"]["report.html"] == "reports/2026-11-23/report.html"
    assert answer["published"] is True
    assert answer["rank_by"] == "growth"  # the function's REPORT_RANK_BY default


@pytest.mark.parametrize(("setting", "event_key", "expected"), [
    ("views", None, "views"), ("views", "engagement", "engagement"), (None, "views", "views"),
])  # fmt: skip
def test_the_handler_ranks_by_its_setting_or_the_events_rank_by(
    stack: Stack, tables: dict[str, str], setting: str | None, event_key: str | None,
    expected: str,
) -> None:  # fmt: skip
    stack.seed_weeks(1, 2)
    env = {
        "HASHTAGS_TABLE": tables["HashtagsTable"],
        "SNAPSHOTS_TABLE": tables["SnapshotsTable"],
        "VIDEOS_TABLE": tables["VideosTable"],
        "REPORTS_BUCKET": BUCKET,
    }
    if setting:
        env["REPORT_RANK_BY"] = setting
    from functions.report.app import lambda_handler

    event: dict[str, str] = {"as_of": "2026-11-23T09:00:00Z"}
    if event_key:
        event["rank_by"] = event_key
    deps = make_report_deps(load_settings(ReportSettings, env))
    answer = lambda_handler(event, Context(), deps=deps)  # type: ignore[arg-type]
    assert answer["rank_by"] == expected
    refused = {**event, "rank_by": "likes"}
    with pytest.raises(ReportEventError, match="rank_by 'likes' is not one of"):
        lambda_handler(refused, Context(), deps=deps)  # type: ignore[arg-type]


def test_the_cli_writes_the_same_report_to_a_folder(
    stack: Stack, tables: dict[str, str], tmp_path: Path
) -> None:
    stack.seed_weeks(1, 2)
    result = CliRunner().invoke(
        cli,
        [
            "--table", tables["HashtagsTable"], "--region", "us-east-1",
            "report", "--out", str(tmp_path), "--as-of", "2026-11-23T09:00:00Z",
            "--snapshots-table", tables["SnapshotsTable"], "--videos-table", tables["VideosTable"],
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = tmp_path / "reports" / "2026-11-23"
    assert sorted(p.name for p in folder.iterdir()) == ["report.csv", "report.html", "report.json"]
    assert json.loads((folder / "report.json").read_text())["as_of"].startswith("2026-11-23T09")
    assert "3 hashtag(s) ranked" in result.output


def test_the_cli_refuses_a_bad_as_of_and_missing_tables(tables: dict[str, str]) -> None:
    bad = CliRunner().invoke(cli, ["--table", "t", "report", "--out", "x", "--as-of", "next week"])
    assert bad.exit_code == 2 and "--as-of" in bad.output
    no_tables = CliRunner().invoke(cli, ["--table", "t", "report", "--out", "x"], env={
        "SNAPSHOTS_TABLE": "", "VIDEOS_TABLE": ""})  # fmt: skip
    assert no_tables.exit_code == 1 and "--snapshots-table" in no_tables.output


def test_followers_the_ledger_kept_reach_the_top_creators(stack: Stack) -> None:
    # Given a creator whose author object carried follower_count, and one whose did not
    seen = AS_OF - timedelta(days=1)
    stack.ledger.upsert(
        "trendy",
        [
            LedgerVideo(hashtag="trendy", video_id=f"f{i}", author_id=author, first_seen=seen,
                        last_seen=seen, plays=plays, likes=10, comments=1, shares=1)
            for i, (author, plays) in enumerate((("known", 9_000), ("unknown", 5_000)))
        ],
        [
            LedgerCreator(hashtag="trendy", author_id="known", nickname="Known",
                          followers=4_321, first_seen=seen, last_seen=seen),
            LedgerCreator(hashtag="trendy", author_id="unknown", first_seen=seen,
                          last_seen=seen),
        ],
        seen,
    )  # fmt: skip
    stack.seed_weeks(1, 2)
    # When the report reads them back from DynamoDB
    result = make_report(AS_OF, stack.sources(), S3ReportStore(BUCKET, stack.s3), None)
    trendy = next(r for r in result.report.hashtags if r.hashtag == "trendy")
    # Then the stored count is shown, and the missing one stays unknown (never 0)
    assert [(c.author_id, c.nickname, c.followers) for c in trendy.top_creators] == [
        ("known", "Known", 4_321),
        ("unknown", None, None),
    ]


def test_the_scheduled_reports_ranking_comes_from_report_rank_by(tables: dict[str, str]) -> None:
    env = {
        "HASHTAGS_TABLE": tables["HashtagsTable"],
        "SNAPSHOTS_TABLE": tables["SnapshotsTable"],
        "VIDEOS_TABLE": tables["VideosTable"],
        "REPORTS_BUCKET": BUCKET,
    }
    assert make_report_deps(load_settings(ReportSettings, env)).rank_by is RankBy.GROWTH
    deps = make_report_deps(load_settings(ReportSettings, {**env, "REPORT_RANK_BY": "views"}))
    assert deps.rank_by is RankBy.VIEWS
    with pytest.raises(ConfigError, match="REPORT_RANK_BY"):
        load_settings(ReportSettings, {**env, "REPORT_RANK_BY": "likes"})


def test_the_cli_ranks_by_the_key_it_is_given(
    stack: Stack, tables: dict[str, str], tmp_path: Path
) -> None:
    stack.seed_weeks(1, 2)
    args = [
        "--table", tables["HashtagsTable"], "--region", "us-east-1",
        "report", "--out", str(tmp_path), "--as-of", "2026-11-23T09:00:00Z",
        "--snapshots-table", tables["SnapshotsTable"], "--videos-table", tables["VideosTable"],
    ]  # fmt: skip
    # When the same week is reported by total views
    result = CliRunner().invoke(cli, [*args, "--rank-by", "views"])
    # Then the report says its key and the tags are in order of their total views
    assert result.exit_code == 0, result.output
    assert "3 hashtag(s) ranked by views" in result.output
    report = json.loads((tmp_path / "reports" / "2026-11-23" / "report.json").read_text())
    assert report["rank_by"] == "views"
    views = [(h["hashtag"], h["views_now"]) for h in report["hashtags"]]
    assert [v for _, v in views] == sorted((v for _, v in views), reverse=True)
    # and a key it does not know is refused before anything is read
    bad = CliRunner().invoke(cli, [*args, "--rank-by", "likes"])
    assert bad.exit_code == 2 and "--rank-by" in bad.output
