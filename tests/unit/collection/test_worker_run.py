"""One worker invocation: typed records, partial batch failures, a refused key stops calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response

from functions.worker.app import processor
from hashtag_tracker.collection.handler import WorkerRun
from hashtag_tracker.source.errors import AuthError
from tests.unit.collection.test_worker import FakeProvider, _deps

EVENTS = Path(__file__).resolve().parents[3] / "events"


def _event(*bodies: str) -> dict[str, Any]:
    template = json.loads((EVENTS / "worker_batch.json").read_text())["Records"][0]
    return {
        "Records": [
            {**template, "messageId": f"m{i}", "body": body} for i, body in enumerate(bodies)
        ]
    }


def _run(event: dict[str, Any], run: WorkerRun) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=run.handle, processor=processor)
    )


def test_sample_event_fails_only_its_malformed_record() -> None:
    # Given the sample event: one good message, one that is not JSON
    provider = FakeProvider()
    deps, _ = _deps(provider)
    event = json.loads((EVENTS / "worker_batch.json").read_text())
    # When
    answer = _run(event, WorkerRun(deps))
    # Then only the malformed one goes back to the queue (and to the DLQ after its retries)
    bad_id = event["Records"][1]["messageId"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": bad_id}]}
    assert provider.calls[0] == "stats"


def test_a_refused_key_fails_the_rest_of_the_batch_without_calling() -> None:
    provider = FakeProvider()
    provider.fail_stats = AuthError("401 unauthorized", status=401)
    deps, _ = _deps(provider)
    body = json.loads(json.loads((EVENTS / "worker_batch.json").read_text())["Records"][0]["body"])
    bodies = []
    for tag in ("a", "b", "c"):
        body["hashtag"]["hashtag"] = tag
        bodies.append(json.dumps(body))
    answer = _run(_event(*bodies), WorkerRun(deps))
    assert len(answer["batchItemFailures"]) == 3
    assert provider.calls == ["stats"]  # one refused call, then none
