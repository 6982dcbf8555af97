"""Fetch-queue input: fuzzed SQS bodies next to a good one, through the worker's batch handling."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashtag_tracker.collection.handler import FetchRecord, WorkerRun
from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.sqs import SqsRecord, partial_batch_response
from hashtag_tracker.collection.worker import CollectResult, Outcome
from hashtag_tracker.models.codec import DecodeError, to_data
from hashtag_tracker.models.hashtag import TrackedHashtag
from tests.property.conftest import STABLE
from tests.property.strategies import ANY_TEXT, json_values

pytestmark = pytest.mark.property

GOOD = FetchMessage(
    cycle=datetime(2026, 11, 2, 6, tzinfo=UTC), hashtag=TrackedHashtag(hashtag="goodtag")
)
FIELDS = ("v", "cycle", "hashtag", "deferrals")


def _record(message_id: str, body: str, receive_count: Any = "1") -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": receive_count},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:fetch",
        "awsRegion": "us-east-1",
    }


def bodies() -> st.SearchStrategy[str]:
    good = json.loads(GOOD.body())
    mutated = st.builds(
        lambda field, value: json.dumps({**good, field: value}),
        st.sampled_from(FIELDS),
        json_values(max_leaves=6),
    )
    nested = st.builds(
        lambda field, value: json.dumps({**good, "hashtag": {**good["hashtag"], field: value}}),
        st.sampled_from(("hashtag", "kind", "thresholds", "start_date", "campaign", "extra")),
        json_values(max_leaves=6),
    )
    return st.one_of(ANY_TEXT, json_values().map(json.dumps), mutated, nested)


@STABLE
@given(bodies(), st.sampled_from(["1", "3", "0", "x", "", None]))
def test_a_fuzzed_body_fails_alone_and_never_reaches_the_api(body: str, receive_count: Any) -> None:
    """SQS bodies: text, any JSON, and the fetch message with a field replaced by any JSON
    value (also inside its hashtag item), with odd receive counts.
    Asserted: the batch never crashes; the good record is collected; the fuzzed one is
    either a valid message (normalised tag) or fails alone with a validation error before
    any call (SQS retries it, then the DLQ keeps it)."""
    collected: list[FetchMessage] = []

    def collect(message: FetchMessage, receive_count: int, deps: object) -> CollectResult:
        collected.append(message)
        return CollectResult(Outcome.WRITTEN)

    event = {
        "Records": [
            _record("good", GOOD.body()),
            _record("fuzzed", body, receive_count),
        ]
    }
    run = WorkerRun(deps=None, collect_one=collect)  # type: ignore[arg-type]
    answer = partial_batch_response(event["Records"], run.handle)

    failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
    assert "good" not in failed and collected[0] == GOOD
    try:
        FetchRecord.from_record(SqsRecord.from_event(_record("fuzzed", body, receive_count)))
    except DecodeError:
        assert failed == {"fuzzed"} and len(collected) == 1
    else:
        assert failed == set() and len(collected) == 2
        assert (
            collected[1].hashtag.hashtag
            == TrackedHashtag.parse(to_data(collected[1].hashtag)).hashtag
        )
