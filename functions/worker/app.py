"""Worker Lambda: SQS batches of fetch messages -> snapshots, ledger, alerts (partial failures)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.collection.batch import BatchProgress
from hashtag_tracker.collection.handler import WorkerRun, build_worker_deps
from hashtag_tracker.observability import logger, metrics

# A batch whose records all fail still answers with its failures (not an error), so
# the event source mapping treats every record the same way.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    progress = BatchProgress()
    run = WorkerRun(build_worker_deps(context, progress), progress=progress)
    with run.batch(event.get("Records", [])):
        return process_partial_response(
            event=event, record_handler=run.handle, processor=processor, context=context
        )
