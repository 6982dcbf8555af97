"""Faults of input (issue 17): hand-written items, thresholds, scheduler events, log keys and
text that reaches spreadsheets and terminals, through the real handlers on moto's AWS."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from click.testing import CliRunner

from hashtag_tracker.clock import ManualClock, to_iso
from hashtag_tracker.collection.handler import WorkerRun
from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.scheduler import SchedulerEventError, TickSettings
from hashtag_tracker.collection.sqs import partial_batch_response
from hashtag_tracker.collection.worker import CollectResult, Outcome
from hashtag_tracker.models.codec import decode_json
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.observability import logger
from hashtag_tracker.report.run import make_report
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.plan import DynamoPlanStore
from hashtag_tracker.storage.queue import SqsFetchQueue
from hashtag_tracker.storage.report_sources import DynamoReportSources
from hashtag_tracker.storage.reports import LocalReportWriter
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker.storage.state import DynamoStateStore
from hashtag_tracker.storage.videos import DynamoVideoLedger
from hashtag_tracker.wiring.scheduler import SchedulerDeps
from hashtag_tracker_tools.cli import cli
from hashtag_tracker_tools.cli.app import CliState
from hashtag_tracker_tools.local.stack import MotoServer
from tests.integration.conftest import TABLE_KEYS, template_tables

pytestmark = pytest.mark.faults

NOW = datetime(2026, 11, 23, 6, 0, 4, tzinfo=UTC)
TICK = datetime(2026, 11, 23, 6, tzinfo=UTC)
RETENTION = timedelta(days=400)


@dataclass
class Context:
    function_name: str = "scheduler"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:scheduler"
    aws_request_id: str = "req-1"


@dataclass
class Stack:
    """The template's tables and a fetch queue in moto, and a settable clock."""

    client: Any
    sqs: Any
    queue_url: str
    clock: ManualClock

    @property
    def hashtags(self) -> DynamoHashtagStore:
        return DynamoHashtagStore("HashtagsTable", client=self.client)

    def put(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName="HashtagsTable", Item=item)

    def keys(self) -> list[str]:
        items = self.client.scan(TableName="HashtagsTable")["Items"]
        return sorted(i["hashtag"]["S"] for i in items)

    def tick(self, when: datetime, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """The real scheduler handler, with the function's adapters on this stack."""
        from functions.scheduler.app import lambda_handler

        deps = SchedulerDeps(
            settings=TickSettings(),
            hashtags=self.hashtags,
            claims=DynamoStateStore("StateTable", self.client),
            queue=SqsFetchQueue(self.queue_url, self.sqs),
            plans=DynamoPlanStore("StateTable", self.client),
            clock=self.clock,
        )
        event = {"time": to_iso(when), "detail-type": "Scheduled Event"} if event is None else event
        answer: dict[str, Any] = lambda_handler(event, Context(), deps=deps)  # type: ignore[arg-type]
        return answer

    def sent(self) -> list[FetchMessage]:
        """Every queued body, decoded as the worker decodes it."""
        messages: list[FetchMessage] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return messages
            for m in got["Messages"]:
                messages.append(decode_json(m["Body"], FetchMessage))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    def cli(self, *args: str, input: str | None = None) -> Any:
        state = CliState(lambda: self.hashtags, self.clock)
        return CliRunner().invoke(cli, list(args), obj=state, input=input)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server of this module's own, in a child process: an in-process `mock_aws()`
    would reset the backends the session's emulated stack (tests/faults/harness.py) shares
    with this process."""
    with MotoServer(process=True) as moto:
        yield moto.endpoint_url


@pytest.fixture
def stack(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    # Every client of the case, the CLI's own included, goes to this module's server.
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    for key, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("dynamodb", region_name="us-east-1")
    for logical_id, props in template_tables().items():
        client.create_table(TableName=logical_id, **{k: props[k] for k in TABLE_KEYS if k in props})
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="fetch")["QueueUrl"]
    yield Stack(client, sqs, url, ManualClock(NOW))


def _one_error_line(output: str) -> None:
    assert "Traceback" not in output, output
    [line] = [x for x in output.splitlines() if x.startswith("Error:")]
    assert line.strip()


# -- hand-written keys that are not normalised --------------------------------------------


ALIASES = ("#TryBrandX", "ＴｒｙＢｒａｎｄＸ")


def test_an_unnormalised_key_is_not_a_second_name_for_the_hashtag(stack: Stack) -> None:
    """Hand-written key that is not normalised (scheduler).
    Injected: beside `trybrandx` (added by the CLI), put-item stores the same tag under
    `#TryBrandX` and the fullwidth `ＴｒｙＢｒａｎｄＸ`.
    Asserted: the scheduler handler sends one message for `trybrandx` (`sent: 1, invalid: 2`),
    and the two items are reported with a reason naming the normalised key."""
    assert stack.cli("add", "trybrandx").exit_code == 0
    for alias in ALIASES:
        stack.put({"hashtag": {"S": alias}, "kind": {"S": "campaign"}})

    answer = stack.tick(TICK)

    assert (answer["sent"], answer["invalid"]) == (1, 2)
    assert [m.hashtag.hashtag for m in stack.sent()] == ["trybrandx"]
    reasons = sorted(r.reason for r in stack.hashtags.scan() if not isinstance(r, TrackedHashtag))
    assert len(reasons) == 2
    assert all("not normalised" in r and "'trybrandx'" in r for r in reasons)


def test_the_cli_lists_an_unnormalised_key_and_reaches_it_by_its_raw_key(stack: Stack) -> None:
    """Hand-written key that is not normalised (CLI).
    Injected: `trybrandx` and an item keyed `#TryBrandX`; another item keyed `ＲｉｖａｌＴａｇ`
    whose normalised name is not tracked.
    Asserted: `list` shows one `#trybrandx` row and names both aliases on stderr (exit 3);
    `remove '#TryBrandX'` still removes `trybrandx` only; `remove --raw-key '#TryBrandX'`
    removes exactly the alias; `fix-key` moves the other alias to `rivaltag` with its
    settings; afterwards `list` is clean (exit 0)."""
    assert stack.cli("add", "trybrandx").exit_code == 0
    stack.put({"hashtag": {"S": "#TryBrandX"}})
    stack.put({"hashtag": {"S": "ＲｉｖａｌＴａｇ"}, "kind": {"S": "competitor"}})

    listed = stack.cli("list")
    assert listed.exit_code == 3
    assert [line for line in listed.stdout.splitlines() if line.startswith("#")] == [
        line for line in listed.stdout.splitlines() if line.startswith("#trybrandx ")
    ]
    assert "'#TryBrandX'" in listed.stderr and "'ＲｉｖａｌＴａｇ'" in listed.stderr
    assert "--raw-key" in listed.stderr

    # The normalised name is the tracked hashtag's; the raw key reaches the alias
    assert stack.cli("remove", "--raw-key", "#TryBrandX", input="y\n").exit_code == 0
    assert stack.keys() == ["trybrandx", "ＲｉｖａｌＴａｇ"]
    gone = stack.cli("remove", "--raw-key", "#TryBrandX", "--yes")
    assert gone.exit_code == 1
    _one_error_line(gone.output)

    moved = stack.cli("fix-key", "ＲｉｖａｌＴａｇ")
    assert moved.exit_code == 0, moved.output
    assert stack.keys() == ["rivaltag", "trybrandx"]
    assert stack.hashtags.get("rivaltag").kind == "competitor"
    assert stack.cli("list").exit_code == 0


def test_fix_key_never_overwrites_the_tracked_hashtag(stack: Stack) -> None:
    """Hand-written key whose normalised name is tracked already (CLI `fix-key`).
    Injected: `trybrandx` with a threshold, and an alias keyed `#TryBrandX`.
    Asserted: `fix-key '#TryBrandX'` refuses in one line naming `remove --raw-key`; both items
    are unchanged."""
    assert stack.cli("add", "trybrandx", "--threshold", "viral_new_videos=7").exit_code == 0
    stack.put({"hashtag": {"S": "#TryBrandX"}})

    refused = stack.cli("fix-key", "#TryBrandX")

    assert refused.exit_code == 1
    _one_error_line(refused.output)
    assert "remove --raw-key" in refused.output
    assert stack.keys() == ["#TryBrandX", "trybrandx"]
    assert stack.hashtags.get("trybrandx").thresholds.viral_new_videos == 7


def test_the_report_has_one_row_per_hashtag_beside_an_alias(stack: Stack, tmp_path: Path) -> None:
    """Hand-written key that is not normalised (weekly report).
    Injected: `trybrandx` with a week of snapshots and an item keyed `ＴｒｙＢｒａｎｄＸ`.
    Asserted: the report has one `trybrandx` row (JSON and CSV) and names the alias as an
    invalid item."""
    from tests.unit.report.fakes import ok

    assert stack.cli("add", "trybrandx").exit_code == 0
    stack.put({"hashtag": {"S": "ＴｒｙＢｒａｎｄＸ"}})
    snapshots = DynamoSnapshotStore("SnapshotsTable", stack.client)
    for hours in range(0, 7 * 24 + 1, 6):
        when = TICK - timedelta(hours=hours)
        snapshots.put(ok("trybrandx", when, 10_000 - hours, 100 - hours // 6), RETENTION)
    sources = DynamoReportSources(
        stack.hashtags, snapshots, DynamoVideoLedger("VideosTable", stack.client)
    )

    result = make_report(NOW, sources, LocalReportWriter(tmp_path), None, generated_at=NOW)

    assert [r.hashtag for r in result.report.hashtags] == ["trybrandx"]
    csv_text = next(tmp_path.rglob("report.csv")).read_text()
    assert [line.split(",")[1] for line in csv_text.splitlines()[1:]] == ["trybrandx"]
    [reason] = result.invalid_items
    assert "'ＴｒｙＢｒａｎｄＸ'" in reason and "not normalised" in reason


# -- infinite and huge thresholds ---------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [{"S": "Infinity"}, {"S": "inf"}, {"N": "1E+100"}, {"S": "1e-300"}],
    ids=["Infinity", "inf", "1e100", "1e-300"],
)
def test_an_infinite_threshold_is_an_invalid_item_not_a_poisoned_message(
    stack: Stack, value: dict[str, str]
) -> None:
    """Infinite threshold in an item.
    Injected: put-item stores `viral_growth_pct` as `Infinity`, `inf`, 1e100 or 1e-300
    beside a good item.
    Asserted: the scheduler counts the item invalid (`invalid: 1`) and sends only the good
    one, whose message the worker decodes (no `null` threshold reaches the queue)."""
    stack.put({"hashtag": {"S": "good"}})
    stack.put({"hashtag": {"S": "poison"}, "thresholds": {"M": {"viral_growth_pct": value}}})

    answer = stack.tick(TICK)

    assert (answer["sent"], answer["invalid"]) == (1, 1)
    assert [m.hashtag.hashtag for m in stack.sent()] == ["good"]


@pytest.mark.parametrize(
    "threshold",
    [
        "viral_growth_pct=inf",
        "viral_growth_pct=1e200",
        "viral_growth_pct=1e-300",
        "negative_sentiment_share=1e-300",
        "viral_day_views=1000000000000000",
    ],
)
def test_the_cli_refuses_an_unbounded_threshold_in_one_line(stack: Stack, threshold: str) -> None:
    """Infinite or huge threshold from the CLI.
    Injected: `add` and `update` with `--threshold viral_growth_pct=inf`, `=1e200`, `=1e-300`
    (DynamoDB numbers end near 1e±125), a 1e-300 sentiment share, 10^15 daily views.
    Asserted: exit 1 with one `Error:` line naming the threshold and no traceback; nothing is
    written or changed."""
    key = threshold.partition("=")[0]

    added = stack.cli("add", "brand", "--threshold", threshold)
    assert added.exit_code == 1, added.output
    _one_error_line(added.output)
    assert key in added.output
    assert stack.keys() == []

    assert stack.cli("add", "brand").exit_code == 0
    updated = stack.cli("update", "brand", "--threshold", threshold)
    assert updated.exit_code == 1, updated.output
    _one_error_line(updated.output)
    assert stack.hashtags.get("brand") == TrackedHashtag.parse(
        {"hashtag": "brand", "created_at": NOW, "updated_at": NOW}
    )


# -- the scheduler's event time -----------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        ({"detail-type": "Scheduled Event"}, 'no "time"'),
        ({"time": "yesterday"}, "not an ISO 8601 time"),
        ({"time": "2026-11-23T06:00:00"}, "no timezone"),
        ({"time": 1795413600}, "ISO 8601 text"),
        ({"time": "0001-01-01T00:00:00+01:00"}, "out of range"),
        ([], "JSON object"),
    ],
    ids=["missing", "garbage", "naive", "number", "before-year-1", "not-an-object"],
)
def test_a_scheduler_event_without_a_usable_time_is_refused_clearly(
    stack: Stack, event: Any, fragment: str
) -> None:
    """Scheduler event without a usable time.
    Injected: the scheduler invoked with no `time`, garbage, a naive time, a number, a time
    before year 1 in UTC, or a list.
    Asserted: a one-line SchedulerEventError saying what to send (no KeyError); no cycle is
    claimed and nothing is sent."""
    stack.put({"hashtag": {"S": "brand"}})

    with pytest.raises(SchedulerEventError) as refused:
        stack.tick(TICK, event=event)

    assert fragment in str(refused.value) and "\n" not in str(refused.value)
    assert stack.sent() == []
    assert stack.client.scan(TableName="StateTable")["Items"] == []


def test_a_scheduler_event_far_from_the_clock_claims_no_cycle(stack: Stack) -> None:
    """Scheduler event far from the clock.
    Injected: the scheduler invoked at 06:00 with a time three days ahead, then one seven hours
    old; three days later the real tick for that cycle fires.
    Asserted: both early events are refused (SchedulerEventError naming the bound), nothing is
    claimed or sent; the real tick claims its cycle and sends the hashtag (`claimed: true`)."""
    stack.put({"hashtag": {"S": "brand"}})
    ahead = TICK + timedelta(days=3)

    with pytest.raises(SchedulerEventError, match="15 minutes ahead"):
        stack.tick(ahead)
    with pytest.raises(SchedulerEventError, match="6 hours before"):
        stack.tick(TICK - timedelta(hours=7))
    assert stack.sent() == []

    stack.clock.set(ahead + timedelta(seconds=4))
    answer = stack.tick(ahead)

    assert answer["claimed"] is True and answer["sent"] == 1
    assert [m.cycle for m in stack.sent()] == [ahead]


def test_a_late_or_slightly_early_scheduler_event_still_runs(stack: Stack) -> None:
    """Scheduler event within the bounds.
    Injected: the tick reaches the scheduler 5 h 59 min late (an EventBridge and Lambda
    retry), and another 10 minutes before its time (clock skew).
    Asserted: both fan out their own cycle."""
    stack.put({"hashtag": {"S": "brand"}})
    stack.clock.set(TICK + timedelta(hours=5, minutes=59))
    assert stack.tick(TICK)["sent"] == 1
    stack.clock.set(TICK + timedelta(hours=6) - timedelta(minutes=10))
    assert stack.tick(TICK + timedelta(hours=6))["sent"] == 1
    assert [m.cycle for m in stack.sent()] == [TICK, TICK + timedelta(hours=6)]


# -- log keys between records ---------------------------------------------------------------


def _record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:fetch",
        "awsRegion": "us-east-1",
    }


def test_a_malformed_record_is_not_logged_with_the_previous_records_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Log keys leaking between records.
    Injected: a worker batch whose first record is a good message for `goodtag` and whose
    second is not JSON.
    Asserted: the malformed record's error line carries no `hashtag` or `correlation_id` (the
    good record's lines do)."""
    lines = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", lines)
    good = FetchMessage(cycle=TICK, hashtag=TrackedHashtag(hashtag="goodtag"))

    def collect(message: FetchMessage, receive_count: int, deps: object) -> CollectResult:
        return CollectResult(Outcome.WRITTEN)

    run = WorkerRun(deps=None, collect_one=collect)  # type: ignore[arg-type]
    records = [_record("good", good.body()), _record("bad", "{not json")]
    try:
        answer = partial_batch_response(records, run.handle)
    finally:
        logger.append_keys(correlation_id=None, hashtag=None)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    logged = [json.loads(line) for line in lines.getvalue().splitlines()]
    [collected] = [x for x in logged if x["message"] == "hashtag collected"]
    assert collected["hashtag"] == "goodtag" and collected["correlation_id"] == good.key
    [malformed] = [x for x in logged if x["message"].startswith("malformed fetch message")]
    assert malformed["message_id"] == "bad"
    assert "hashtag" not in malformed and "correlation_id" not in malformed


# -- text for spreadsheets and terminals ----------------------------------------------------


def test_a_formula_in_a_campaign_is_text_in_the_csv(stack: Stack, tmp_path: Path) -> None:
    """Formula in a campaign name (CSV injection).
    Injected: campaigns `=HYPERLINK("http://evil.example","x")`, `+1`, `-2+3`, `@SUM(A1)` set
    with the CLI, each tag with a week of snapshots.
    Asserted: every such cell of report.csv starts with `'` followed by the campaign, so no
    spreadsheet runs it; numbers stay numbers."""
    from tests.unit.report.fakes import ok

    campaigns = {
        "alpha": '=HYPERLINK("http://evil.example","x")',
        "beta": "+1",
        "gamma": "-2+3",
        "delta": "@SUM(A1)",
    }
    snapshots = DynamoSnapshotStore("SnapshotsTable", stack.client)
    for name, campaign in campaigns.items():
        assert stack.cli("add", name, "--campaign", campaign).exit_code == 0
        for hours in range(0, 7 * 24 + 1, 6):
            snapshots.put(ok(name, TICK - timedelta(hours=hours), 10_000 - hours, 100), RETENTION)
    sources = DynamoReportSources(
        stack.hashtags, snapshots, DynamoVideoLedger("VideosTable", stack.client)
    )

    make_report(NOW, sources, LocalReportWriter(tmp_path), None, generated_at=NOW)

    rows = list(csv.DictReader(io.StringIO(next(tmp_path.rglob("report.csv")).read_text())))
    assert {r["hashtag"]: r["campaign"] for r in rows} == {
        name: "'" + campaign for name, campaign in campaigns.items()
    }
    assert all(r["views_now"] == "10000" for r in rows)


def test_a_line_break_in_a_campaign_is_refused_and_forges_no_list_row(stack: Stack) -> None:
    """Line break in a campaign.
    Injected: `add --campaign 'BrandX\\n#forged ...'`, and the same campaign stored by
    put-item.
    Asserted: the CLI refuses in one line and stores nothing; `list` prints one real row,
    names the stored item as invalid on stderr (exit 3) and prints no forged row."""
    forged = "BrandX\n#forged                           campaign   BrandX               active"
    refused = stack.cli("add", "brand", "--campaign", forged)
    assert refused.exit_code == 1
    _one_error_line(refused.output)
    assert "campaign" in refused.output and stack.keys() == []

    assert stack.cli("add", "real").exit_code == 0
    stack.put({"hashtag": {"S": "brand"}, "campaign": {"S": forged}})
    listed = stack.cli("list")

    assert listed.exit_code == 3
    assert [line.split()[0] for line in listed.stdout.splitlines()[:-1]] == ["#real"]
    [warning] = listed.stderr.splitlines()
    assert "'brand'" in warning and "campaign" in warning
