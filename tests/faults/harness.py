"""One emulated stack for the whole fault suite, reset between cases; a fresh simulator each.

The stack is made once from template.yaml in a moto server on loopback (as LocalSession
does); each case gets empty tables and queues, its own simulator (same API key as the stored
secret), its own Slack receiver, and a new LocalRunner (a new "container": caches and
clients are made again, so the boto3 fault hooks apply to them).

Two timings are scaled down with the simulated clock, never the logic: the data-API client's
HTTP timeout (1.5 s instead of 10 s) and its 5xx backoff base (0.05 s instead of 0.5 s); the
Slack poster's read timeout (1 s) and its backoff sleeps (recorded, not slept).

Margins (measured over two full runs of this suite, one with two CPU-bound loops beside):
the slowest normal answer took 119 ms from the data API (1.5 s timeout: ~12x headroom) and
39 ms from Slack (1.0 s: ~25x). A late normal answer would be charged or posted twice and
break the exact counts, so these margins matter; on the injected "too slow" side a late read
gives the same outcome. Drain deadlines are caps against hangs, not timings under test:
90 s here (single-container drains measured <= 7.6 s), 120 s (the runner's default,
LocalSession), 600 s (tests/load: 94.5 s documented; 279 s with two CPU-bound loops beside)
and 240 s for 4 containers (tests/e2e: 26-65 s measured). A botocore read timeout (5 s)
against the moto server that reaches a test is reported as a harness error, not a product
result, in docs/RELIABILITY.md (tests/faults/reliability.py).
"""

from __future__ import annotations

import functools
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from hashtag_tracker.clock import ManualClock, to_iso
from hashtag_tracker.config import SlackSettings, WorkerSettings, load_settings
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus
from hashtag_tracker.notify.slack import SlackNotifier, SlackPoster
from hashtag_tracker.storage.dynamo import deserialize_item
from hashtag_tracker.storage.hashtags import DynamoHashtagStore
from hashtag_tracker.storage.snapshots import item_to_snapshot
from hashtag_tracker.wiring.slack_notifier import load_webhook_url
from hashtag_tracker.wiring.worker import WorkerContainer, make_worker_container
from hashtag_tracker_tools.local.runner import LocalRunner, Published, sns_event, sqs_event
from hashtag_tracker_tools.local.session import loopback_session
from hashtag_tracker_tools.local.stack import MotoServer, StackInfo, provision
from hashtag_tracker_tools.simulator import Profile, ProfileKind, Simulator
from tests.faults.inject import BotoFaults

API_KEY = "sim-reliability-suite-key"
API_KEY_SECRET = "hashtag-tracker/scavio-api-key"
SLACK_SECRET = "hashtag-tracker/slack-webhook"
SLACK_URL = "https://hooks.slack.com/services/T00000000/B00000000/reliability"
TIME_SCALE = 3000.0
RATE_LIMIT = 10
START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday, 00:00 UTC
CYCLE = timedelta(hours=6)
MAX_RECEIVES = 5  # the template's maxReceiveCount
LAMBDA_ASYNC_ATTEMPTS = 3  # an asynchronous invocation and Lambda's two retries

# Tags that never alert over a few cycles: ~1.4 % views growth in 6 h, no milestone near.
CALM = Profile(ProfileKind.STEADY, base_videos=2_000, base_views=6_000_000, rate=4.0)
# A tag whose spike (at 06:30) gives exactly one viral alert, on the 12:00 cycle.
SPIKY = Profile(
    ProfileKind.VIRAL,
    base_videos=2_000,
    base_views=3_000_000,
    rate=4.0,
    spike_at_hours=6.5,
    spike_rate=150.0,
    spike_tau=12.0,
)


def cycles(count: int, start: datetime = START) -> list[datetime]:
    return [start + i * CYCLE for i in range(count)]


# -- the shared stack ----------------------------------------------------------------------


@dataclass
class Stack:
    info: StackInfo

    @property
    def snapshots_table(self) -> str:
        return self.info.outputs["SnapshotsTableName"]

    def table_names(self) -> list[str]:
        return [self.info.outputs[name] for name in self.info.outputs if name.endswith("TableName")]

    def queue_urls(self) -> list[str]:
        urls = [self.info.outputs["FetchQueueUrl"], self.info.outputs["FetchDLQUrl"]]
        urls.append(self.info.alert_tap_url)
        urls += [
            self.info.physical_ids[name]
            for name in ("SlackDLQ", "ScheduledDLQ")
            if name in self.info.physical_ids
        ]
        return urls


