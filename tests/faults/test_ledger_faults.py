"""Faults of the video ledger (issue 17): odd videos from the data API, ledger writes that fail,
are cut short or lose their answer, through the real handlers on the emulated stack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
import urllib3

import hashtag_tracker_tools.simulator.server as sim_server
from hashtag_tracker.storage.videos import DynamoVideoLedger
from hashtag_tracker_tools.local.stack import MotoServer, provision
from tests.faults.harness import (
    API_KEY,
    API_KEY_SECRET,
    CALM,
    SLACK_SECRET,
    SLACK_URL,
    Expect,
    Harness,
    MakeHarness,
    Stack,
    _parameters,
    assert_invariants,
    cycles,
    private_client,
)
from tests.faults.inject import InjectedReadTimeout, Params

pytestmark = pytest.mark.faults

ONE_TAG = {"calmone": CALM}
LONG_ID_BYTES = 1_100  # over DynamoDB's 1,024-byte sort-key limit
HUGE_NICKNAME = "名" * 150_000  # 450 KB of UTF-8: over DynamoDB's 400 KB item limit


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """This module's own emulated stack, in a moto server of its own process: an in-process
    `mock_aws()` of another fault module (test_input_faults) resets the moto backends this
    process shares, the session stack's tables with them."""
    with MotoServer(process=True) as moto:
        info = provision(
            moto.endpoint_url,
            _parameters(),
            secrets={API_KEY_SECRET: API_KEY, SLACK_SECRET: SLACK_URL},
        )
        yield Stack(info)


def _videos_table(h: Harness) -> str:
    return h.info.outputs["VideosTableName"]


