"""Worker Lambda: SQS batches of fetch messages -> snapshots, ledger, alerts (partial failures)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# boto3 before anything else: on a fresh interpreter this import order measured ~25 ms less
# than Powertools first (bench/RESULTS.md, import section), with the same modules loaded.
import boto3  # noqa: F401
from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.collection.batch import BatchProgress
from hashtag_tracker.collection.handler import WorkerRun
from hashtag_tracker.collection.sqs import PartialBatchResponse
from hashtag_tracker.config import WorkerSettings, load_settings
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.wiring.worker import WorkerContainer, make_worker_container


@lru_cache(maxsize=1)
def container() -> WorkerContainer:
    """Made at the first invocation of a container, reused by the next ones."""
    return make_worker_container(load_settings(WorkerSettings))


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, deps: WorkerContainer | None = None
) -> PartialBatchResponse:
    progress = BatchProgress()
    run = WorkerRun((deps or container()).invocation(context, progress), progress=progress)
    return run.process(event.get("Records", []))
