"""SQS batches with partial failures: each record handled alone, the failed ones reported.

The loop of Powertools' BatchProcessor + process_partial_response, in the few lines the
worker needs: importing Powertools' batch utility loads asyncio and every event data class
and took about 25 ms of each cold start (bench/RESULTS.md, import section).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict


class ItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    batchItemFailures: list[ItemFailure]


@dataclass(frozen=True)
class SqsRecord:
    """The parts of an SQS event record the worker reads."""

    message_id: str
    body: str
    receive_count: str

    @classmethod
    def from_event(cls, raw: Mapping[str, Any]) -> SqsRecord:
        """Raises KeyError or TypeError when `raw` is not an SQS record."""
        attributes = raw.get("attributes") or {}
        return cls(
            message_id=str(raw["messageId"]),
            body=raw["body"],
            receive_count=str(attributes.get("ApproximateReceiveCount", "")),
        )


def partial_batch_response(
    records: Sequence[Mapping[str, Any]],
    handle: Callable[[SqsRecord], object],
    on_failure: Callable[[str, Exception], None] | None = None,
) -> PartialBatchResponse:
    """Handle every record; the answer names the ones that failed, so SQS retries only them.

    A record too broken to carry a message id is reported with an empty id, which the event
    source mapping reads as "retry the whole batch": nothing is acknowledged unhandled.
    A batch whose records all fail still answers with its failures, like any other batch.
    """
    failures: list[ItemFailure] = []
    for raw in records:
        message_id = str(raw.get("messageId") or "") if isinstance(raw, Mapping) else ""
        try:
            handle(SqsRecord.from_event(raw))
        except Exception as exc:  # one record's failure must not end the batch
            if on_failure is not None:
                on_failure(message_id, exc)
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
