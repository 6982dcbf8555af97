"""Load: 5,000 tracked hashtags through the scheduler, 500 through the workers, on the
emulated stack (moto server from template.yaml) and the simulator; time and peak memory are
recorded (record_property "load") for docs/RELIABILITY.md.

The scheduler reads the real (emulated) Hashtags table and claims the cycle in the real State
table; only the fan-out's SendMessageBatch calls are answered by a recording stand-in at the
boto3 layer, because moto's SQS slows down with queue depth in a way real SQS does not. The
500 collected hashtags go through the real fetch queue, workers, tables and simulator."""

from __future__ import annotations

import io
import json
import resource
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from hashtag_tracker.clock import ManualClock, to_iso
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.snapshot import SnapshotStatus
from hashtag_tracker.storage.dynamo import deserialize_item, serialize_item
from hashtag_tracker.storage.hashtags import hashtag_to_item
from hashtag_tracker.storage.snapshots import item_to_snapshot
from hashtag_tracker_tools.local.runner import LocalRunner
from hashtag_tracker_tools.local.stack import MotoServer, provision
from hashtag_tracker_tools.simulator import Simulator
from tests.faults.harness import API_KEY, API_KEY_SECRET, START, TIME_SCALE
from tests.faults.inject import BotoFaults

pytestmark = pytest.mark.load

SCHEDULED = 5_000
# 100 calls a second, the most a plan allows: 5,000 tags fit one hourly tick.
PLAN_PER_MINUTE = 6_000
COLLECTED = 500
KINDS = ("trend", "competitor", "campaign")


@dataclass
class Phase:
    seconds: float = 0.0
    peak_rss_mb: float = 0.0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def measured() -> Iterator[Phase]:
    """Wall time and the process's peak resident memory (runner, moto server and simulator
    all live in this one process)."""
    phase = Phase()
    _reset_peak()
    started = time.perf_counter()
    yield phase
    phase.seconds = round(time.perf_counter() - started, 1)
    phase.peak_rss_mb = round(_peak_rss_mb(), 1)


def _names(count: int) -> list[str]:
    # Latin, Cyrillic, CJK and Arabic tags, as a multinational campaign list has them.
    scripts = ("tag", "тег", "标签", "وسم")
    return [f"{scripts[i % 4]}{i:05d}" for i in range(count)]