@functools.cache
def _parameters() -> dict[str, str]:
    return {
        "PlanRateLimitPerMinute": str(RATE_LIMIT),
        "MonthlyCreditBudget": "20000",
        # Every tag at every 6-hour cycle, as the cases script them: the faults are the
        # subject here, the adaptive planner has its own cases (tests/unit, tests/e2e).
        "FixedIntervalHours": "6",
        "SlackWebhookSecretName": SLACK_SECRET,
    }


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with MotoServer() as moto:
        info = provision(
            moto.endpoint_url,
            _parameters(),
            secrets={API_KEY_SECRET: API_KEY, SLACK_SECRET: SLACK_URL},
        )
        yield Stack(info)


def private_client(service: str, info: StackInfo) -> Any:
    """A client of its own session: the fault hooks never apply to it (competitors, resets)."""
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=info.endpoint_url,
        region_name=info.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def reset(stack: Stack) -> None:
    """Empty every table and queue of the stack."""
    dynamodb = private_client("dynamodb", stack.info)
    for name in stack.table_names():
        keys = [
            k["AttributeName"]
            for k in dynamodb.describe_table(TableName=name)["Table"]["KeySchema"]
        ]
        for page in dynamodb.get_paginator("scan").paginate(TableName=name):
            for item in page.get("Items", []):
                dynamodb.delete_item(TableName=name, Key={k: item[k] for k in keys})
    sqs = private_client("sqs", stack.info)
    for url in stack.queue_urls():
        # PurgeQueue is allowed once a minute; receive and delete instead.
        while messages := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0
        ).get("Messages", []):
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


# -- Slack -----------------------------------------------------------------------------------


class SlackStandIn:
    """Slack's incoming webhook on loopback: 200 and keeps the payload, or a scripted fault.

    `fail_next` answers 500 without taking the message; `hang_next` answers nothing for
    longer than the poster's timeout and does not take the message either.
    """

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.fail_next = 0
        self.hang_next = 0
        self.hang_seconds = 1.5
        self.answers: Counter[int] = Counter()
        stand_in = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with stand_in._lock:
                    hang = stand_in.hang_next > 0
                    fail = not hang and stand_in.fail_next > 0
                    if hang:
                        stand_in.hang_next -= 1
                    elif fail:
                        stand_in.fail_next -= 1
                    else:
                        stand_in.payloads.append(json.loads(body))
                status = 504 if hang else 500 if fail else 200
                with stand_in._lock:
                    stand_in.answers[status] += 1
                if hang:
                    time.sleep(stand_in.hang_seconds)
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b"ok" if status == 200 else b"error")
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/slack"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- one case ------------------------------------------------------------------------------


@dataclass
class Delivery:
    """What the alert topic delivered during a case, and where Slack posts ended."""

    published: list[Published] = field(default_factory=list)
    slack_dlq: list[dict[str, Any]] = field(default_factory=list)


def alert_key(message: Published) -> tuple[str, str, str]:
    """(hashtag, rule, window) of an alert; ops notices are keyed by their subject."""
    if message.rule == "ops":
        return ("", "ops", message.subject)
    document = json.loads(message.message)
    return (document["hashtag"], document["rule"], document["window"])