def ledger_counts(h: Harness, hashtag: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """((video items, creator items) stored, the totals the report reads)."""
    dynamodb = private_client("dynamodb", h.info)
    videos = creators = 0
    for page in dynamodb.get_paginator("query").paginate(
        TableName=_videos_table(h),
        KeyConditionExpression="hashtag = :h",
        ExpressionAttributeValues={":h": {"S": hashtag}},
        ConsistentRead=True,
    ):
        for item in page["Items"]:
            sk = item["sk"]["S"]
            videos += sk.startswith("video#")
            creators += sk.startswith("creator#")
    totals = DynamoVideoLedger(_videos_table(h), client=dynamodb).totals(hashtag)
    return (videos, creators), totals


def stats_calls(h: Harness) -> int:
    return int(h.simulator.truth().calls.get("hashtag", 0))


def _ledger_write(h: Harness) -> Any:
    """A batch write request on the Videos table."""
    name = _videos_table(h)
    return lambda params: name in params.get("RequestItems", {})


def _nth(match: Any, n: int) -> Any:
    """`match`, true only for the n-th call it matches (counted over every operation)."""
    seen = [0]

    def nth(params: Params) -> bool:
        if not match(params):
            return False
        seen[0] += 1
        return seen[0] == n

    return nth


def test_an_odd_video_never_blanks_the_hashtag(
    harness_factory: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Odd video on the data API's page (ids and text over DynamoDB's limits).
    Injected: every page of videos carries one video whose author id is 1,100 bytes (over the
    1,024-byte sort-key limit), one whose author nickname is 450 KB (over the 400 KB item
    limit) and one with a 100 KB description.
    Asserted: every snapshot ok and written once, one stats call per hashtag and cycle (no
    retry re-spends credits), DLQ empty; the ledger keeps the page without the long-id video
    (bounded nickname and description stored), and its totals equal what it holds.
    """
    plain = sim_server._aweme

    def odd_aweme(video: Any) -> dict[str, Any]:
        answer = plain(video)
        if video.index % 30 == 1:
            answer["author"]["unique_id"] = "u" * LONG_ID_BYTES
        elif video.index % 30 == 2:
            answer["author"]["nickname"] = HUGE_NICKNAME
        elif video.index % 30 == 3:
            answer["desc"] = "d" * 100_000
        return answer

    monkeypatch.setattr(sim_server, "_aweme", odd_aweme)
    h = harness_factory(ONE_TAG)
    whens = cycles(2)
    h.run(whens)

    assert stats_calls(h) == len(whens)
    assert_invariants(h, Expect(whens))
    (videos, creators), totals = ledger_counts(h, "calmone")
    assert videos == 29, videos  # the long-id video dropped, the page kept
    assert totals == (videos, creators)
    dynamodb = private_client("dynamodb", h.info)
    items = dynamodb.query(
        TableName=_videos_table(h),
        KeyConditionExpression="hashtag = :h",
        ExpressionAttributeValues={":h": {"S": "calmone"}},
    )["Items"]
    assert all(len(i.get("nickname", {}).get("S", "").encode()) <= 256 for i in items)
    assert all(len(i.get("description", {}).get("S", "").encode()) <= 1_200 for i in items)
    assert "u" * LONG_ID_BYTES not in json.dumps(items)


def test_a_failing_ledger_write_keeps_the_snapshot(harness_factory: MakeHarness) -> None:
    """Ledger write refused after the stats were fetched.
    Injected: every write to the Videos table fails with a ValidationException (as DynamoDB
    answers an item it refuses) for the first cycle, whose page of videos is due.
    Asserted: the snapshot is written once and ok, one stats call per hashtag and cycle (the
    record is not retried into re-spending credits), DLQ empty; the ledger stays empty with
    totals 0, and the next day's page fills it with totals equal to what it holds.
    """
    h = harness_factory(ONE_TAG)
    whens = cycles(5)  # the first and the last (next day) fetch a page of videos
    rule = h.boto.fail("BatchWriteItem", "ValidationException", match=_ledger_write(h))
    h.run(whens[:1])
    assert h.boto.injected["fail:dynamodb.BatchWriteItem"] >= 1
    assert ledger_counts(h, "calmone") == ((0, 0), (0, 0))
    h.boto.rules.remove(rule)

    h.run(whens[1:])
    assert stats_calls(h) == len(whens)
    assert_invariants(h, Expect(whens))
    stored, totals = ledger_counts(h, "calmone")
    assert stored[0] > 0 and totals == stored


def test_a_ledger_write_cut_short_never_undercounts(harness_factory: MakeHarness) -> None:
    """Ledger write cut short (a later chunk throttled past retries).
    Injected: the ledger writes a page's items in requests of 25; the second request of the
    first cycle fails with ProvisionedThroughputExceeded after botocore's retries.
    Asserted: the totals never exceed what the ledger holds, and the next day's page brings
    them to exactly what it holds (the old summary stayed 25 short for good); every snapshot
    ok and written once, one stats call per hashtag and cycle, DLQ empty.
    """
    h = harness_factory(ONE_TAG)
    whens = cycles(5)
    h.boto.fail("BatchWriteItem", match=_nth(_ledger_write(h), 2), times=1)
    h.run(whens[:1])
    stored, totals = ledger_counts(h, "calmone")
    assert stored[0] + stored[1] == 25, stored  # the first request's items only
    assert totals[0] <= stored[0] and totals[1] <= stored[1], (stored, totals)

    h.run(whens[1:])
    stored, totals = ledger_counts(h, "calmone")
    assert stored[0] >= 30 and totals == stored, (stored, totals)
    assert stats_calls(h) == len(whens)
    assert_invariants(h, Expect(whens))


LEDGER_WRITES = ("BatchWriteItem", "PutItem", "UpdateItem")


@contextmanager
def first_answers_lost(h: Harness) -> Iterator[list[str]]:
    """Every write request on the Videos table reaches the server and is applied, but the
    answer to its first sending is lost (a read timeout), so botocore's own retry sends the
    same request again."""
    lost: list[str] = []
    sent: set[bytes] = set()
    http = urllib3.PoolManager()
    table = _videos_table(h).encode()

    def deliver_then_lose(request: Any, **_: Any) -> None:
        target = str(request.headers.get("X-Amz-Target", b""), "ascii", "replace")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if not target.endswith(LEDGER_WRITES) or table not in body or body in sent:
            return
        sent.add(body)
        headers = {
            k: str(v, "ascii") if isinstance(v, bytes) else v for k, v in request.headers.items()
        }
        http.request(request.method, request.url, body=body, headers=headers)
        lost.append(target.rsplit(".", 1)[-1])
        raise InjectedReadTimeout(endpoint_url=f"{request.url} (answer lost)")

    events = boto3._get_default_session().events
    events.register("before-send.dynamodb", deliver_then_lose, unique_id="ledger-answer-lost")
    try:
        yield lost
    finally:
        events.unregister("before-send.dynamodb", unique_id="ledger-answer-lost")


def test_lost_answers_of_ledger_writes_never_count_twice(
    harness_factory: MakeHarness,
) -> None:
    """Lost answers of the ledger's writes (botocore sends them again).
    Injected: every write request on the Videos table (the page's items and, before the fix,
    the `summary` item's ADD) is applied, but the answer to its first sending is lost to a
    read timeout, so botocore's standard retry sends it again.
    Asserted: the totals the report reads equal the videos and creators the ledger holds
    (counted once); every snapshot ok and written once, one stats call per hashtag and cycle,
    DLQ empty.
    """
    h = harness_factory(ONE_TAG)
    whens = cycles(1)
    with first_answers_lost(h) as lost:
        h.run(whens)
    assert "BatchWriteItem" in lost, lost
    stored, totals = ledger_counts(h, "calmone")
    assert stored[0] == 30 and totals == stored, (stored, totals)
    assert stats_calls(h) == len(whens)
    assert_invariants(h, Expect(whens))