def test_5000_hashtags_through_the_scheduler_and_500_through_workers(
    record_property: Callable[[str, object], None],
) -> None:
    """Load: 5,000 tracked hashtags, one scheduler fan-out; 500 of them through the workers.
    Injected: 5,000 items in the Hashtags table (four scripts, three kinds).
    Asserted: exactly one fetch message per hashtag (none dropped or doubled); each of the
    500 collected gets one ok snapshot equal to the simulator's truth; DLQ empty; the data
    API's rate limit never exceeded."""
    clock = ManualClock(START)
    names = _names(SCHEDULED)
    recorder = BotoFaults()
    recorder.install()
    # moto's SQS answers a send in time that grows with the queue's depth (1,000 messages in
    # 100 batches: ~10 s; 5,000: minutes), which real SQS does not; during the fan-out a
    # stand-in at the boto3 layer takes the scheduler's batches and keeps every body.
    recorder.answer(
        "SendMessageBatch",
        lambda params: {
            "Successful": [
                {"Id": e["Id"], "MessageId": f"m-{uuid.uuid4()}", "MD5OfMessageBody": ""}
                for e in params["Entries"]
            ],
            "Failed": [],
        },
        service="sqs",
    )
    with (
        MotoServer() as moto,
        Simulator(
            clock,
            api_key=API_KEY,
            rate_limit_per_minute=PLAN_PER_MINUTE,
            time_scale=TIME_SCALE,
            epoch=START,
            # Its rate window reads the clock the workers' limiter reads (wall time), so a
            # wall-clock step never opens a gap between the two (issue 19).
            monotonic=time.time,
        ) as simulator,
    ):
        # A plan that can poll 5,000 tags in one hourly tick (issue 15: a tick never sends
        # more than the plan's rate over it) and a budget for their samples.
        parameters = {
            "PlanRateLimitPerMinute": str(PLAN_PER_MINUTE),
            "MonthlyCreditBudget": "10000000",
        }
        info = provision(moto.endpoint_url, parameters, secrets={API_KEY_SECRET: API_KEY})
        runner = LocalRunner(
            info,
            clock,
            extra_env={
                "API_BASE_URL": simulator.base_url,
                "RATE_WINDOW_SECONDS": str(60.0 / TIME_SCALE),
            },
            log_stream=io.StringIO(),
        )
        try:
            dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
            table = info.outputs["HashtagsTableName"]

            # Given 5,000 tracked hashtags in the table
            with measured() as seeding:
                for start in range(0, SCHEDULED, 25):
                    requests = [
                        {
                            "PutRequest": {
                                "Item": serialize_item(
                                    hashtag_to_item(
                                        TrackedHashtag(hashtag=name, kind=HashtagKind(KINDS[i % 3]))
                                    )
                                )
                            }
                        }
                        for i, name in enumerate(names[start : start + 25], start)
                    ]
                    dynamodb.batch_write_item(RequestItems={table: requests})

            # When the collection schedule fires
            with measured() as scheduling:
                result = runner.tick_collection(START)
            assert result["sent"] == SCHEDULED and result["invalid"] == 0

            # Then the queue was handed exactly one message per hashtag, all for this cycle
            recorder.clear()
            bodies = list(recorder.sent_bodies)
            per_tag = Counter(json.loads(b)["hashtag"]["hashtag"] for b in bodies)
            assert set(per_tag) == set(names) and set(per_tag.values()) == {1}
            assert {json.loads(b)["cycle"] for b in bodies} == {to_iso(START)}

            # When 500 of those messages reach the (real, emulated) queue and the workers
            chosen = set(names[:COLLECTED])
            kept = [b for b in bodies if json.loads(b)["hashtag"]["hashtag"] in chosen]
            for start in range(0, len(kept), 10):
                sqs.send_message_batch(
                    QueueUrl=runner.fetch_queue_url,
                    Entries=[
                        {"Id": str(i), "MessageBody": body}
                        for i, body in enumerate(kept[start : start + 10])
                    ],
                )
            with measured() as working:
                stats = runner.drain_fetch_queue(max_wait_seconds=600)

            # Then each has one ok snapshot, true to the simulator, and nothing is left over
            snapshots = {}
            for page in dynamodb.get_paginator("scan").paginate(
                TableName=info.outputs["SnapshotsTableName"]
            ):
                for raw in page["Items"]:
                    snapshot = item_to_snapshot(deserialize_item(raw))
                    snapshots[snapshot.hashtag] = snapshot
            assert set(snapshots) == chosen
            for name, snapshot in snapshots.items():
                assert snapshot.status is SnapshotStatus.OK, snapshot
                assert (snapshot.views, snapshot.videos) == simulator.expected_stats(
                    name, snapshot.taken_at
                )
            assert runner.dlq_depth() == 0
            truth = simulator.truth()
            assert truth.rate_limit_violations == 0
        finally:
            runner.close()
            recorder.uninstall()

    record_property(
        "load",
        {
            "scheduled_hashtags": SCHEDULED,
            "collected_hashtags": COLLECTED,
            "seed_seconds": seeding.seconds,
            "scheduler_seconds": scheduling.seconds,
            "scheduler_peak_rss_mb": scheduling.peak_rss_mb,
            "worker_seconds": working.seconds,
            "worker_peak_rss_mb": working.peak_rss_mb,
            "worker_batches": stats.batches,
            "worker_failed_records": stats.failed_records,
            "api_calls": sum(truth.calls.values()),
            "api_credits": truth.credits_charged,
            "per_hashtag_worker_ms": round(1000 * working.seconds / COLLECTED, 1),
        },
    )