class Harness:
    def __init__(
        self,
        stack: Stack,
        monkeypatch: pytest.MonkeyPatch,
        profiles: dict[str, Profile],
        *,
        kinds: dict[str, str] | None = None,
    ) -> None:
        reset(stack)
        self.stack = stack
        self.info = stack.info
        self.monkeypatch = monkeypatch
        self.profiles = profiles
        self.clock = ManualClock(START)
        self.simulator = Simulator(
            self.clock,
            api_key=API_KEY,
            rate_limit_per_minute=RATE_LIMIT,
            time_scale=TIME_SCALE,
            profiles=profiles,
            epoch=START,
            # Its rate window reads the clock the workers' limiter reads (wall time), so a
            # wall-clock step never opens a gap between the two (issue 19).
            monotonic=time.time,
        ).start()
        self.slack = SlackStandIn()
        self.slack_sleeps: list[float] = []
        self.boto = BotoFaults(snapshots_table=stack.snapshots_table)
        self.boto.install()
        self.logs = io.StringIO()
        self.runner = LocalRunner(
            self.info,
            self.clock,
            extra_env={
                "API_BASE_URL": self.simulator.base_url,
                "RATE_WINDOW_SECONDS": str(60.0 / TIME_SCALE),
                "POWERTOOLS_METRICS_NAMESPACE": "HashtagTracker",
            },
            log_stream=self.logs,
            deps={"worker": self._worker, "slack_notifier": self._slack_notifier},
        )
        self.delivery = Delivery()
        self._sqs = boto3.client("sqs")
        self.seed(kinds or {})

    # -- wiring ----------------------------------------------------------------------------

    @staticmethod
    def _worker(runner: LocalRunner) -> WorkerContainer:
        """The worker's own wiring, with the data-API client's timings scaled."""
        return make_worker_container(
            load_settings(WorkerSettings),
            runner.clock,
            provider_options={"timeout": 1.5, "backoff_base": 0.05, "backoff_cap": 0.4},
        )

    def _slack_notifier(self, _runner: LocalRunner) -> SlackNotifier:
        """Posts go to the stand-in; the poster's timeout is short and its sleeps recorded."""
        name = load_settings(SlackSettings).slack_webhook_secret
        poster = SlackPoster(
            lambda: load_webhook_url(name),
            session=loopback_session(self.slack.url),
            timeout=(1.0, 1.0),
            sleep=self.slack_sleeps.append,
        )
        return SlackNotifier(poster)

    def close(self) -> None:
        self.runner.close()
        self.boto.uninstall()
        self.simulator.stop()
        self.slack.stop()

    # -- seeding ---------------------------------------------------------------------------

    def seed(self, kinds: dict[str, str]) -> None:
        store = DynamoHashtagStore(self.info.outputs["HashtagsTableName"])
        for name in self.profiles:
            store.create(TrackedHashtag(hashtag=name, kind=HashtagKind(kinds.get(name, "trend"))))

    @property
    def names(self) -> list[str]:
        return sorted(self.profiles)

    # -- driving cycles --------------------------------------------------------------------

    def tick(self, when: datetime, *, at: datetime | None = None) -> dict[str, Any]:
        """The collection schedule fires for `when` (the clock reads `at`, default `when`)."""
        self.clock.set(at or when)
        result: dict[str, Any] = self.runner.tick_collection(when)
        return result

    def drain(self) -> None:
        self.runner.drain_fetch_queue(max_wait_seconds=90)

    def deliver_alerts(self) -> list[Published]:
        """Every topic message to the Slack notifier, as Lambda's async invocation does:
        up to three attempts, then the event goes to the Slack DLQ."""
        fresh = self.runner.drain_alerts(notify=False)
        for message in fresh:
            self._notify(message)
        self.delivery.published += fresh
        return fresh

    def _notify(self, message: Published) -> None:
        event = sns_event(
            {
                "Subject": message.subject,
                "Message": message.message,
                "MessageAttributes": {
                    k: {"Type": "String", "Value": v} for k, v in message.attributes.items()
                },
            },
            self.info.outputs["AlertTopicArn"],
        )
        for _ in range(LAMBDA_ASYNC_ATTEMPTS):
            try:
                self.runner.invoke("slack_notifier", event, timeout=30)
                return
            except Exception:
                continue
        self.delivery.slack_dlq.append(event)

    def redrive_slack_dlq(self) -> None:
        events, self.delivery.slack_dlq = self.delivery.slack_dlq, []
        for event in events:
            self.runner.invoke("slack_notifier", event, timeout=30)

    def cycle(self, when: datetime) -> list[Published]:
        """One whole collection cycle: fan-out, every fetch, every alert to Slack."""
        self.tick(when)
        self.drain()
        return self.deliver_alerts()

    def run(self, whens: Iterable[datetime]) -> None:
        for when in whens:
            self.cycle(when)

    # -- queues ----------------------------------------------------------------------------

    def fetch_bodies(self) -> list[str]:
        """Take every visible message off the fetch queue (for a test to re-send)."""
        bodies: list[str] = []
        while True:
            answer = self._sqs.receive_message(
                QueueUrl=self.runner.fetch_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = answer.get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(message["Body"])
                self._sqs.delete_message(
                    QueueUrl=self.runner.fetch_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def send_bodies(self, bodies: Iterable[str]) -> None:
        for body in bodies:
            self._sqs.send_message(QueueUrl=self.runner.fetch_queue_url, MessageBody=body)

    def queue_depth(self) -> int:
        attrs = self._sqs.get_queue_attributes(
            QueueUrl=self.runner.fetch_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"])

    def invoke_worker(self, messages: list[dict[str, Any]]) -> Any:
        return self.runner.invoke("worker", sqs_event(messages, self.runner.fetch_queue_arn))

    # -- reading results -------------------------------------------------------------------

    def snapshots(self) -> dict[tuple[str, str], Snapshot]:
        dynamodb = boto3.client("dynamodb")
        found: dict[tuple[str, str], Snapshot] = {}
        for page in dynamodb.get_paginator("scan").paginate(TableName=self.stack.snapshots_table):
            for raw in page.get("Items", []):
                snapshot = item_to_snapshot(deserialize_item(raw))
                found[(snapshot.hashtag, to_iso(snapshot.cycle))] = snapshot
        return found

    def alerts(self) -> list[tuple[str, str, str]]:
        return [alert_key(m) for m in self.delivery.published]

    def ops_notices(self) -> list[str]:
        return [m.subject for m in self.delivery.published if m.rule == "ops"]


# -- the invariants every case asserts -------------------------------------------------------


@dataclass
class Expect:
    """What a case's faults should leave behind; everything else must be a plain ok."""

    cycles: list[datetime]
    missing: dict[tuple[str, datetime], str] = field(default_factory=dict)
    suspect: set[tuple[str, datetime]] = field(default_factory=set)
    not_truth: set[tuple[str, datetime]] = field(default_factory=set)  # counts the API changed
    absent: set[tuple[str, datetime]] = field(default_factory=set)  # no snapshot yet (in DLQ)
    alerts: set[tuple[str, str, str]] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)
    dlq: int = 0
    slack: bool = True


def assert_invariants(h: Harness, expect: Expect) -> None:
    """No snapshot lost or duplicated, no zero for a failure, no duplicate or false alert,
    the DLQ holds exactly what could not be done."""
    snapshots = h.snapshots()
    wanted = {
        (name, to_iso(when))
        for name in h.names
        for when in expect.cycles
        if (name, when) not in expect.absent
    }
    # Not lost, nothing extra: one snapshot per tracked hashtag and cycle.
    assert set(snapshots) == wanted, sorted(set(snapshots) ^ wanted)
    # Not duplicated: each written exactly once (a conditional put that won).
    rewritten = {k: n for k, n in h.boto.snapshot_writes.items() if n != 1}
    assert not rewritten, rewritten
    assert set(h.boto.snapshot_writes) == wanted
    for (name, _cycle), snapshot in snapshots.items():
        when = snapshot.cycle
        if (name, when) in expect.missing:
            assert snapshot.status is SnapshotStatus.MISSING, snapshot
            assert snapshot.reason == expect.missing[(name, when)], snapshot
            assert snapshot.views is None and snapshot.videos is None, snapshot
        elif (name, when) in expect.suspect:
            assert snapshot.status is SnapshotStatus.SUSPECT, snapshot
            assert not snapshot.usable
        else:
            # Never a zero, never a made-up number: what the API held when it was asked.
            assert snapshot.status is SnapshotStatus.OK, snapshot
            assert snapshot.views and snapshot.videos, snapshot
            if (name, when) not in expect.not_truth:
                truth = h.simulator.expected_stats(name, snapshot.taken_at)
                assert (snapshot.views, snapshot.videos) == truth, (snapshot, truth)
    # Alerts: exactly the expected ones, each once; notices once each.
    alerts = [a for a in h.alerts() if a[1] != "ops"]
    duplicates = {k: n for k, n in Counter(alerts).items() if n > 1}
    assert not duplicates, duplicates
    assert set(alerts) == expect.alerts, sorted(set(alerts) ^ expect.alerts)
    assert sorted(h.ops_notices()) == sorted(expect.notices)
    # The DLQ holds exactly what could not be done.
    assert h.runner.dlq_depth() == expect.dlq
    if expect.slack:
        assert not h.delivery.slack_dlq
        assert len(h.slack.payloads) == len(h.delivery.published)


def viral(name: str, when: datetime) -> tuple[str, str, str]:
    return (name, "viral", to_iso(when))


@pytest.fixture
def harness_factory(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(profiles: dict[str, Profile], **options: Any) -> Harness:
        harness = Harness(stack, monkeypatch, profiles, **options)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


# What the fault tests' `harness_factory` fixture returns, and their usual three tags.
MakeHarness = Callable[..., Harness]
TAGS = {"calmone": CALM, "calmtwo": CALM, "spiky": SPIKY}
