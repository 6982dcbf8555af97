"""Runs the real Lambda handlers in-process against the emulated stack, as AWS would call them.

AWS would fire the schedules, poll the fetch queue and deliver topic messages to the Slack
notifier; moto cannot run Lambda code here, so this runner does those three jobs: it sends
the scheduled events, receives fetch messages in batches (with the queue's own visibility and
redrive semantics: a failed record is received again and, past maxReceiveCount, moto moves it
to the DLQ), and hands every published alert to the notifier's handler.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import IO, Any

import boto3

from hashtag_tracker.clock import Clock, ManualClock, to_iso
from hashtag_tracker_tools.local.containers import ContainerPool, DrainStats, log_path_of
from hashtag_tracker_tools.local.stack import REGION, StackInfo, project_root

WORKER_BATCH = 5  # the template's BatchSize
WORKER_TIMEOUT_SECONDS = 900.0
IDLE_POLL_SECONDS = 0.05
MAX_BATCHES_PER_DRAIN = 100_000

HANDLER_MODULES = {
    "scheduler": "functions.scheduler.app",
    "worker": "functions.worker.app",
    "report": "functions.report.app",
    "slack_notifier": "functions.slack_notifier.app",
}


# A function's dependencies, made once per runner (a runner is one container per function).
DepsFactory = Callable[["LocalRunner"], object]


def default_deps(name: str, runner: LocalRunner) -> object:
    """What the function's own factory makes, with the runner's clock."""
    from hashtag_tracker.config import (
        ReportSettings,
        SchedulerSettings,
        SlackSettings,
        WorkerSettings,
        load_settings,
    )
    from hashtag_tracker.wiring.report import make_report_deps
    from hashtag_tracker.wiring.scheduler import make_scheduler_deps
    from hashtag_tracker.wiring.slack_notifier import make_slack_notifier
    from hashtag_tracker.wiring.worker import make_worker_container

    if name == "scheduler":
        return make_scheduler_deps(load_settings(SchedulerSettings), runner.clock)
    if name == "worker":
        return make_worker_container(load_settings(WorkerSettings), runner.clock)
    if name == "report":
        return make_report_deps(load_settings(ReportSettings), runner.clock)
    if name == "slack_notifier":
        return make_slack_notifier(load_settings(SlackSettings))
    raise RunnerError(f"no function {name!r}")


class RunnerError(RuntimeError):
    """A stage of the local run failed; the message names it."""


@dataclass
class FakeContext:
    """The parts of Lambda's context object the handlers and Powertools read.

    The remaining time counts down on `monotonic` (real time by default; a test passes a fake
    clock to drive it)."""

    function_name: str
    timeout_seconds: float = WORKER_TIMEOUT_SECONDS
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    monotonic: Callable[[], float] = time.monotonic
    _started: float = field(init=False)

    def __post_init__(self) -> None:
        self._started = self.monotonic()

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        left = self.timeout_seconds - (self.monotonic() - self._started)
        return max(0, int(left * 1000))


def scheduled_event(when: datetime, rule: str) -> dict[str, Any]:
    """An EventBridge scheduled event, as the template's schedules send it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": to_iso(when),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:123456789012:rule/hashtag-tracker-{rule}"],
        "detail": {},
    }


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """What the event-source mapping hands the worker for a received batch."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


def sns_event(notification: dict[str, Any], topic_arn: str) -> dict[str, Any]:
    """An SNS-to-Lambda event for one notification read back from the tap queue."""
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSource": "aws:sns",
                "EventSubscriptionArn": f"{topic_arn}:local",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": notification.get("MessageId", str(uuid.uuid4())),
                    "TopicArn": topic_arn,
                    "Subject": notification.get("Subject"),
                    "Message": notification.get("Message", ""),
                    "Timestamp": notification.get("Timestamp", ""),
                    "SignatureVersion": "1",
                    "Signature": "",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": notification.get("MessageAttributes", {}),
                },
            }
        ]
    }


@dataclass
class Published:
    """One message the alert topic delivered, as a subscriber sees it."""

    subject: str
    message: str
    attributes: dict[str, str]

    @property
    def rule(self) -> str:
        return self.attributes.get("rule", "")

    @property
    def hashtag(self) -> str:
        return self.attributes.get("hashtag", "")


def _notification_attributes(raw: dict[str, Any]) -> dict[str, str]:
    return {k: str(v.get("Value", "")) for k, v in raw.get("MessageAttributes", {}).items()}


class LocalRunner:
    """Invokes the handlers with the stack's environment and a simulated clock."""

    def __init__(
        self,
        info: StackInfo,
        clock: Clock,
        *,
        extra_env: dict[str, str] | None = None,
        log_stream: IO[str] | None = None,
        deps: Mapping[str, DepsFactory] | None = None,
    ) -> None:
        """`deps` replaces a function's dependencies (by function name: scheduler, worker,
        report, slack_notifier) with what its factory makes from this runner; the others
        come from the function's own factory (hashtag_tracker.wiring)."""
        self.info = info
        self.clock = clock
        self.log_stream = log_stream
        self._env = {**info.handler_environment(), **(extra_env or {})}
        # What the process had before, so close() leaves it as it found it.
        self._saved_env = {key: os.environ.get(key) for key in self._env}
        self._containers: ContainerPool | None = None
        self._apply_environment()
        self._deps_factories = dict(deps or {})
        self._deps: dict[str, object] = {}
        self.handlers: dict[str, ModuleType] = {}
        # The scheduler's answer at the last tick (sent, due, carried ...).
        self.last_fan_out: dict[str, Any] = {}
        self._sqs = boto3.client("sqs")
        self.fetch_queue_url = info.outputs["FetchQueueUrl"]
        self.dlq_url = info.outputs["FetchDLQUrl"]
        self.fetch_queue_arn = self._queue_arn(self.fetch_queue_url)

    # -- set-up ----------------------------------------------------------------------

    def _apply_environment(self) -> None:
        os.environ.update(self._env)
        self._forget_secret_providers()

    @staticmethod
    def _forget_secret_providers() -> None:
        # Powertools keeps secrets and its providers' clients per process, as Lambda does per
        # container; a new stack (other endpoint, other key) must not see the old ones. The
        # functions' own dependencies are this runner's (see `deps`), never a module's cache.
        from aws_lambda_powertools.utilities.parameters import constants as parameters_constants

        parameters_constants.DEFAULT_PROVIDERS.clear()

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Give the process back its environment (the stack's endpoint must not leak)."""
        if self._containers is not None:
            self._containers.close()
            self._containers = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._deps.clear()
        self._forget_secret_providers()  # nothing cached may keep pointing at this stack

    def handler(self, name: str) -> ModuleType:
        """The handler module, imported on first use (after the environment is set)."""
        if name not in self.handlers:
            root = str(project_root())
            if root not in sys.path:
                sys.path.insert(0, root)
            try:
                module = importlib.import_module(HANDLER_MODULES[name])
            except ImportError as exc:
                raise RunnerError(f"cannot import the {name} handler: {exc}") from exc
            self.handlers[name] = module
        return self.handlers[name]

    def deps(self, name: str) -> object:
        """The function's dependencies in this runner's container, made on first use."""
        if name not in self._deps:
            factory = self._deps_factories.get(name)
            self._deps[name] = factory(self) if factory else default_deps(name, self)
        return self._deps[name]

    def _queue_arn(self, url: str) -> str:
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attributes["Attributes"]["QueueArn"])

    @contextlib.contextmanager
    def _captured_output(self) -> Iterator[None]:
        """Handler logs and EMF metrics go to the run's log file, not the console."""
        if self.log_stream is None:
            yield
            return
        from hashtag_tracker.observability import logger

        handler = logger.registered_handler
        if not isinstance(handler, logging.StreamHandler):
            with contextlib.redirect_stdout(self.log_stream):
                yield
            return
        # Swap the stream without StreamHandler.setStream, which flushes the old one: under
        # pytest that may be a capture buffer that is already closed.
        previous = handler.stream
        handler.stream = self.log_stream
        try:
            with contextlib.redirect_stdout(self.log_stream):
                yield
        finally:
            handler.stream = previous

    def invoke(
        self,
        name: str,
        event: dict[str, Any],
        timeout: float = 900.0,
        *,
        monotonic: Callable[[], float] | None = None,
    ) -> Any:
        """Call one handler as Lambda would, with a context that counts down (on `monotonic`,
        real time if None)."""
        module = self.handler(name)
        context = FakeContext(
            function_name=f"hashtag-tracker-{name}",
            timeout_seconds=timeout,
            monotonic=monotonic or time.monotonic,
        )
        deps = self.deps(name)
        with self._captured_output():
            return module.lambda_handler(event, context, deps=deps)

    # -- the collection cycle ----------------------------------------------------------

    def tick_collection(self, when: datetime) -> dict[str, Any]:
        """The collection schedule fires at `when`: the scheduler fans out."""
        result: dict[str, Any] = self.invoke(
            "scheduler", scheduled_event(when, "CollectionSchedule"), timeout=300
        )
        self.last_fan_out = result
        return result

    def _queue_counts(self, url: str) -> tuple[int, int, int]:
        attrs = self._sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return (
            int(attrs.get("ApproximateNumberOfMessages", 0)),
            int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
        )

    def drain_fetch_queue(
        self, max_wait_seconds: float = 120.0, concurrency: int = 1
    ) -> DrainStats:
        """Deliver fetch messages to the worker until the queue is empty (delayed ones too).

        With `concurrency` > 1, that many worker containers (processes) poll the queue at
        once, as the event source mapping's MaximumConcurrency allows on AWS.
        """
        if concurrency > 1:
            return self._container_pool(concurrency).drain(self.clock.now(), max_wait_seconds)
        stats = DrainStats()
        deadline = time.monotonic() + max_wait_seconds
        for _ in range(MAX_BATCHES_PER_DRAIN):
            answer = self._sqs.receive_message(
                QueueUrl=self.fetch_queue_url,
                MaxNumberOfMessages=WORKER_BATCH,
                AttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            messages = answer.get("Messages", [])
            if not messages:
                visible, in_flight, delayed = self._queue_counts(self.fetch_queue_url)
                if visible == 0 and in_flight == 0 and delayed == 0:
                    return stats
                if time.monotonic() > deadline:
                    raise RunnerError(
                        f"the fetch queue did not drain: {visible} visible, "
                        f"{in_flight} in flight, {delayed} delayed"
                    )
                time.sleep(IDLE_POLL_SECONDS)
                continue
            self._deliver(messages, stats)
        raise RunnerError("the fetch queue kept producing work; giving up")

    def _container_pool(self, size: int) -> ContainerPool:
        if self._containers is not None and self._containers.size != size:
            self._containers.close()
            self._containers = None
        if self._containers is None:
            self._containers = ContainerPool(
                container_runner,
                self.info,
                self._env,
                size,
                self.clock.now(),
                log_path_of(self.log_stream),
            )
        return self._containers

    def _deliver(self, messages: Sequence[Mapping[str, Any]], stats: DrainStats) -> None:
        stats.batches += 1
        stats.records += len(messages)
        try:
            response = self.invoke("worker", sqs_event(messages, self.fetch_queue_arn))
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except Exception:  # a crashed invocation: every record comes back, as on AWS
            stats.crashed_batches += 1
            failed = {m["MessageId"] for m in messages}
        stats.failed_records += len(failed)
        for message in messages:
            if message["MessageId"] in failed:
                # On AWS the record reappears when its visibility timeout ends; the simulated
                # clock has moved on, so make it visible now (moto counts the receive).
                self._sqs.change_message_visibility(
                    QueueUrl=self.fetch_queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                self._sqs.delete_message(
                    QueueUrl=self.fetch_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def dlq_depth(self) -> int:
        visible, in_flight, _ = self._queue_counts(self.dlq_url)
        return visible + in_flight

    def redrive_dlq(self) -> int:
        """Move every DLQ message back to the fetch queue (what `start-message-move-task` does)."""
        moved = 0
        while True:
            answer = self._sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = answer.get("Messages", [])
            if not messages:
                return moved
            for message in messages:
                self._sqs.send_message(QueueUrl=self.fetch_queue_url, MessageBody=message["Body"])
                self._sqs.delete_message(
                    QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"]
                )
                moved += 1

    # -- alerts ------------------------------------------------------------------------

    def drain_alerts(self, notify: bool = True) -> list[Published]:
        """Everything the alert topic delivered since the last call; each goes to the notifier."""
        published: list[Published] = []
        while True:
            answer = self._sqs.receive_message(
                QueueUrl=self.info.alert_tap_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = answer.get("Messages", [])
            if not messages:
                return published
            for message in messages:
                notification = json.loads(message["Body"])
                published.append(
                    Published(
                        subject=str(notification.get("Subject") or ""),
                        message=str(notification.get("Message", "")),
                        attributes=_notification_attributes(notification),
                    )
                )
                if notify and self._slack_enabled():
                    self.invoke(
                        "slack_notifier",
                        sns_event(notification, self.info.outputs["AlertTopicArn"]),
                        timeout=30,
                    )
                self._sqs.delete_message(
                    QueueUrl=self.info.alert_tap_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def _slack_enabled(self) -> bool:
        return bool(self._env.get("SLACK_WEBHOOK_SECRET"))

    # -- the weekly report -------------------------------------------------------------

    def make_digest(self, when: datetime) -> Any:
        """The daily digest's schedule fires at `when` (DailyDigestSchedule)."""
        return self.invoke("report", {"digest": True, "time": to_iso(when)})

    def make_report(self, when: datetime) -> Any:
        return self.invoke("report", scheduled_event(when, "WeeklyReport"))


def container_runner(
    info: StackInfo, clock: ManualClock, env: dict[str, str], log: IO[str]
) -> LocalRunner:
    """A worker container's own runner (see containers.py), on the same stack."""
    return LocalRunner(info, clock, extra_env=env, log_stream=log)
