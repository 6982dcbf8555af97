"""SQS partial batches: each record handled alone, the failed ones named, unexpected ones logged."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hashtag_tracker.collection import handler
from hashtag_tracker.collection.handler import WorkerRun
from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.sqs import SqsRecord, partial_batch_response
from hashtag_tracker.collection.worker import (
    CollectResult,
    FatalRunError,
    Outcome,
    RetryLaterError,
    WorkerDeps,
)
from hashtag_tracker.models.codec import ValidationError
from tests.unit.collection.test_worker import FakeProvider, _deps
from tests.unit.collection.test_worker_run import _bodies

EVENTS = Path(__file__).resolve().parents[3] / "events"


def _raw(message_id: str, body: str = "{}", count: str | None = "1") -> dict[str, Any]:
    attributes = {} if count is None else {"ApproximateReceiveCount": count}
    return {"messageId": message_id, "body": body, "attributes": attributes}


class Handled:
    """A record handler that remembers what it saw and fails the ids it is told to."""

    def __init__(self, failing: Mapping[str, Exception] | None = None) -> None:
        self.failing = dict(failing or {})
        self.seen: list[str] = []

    def __call__(self, record: SqsRecord) -> object:
        self.seen.append(record.message_id)
        if record.message_id in self.failing:
            raise self.failing[record.message_id]
        return {"ok": record.message_id}


# SqsRecord.from_event


def test_from_event_reads_id_body_and_receive_count_as_text() -> None:
    # Given an SQS event record
    raw = _raw("m1", body='{"v":1}', count="3")
    # When
    record = SqsRecord.from_event(raw)
    # Then the parts the worker reads are there, the receive count kept as text
    assert record == SqsRecord(message_id="m1", body='{"v":1}', receive_count="3")


def test_from_event_reads_a_numeric_receive_count_as_text() -> None:
    # Given a record whose receive count came as a number (a test event written by hand)
    raw = {"messageId": "m1", "body": "{}", "attributes": {"ApproximateReceiveCount": 2}}
    # When
    record = SqsRecord.from_event(raw)
    # Then it is still text, like SQS sends it
    assert record.receive_count == "2"


@pytest.mark.parametrize(
    "raw",
    [
        {"messageId": "m1", "body": "{}"},
        {"messageId": "m1", "body": "{}", "attributes": None},
        {"messageId": "m1", "body": "{}", "attributes": {}},
        {"messageId": "m1", "body": "{}", "attributes": {"SentTimestamp": "1"}},
    ],
    ids=["no-attributes", "null-attributes", "empty-attributes", "other-attributes"],
)
def test_from_event_without_a_receive_count_reads_empty_text(raw: dict[str, Any]) -> None:
    # Given a record that does not say how often it was received
    # When
    record = SqsRecord.from_event(raw)
    # Then the count is '' (the worker then refuses the record), never an error here
    assert record.receive_count == ""


@pytest.mark.parametrize(
    "raw",
    [{"body": "{}"}, {"messageId": "m1"}, "not a record", None, ["m1"]],
    ids=["no-message-id", "no-body", "text", "none", "list"],
)
def test_from_event_refuses_what_is_not_an_sqs_record(raw: Any) -> None:
    # Given something that is not an SQS record
    # When / Then it raises one of the errors WorkerRun.batch skips (never anything else)
    with pytest.raises((KeyError, TypeError, AttributeError)):
        SqsRecord.from_event(raw)


def test_the_sample_event_reads_as_records() -> None:
    # Given the sample worker event
    raws = json.loads((EVENTS / "worker_batch.json").read_text())["Records"]
    # When
    records = [SqsRecord.from_event(raw) for raw in raws]
    # Then
    assert [r.message_id for r in records] == [raw["messageId"] for raw in raws]
    assert [r.body for r in records] == [raw["body"] for raw in raws]
    assert [r.receive_count for r in records] == ["1", "1"]


# partial_batch_response


def test_an_empty_batch_answers_no_failures() -> None:
    # Given no records
    handle = Handled()
    # When
    answer = partial_batch_response([], handle)
    # Then
    assert answer == {"batchItemFailures": []}
    assert handle.seen == []


def test_every_record_is_handled_alone_in_order() -> None:
    # Given three good records
    handle = Handled()
    records = [_raw("m0"), _raw("m1"), _raw("m2")]
    # When
    answer = partial_batch_response(records, handle)
    # Then each one reached the handler once, in the batch's order, and none failed
    assert handle.seen == ["m0", "m1", "m2"]
    assert answer == {"batchItemFailures": []}


def test_a_failing_record_does_not_stop_the_others() -> None:
    # Given a batch whose second and fourth records fail
    handle = Handled({"m1": RuntimeError("bug"), "m3": ValueError("bad")})
    records = [_raw(f"m{i}") for i in range(5)]
    # When
    answer = partial_batch_response(records, handle)
    # Then every record was tried, and only the failed ones are named, in order
    assert handle.seen == ["m0", "m1", "m2", "m3", "m4"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m3"}]}


def test_a_batch_whose_records_all_fail_answers_with_its_failures() -> None:
    # Given a batch where every record fails
    handle = Handled({f"m{i}": RuntimeError("down") for i in range(3)})
    records = [_raw(f"m{i}") for i in range(3)]
    # When (no exception: the event source mapping treats it like any other batch)
    answer = partial_batch_response(records, handle)
    # Then
    assert answer == {
        "batchItemFailures": [
            {"itemIdentifier": "m0"},
            {"itemIdentifier": "m1"},
            {"itemIdentifier": "m2"},
        ]
    }


@pytest.mark.parametrize(
    "broken",
    [{"body": "{}", "attributes": {}}, "not a record", None, ["m9"]],
    ids=["no-message-id", "text", "none", "list"],
)
def test_a_record_without_a_message_id_fails_with_an_empty_identifier(broken: Any) -> None:
    # Given a batch with one record that carries no message id between two good ones
    handle = Handled()
    records = [_raw("m0"), broken, _raw("m2")]
    # When
    answer = partial_batch_response(records, handle)
    # Then it is named with an empty id (Lambda retries the whole batch), and the others
    # are still handled
    assert answer == {"batchItemFailures": [{"itemIdentifier": ""}]}
    assert handle.seen == ["m0", "m2"]


def test_a_record_without_a_body_fails_under_its_own_id() -> None:
    # Given a record with an id but no body
    handle = Handled()
    records = [_raw("m0"), {"messageId": "m1", "attributes": {}}]
    # When
    answer = partial_batch_response(records, handle)
    # Then only that record fails, named by its id
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert handle.seen == ["m0"]


def test_each_failure_is_passed_to_on_failure_with_its_id_and_error() -> None:
    # Given a batch with a failing record and one that is not a record
    boom = RuntimeError("bug")
    handle = Handled({"m1": boom})
    reported: list[tuple[str, Exception]] = []
    records = [_raw("m0"), _raw("m1"), "not a record"]
    # When
    partial_batch_response(records, handle, lambda mid, exc: reported.append((mid, exc)))
    # Then on_failure heard of both failures, in order, and not of the success
    assert [mid for mid, _ in reported] == ["m1", ""]
    assert reported[0][1] is boom
    assert isinstance(reported[1][1], (KeyError, TypeError, AttributeError))


# WorkerRun.process: only the failures `handle` has not logged are logged and counted


class Recorded:
    """Stands in for the Powertools logger and metrics: what was logged and counted."""

    def __init__(self) -> None:
        self.metrics: list[str] = []
        self.errors: list[tuple[str, dict[str, Any]]] = []

    def add_metric(self, name: str, unit: str, value: float) -> None:
        self.metrics.append(name)

    def append_keys(self, **keys: Any) -> None:
        pass

    def info(self, message: str, extra: dict[str, Any] | None = None) -> None:
        pass

    def warning(self, message: str, extra: dict[str, Any] | None = None) -> None:
        pass

    def error(self, message: str, extra: dict[str, Any] | None = None) -> None:
        self.errors.append((message, extra or {}))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    spy = Recorded()
    monkeypatch.setattr(handler, "metrics", spy)
    monkeypatch.setattr(handler, "logger", spy)
    return spy


def _records(*bodies: str) -> list[dict[str, Any]]:
    return [_raw(f"m{i}", body) for i, body in enumerate(bodies)]


def _failing_on(tag: str, error: Exception) -> Any:
    def collect_one(message: FetchMessage, receive_count: int, deps: WorkerDeps) -> CollectResult:
        if message.hashtag.hashtag == tag:
            raise error
        return CollectResult(Outcome.WRITTEN, credits=1, calls=1)

    return collect_one


def _failed_logs(recorded: Recorded) -> list[dict[str, Any]]:
    return [extra for message, extra in recorded.errors if message.startswith("record failed")]


def test_an_unexpected_failure_is_logged_and_counted_once(recorded: Recorded) -> None:
    # Given a batch whose second record hits a bug in the collection
    deps, _ = _deps(FakeProvider())
    run = WorkerRun(deps, collect_one=_failing_on("b", KeyError("views")))
    # When
    answer = run.process(_records(*_bodies("a", "b", "c")))
    # Then only that record fails, and it is counted and logged once, with its id and error
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert recorded.metrics.count("RecordFailed") == 1
    assert _failed_logs(recorded) == [{"message_id": "m1", "error": "KeyError: 'views'"}]
    assert recorded.metrics.count("Outcome_written") == 2


@pytest.mark.parametrize(
    ("error", "own_metric"),
    [
        (RetryLaterError("503 from the data API"), "FetchRetried"),
        (FatalRunError("401 unauthorized"), "FetchFatal"),
    ],
    ids=["retry-later", "fatal-run"],
)
def test_a_failure_the_handler_logged_is_not_logged_again(
    recorded: Recorded, error: Exception, own_metric: str
) -> None:
    # Given a batch whose only record fails in a way `handle` logs and counts itself
    deps, _ = _deps(FakeProvider())
    run = WorkerRun(deps, collect_one=_failing_on("a", error))
    # When
    answer = run.process(_records(*_bodies("a")))
    # Then it fails, counted under its own metric only: no RecordFailed, no second log
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert recorded.metrics.count(own_metric) == 1
    assert "RecordFailed" not in recorded.metrics
    assert _failed_logs(recorded) == []


def test_a_malformed_message_is_counted_as_malformed_only(recorded: Recorded) -> None:
    # Given a batch with one message that is not JSON between two good ones
    deps, _ = _deps(FakeProvider())
    good_a, good_c = _bodies("a", "c")
    run = WorkerRun(deps, collect_one=_failing_on("none", RuntimeError("unused")))
    # When
    answer = run.process(_records(good_a, "not json", good_c))
    # Then it fails alone, counted once as malformed and never as RecordFailed
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert recorded.metrics.count("MalformedMessages") == 1
    assert "RecordFailed" not in recorded.metrics
    assert _failed_logs(recorded) == []
    assert recorded.metrics.count("Outcome_written") == 2


def test_a_record_with_no_message_id_is_logged_as_unexpected(recorded: Recorded) -> None:
    # Given a batch with a record too broken to carry a message id
    deps, _ = _deps(FakeProvider())
    (good,) = _bodies("a")
    run = WorkerRun(deps, collect_one=_failing_on("none", RuntimeError("unused")))
    # When
    answer = run.process([{"body": good, "attributes": {}}, _raw("m1", good)])
    # Then the whole batch is retried (empty id) and the broken record is logged and counted
    assert answer == {"batchItemFailures": [{"itemIdentifier": ""}]}
    assert recorded.metrics.count("RecordFailed") == 1
    (logged,) = _failed_logs(recorded)
    assert logged["message_id"] == "" and logged["error"].startswith("KeyError")


def test_a_stored_item_that_no_longer_reads_is_logged_as_unexpected(recorded: Recorded) -> None:
    # Given a good message whose collection hits a validation error of its own (a corrupt
    # stored snapshot read back), not the message's
    deps, _ = _deps(FakeProvider())
    corrupt = ValidationError("an ok snapshot needs both views and videos")
    run = WorkerRun(deps, collect_one=_failing_on("b", corrupt))
    # When
    answer = run.process(_records(*_bodies("a", "b")))
    # Then it fails alone and is logged and counted (not taken for a malformed message)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert recorded.metrics.count("RecordFailed") == 1
    assert recorded.metrics.count("MalformedMessages") == 0
