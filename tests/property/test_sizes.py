"""Sizes (issue 17): what one item or one week holds never makes a message SQS or SNS refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from hypothesis import example, given
from hypothesis import strategies as st
from moto import mock_aws

from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.scheduler import TickSettings, fan_out
from hashtag_tracker.models.codec import decode_json
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.report.compute import build_report
from hashtag_tracker.report.model import SkippedHashtag
from hashtag_tracker.report.run import summary_text
from hashtag_tracker.storage.queue import SqsFetchQueue
from tests.property.conftest import STABLE
from tests.unit.collection.fakes import tick_ports

pytestmark = pytest.mark.property

SQS_MAX_BYTES = 256 * 1024  # per message and per SendMessageBatch request
SNS_MAX_BYTES = 256 * 1024  # per published message
CYCLE = datetime(2026, 11, 23, 6, tzinfo=UTC)
CHARS = st.sampled_from(["x", "é", "名", "😀"])  # 1 to 4 UTF-8 bytes
NAME_CHARS = st.sampled_from(["x", "é", "名", "𠀀"])  # letters, 1 to 4 UTF-8 bytes


def long_text(most: int) -> st.SearchStrategy[str]:
    return st.builds(lambda ch, n: ch * n, CHARS, st.integers(0, most))


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


@STABLE
@given(
    name=st.builds(lambda ch, n: ch * n, NAME_CHARS, st.integers(1, 100)),
    campaign=st.one_of(st.none(), st.builds(lambda ch, n: ch * n, CHARS, st.integers(1, 64))),
    status=st.one_of(st.none(), long_text(300_000)),
    hashtag_id=st.one_of(st.none(), long_text(300_000)),
)
@example(name="𠀀" * 100, campaign="😀" * 64, status="😀" * 300_000, hashtag_id="s" * 300_000)
def test_a_fetch_message_fits_an_sqs_batch_whatever_the_item_holds(
    name: str, campaign: str | None, status: str | None, hashtag_id: str | None
) -> None:
    """Fetch message of an item with oversized free text.
    Input: valid items with the longest name (100 characters) and campaign (64) of 1- to
    4-byte characters, and `status` / `hashtag_id` of any length up to 300,000 characters.
    Asserted: ten such bodies fit one SendMessageBatch (256 KiB); a body decodes to the same
    tag, kind, campaign and thresholds, and keeps `status` / `hashtag_id` when short.
    """
    item = TrackedHashtag(
        hashtag=name,
        kind=HashtagKind.COMPETITOR,
        campaign=campaign,
        status=status,
        hashtag_id=hashtag_id,
    )
    body = FetchMessage(cycle=CYCLE, hashtag=item).body()
    assert 10 * _size(body) <= SQS_MAX_BYTES
    back = decode_json(body, FetchMessage).hashtag
    assert (back.hashtag, back.kind, back.campaign, back.thresholds) == (
        item.hashtag,
        item.kind,
        item.campaign,
        item.thresholds,
    )
    for field in ("status", "hashtag_id"):
        value = getattr(item, field)
        if value is not None and _size(value) <= 200:
            assert getattr(back, field) == value


class _Claims:
    def claim_cycle(self, cycle: datetime, now: datetime, stale_after: timedelta) -> bool:
        return True

    def release_cycle(self, cycle: datetime, now: datetime) -> None:
        return

    def finish_cycle(self, cycle: datetime, sent: int, invalid: int) -> None:
        return


def _refuse_what_sqs_refuses(params: dict[str, Any], **_: Any) -> Any:
    """SQS's own size check, which moto does not make: a batch over 256 KiB is refused."""
    total = sum(_size(e["MessageBody"]) for e in params.get("Entries", []))
    if total <= SQS_MAX_BYTES:
        return None
    error = {
        "Error": {"Code": "AWS.SimpleQueueService.BatchRequestTooLong", "Message": "too long"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    return AWSResponse("https://sqs.invalid/", 400, {}, None), error


def test_one_item_with_a_long_status_never_stops_the_fan_out() -> None:
    """Fan-out of a cycle with one item holding a 300 KB `status`.
    Input: eight due hashtags; one item's `status` is 300,000 characters; the queue is
    moto's SQS with SQS's batch size check (BatchRequestTooLong over 256 KiB).
    Asserted: all eight messages are queued (the long field is left out of the message),
    not 0 of 8 every cycle.
    """
    items = [TrackedHashtag(hashtag=f"tag{i}") for i in range(7)]
    items.append(TrackedHashtag(hashtag="oddtag", status="s" * 300_000))
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="fetch")["QueueUrl"]
        sqs.meta.events.register("provide-client-params.sqs.SendMessageBatch", _keep)
        sqs.meta.events.register_first("before-call.sqs.SendMessageBatch", _check)
        result = fan_out(
            CYCLE,
            settings=TickSettings(),
            ports=tick_ports(items, _Claims(), SqsFetchQueue(url, client=sqs)),
            now=CYCLE,
        )
        depth = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
    assert (result.sent, depth, result.invalid) == (8, "8", [])


def _keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["size_check_params"] = dict(params)


def _check(context: dict[str, Any], **_: Any) -> Any:
    return _refuse_what_sqs_refuses(context.get("size_check_params", {}))


@STABLE
@given(
    names=st.lists(
        st.builds(lambda ch, n: ch * n, NAME_CHARS, st.integers(1, 100)), max_size=3_000
    ),
    link=st.builds(
        lambda n: "https://bucket.s3.amazonaws.com/r?X-Amz=" + "a" * n, st.integers(0, 2_000)
    ),
)
@example(names=[f"{i:04d}" + "𠀀" * 96 for i in range(2_600)], link="https://x/" + "a" * 2_000)
def test_the_report_summary_fits_sns(names: list[str], link: str) -> None:
    """Weekly summary of a week with thousands of skipped tags.
    Input: up to 3,000 skipped tags with names of up to 100 characters of 1- to 4-byte
    characters; a presigned link of up to 2 KB.
    Asserted: the summary fits one SNS message (256 KiB) and ends with the link and the
    stored location; past 20 skipped tags it names 20 and says how many more.
    """
    as_of = datetime(2026, 11, 23, 9, tzinfo=UTC)
    skipped = [SkippedHashtag(hashtag=n, reason="Query failed") for n in names]
    report = build_report(as_of, as_of, [], skipped)
    stored_at = "s3://reports/2026-11-23/report.html"
    text = summary_text(report, link, stored_at)
    assert _size(text) <= SNS_MAX_BYTES
    assert f"Report: {link}" in text and text.rstrip().endswith(f"aws s3 presign {stored_at})")
    if len(names) > 20:
        assert f"+{len(names) - 20} more" in text
