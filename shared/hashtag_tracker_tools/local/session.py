"""One local run: moto server, simulator, Slack receiver, the stack, seeded hashtags, the runner.

Used by the demo, the end-to-end tests and the benchmarks, so all three exercise the same
composition: the real handlers on a stack made from template.yaml.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import boto3
import requests

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.storage.dynamo import serialize_item
from hashtag_tracker_tools.local.runner import DepsFactory, LocalRunner, Published
from hashtag_tracker_tools.local.scenario import REPORT_HOUR, Scenario
from hashtag_tracker_tools.local.stack import MotoServer, StackInfo, provision
from hashtag_tracker_tools.simulator import Simulator

API_KEY_SECRET = "hashtag-tracker/scavio-api-key"  # noqa: S105 - a name, not a secret
SLACK_SECRET = "hashtag-tracker/slack-webhook"  # noqa: S105 - a name, not a secret
# A well-formed hooks URL: the notifier's validator accepts it; the runner routes it to
# the loopback receiver below, so nothing leaves the machine.
SLACK_WEBHOOK_URL = "https://hooks.slack.com/services/T00000000/B00000000/localdemo"


class SlackReceiver:
    """A loopback stand-in for Slack's incoming webhook: keeps every JSON payload posted."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.fail_next = 0
        receiver = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"internal_error")
                    return
                try:
                    receiver.payloads.append(json.loads(body))
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    self.wfile.write(b"invalid_payload")
                    return
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/slack"

    def start(self) -> SlackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def loopback_session(receiver_url: str) -> requests.Session:
    """An HTTP session that sends what is meant for hooks.slack.com to the receiver."""
    from requests.adapters import HTTPAdapter

    class _ToLoopback(HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            request.url = receiver_url
            return super().send(request, *args, **kwargs)

    session = requests.Session()
    session.mount("https://hooks.slack.com/", _ToLoopback())
    return session


def loopback_slack_notifier(receiver_url: str) -> DepsFactory:
    """The Slack notifier's own wiring, its webhook posts going to the receiver."""

    def make(runner: LocalRunner) -> object:
        from hashtag_tracker.config import SlackSettings, load_settings
        from hashtag_tracker.wiring.slack_notifier import make_slack_notifier

        return make_slack_notifier(
            load_settings(SlackSettings), session=loopback_session(receiver_url)
        )

    return make


@dataclass
class SessionOptions:
    rate_limit: int = 10
    time_scale: float = 600.0
    monthly_budget: int = 20_000
    slack: bool = True
    state_dir: Path | None = None
    log_stream: IO[str] | None = None
    # Worker containers polling the fetch queue at once (the event source's MaximumConcurrency).
    workers: int = 1
    # moto in a child process (see MotoServer): for runs whose timing matters.
    moto_in_process: bool = True
    extra_parameters: dict[str, str] = field(default_factory=dict)


class LocalSession:
    """Everything a local run needs, started in order and stopped in reverse."""

    def __init__(self, scenario: Scenario, options: SessionOptions | None = None) -> None:
        self.scenario = scenario
        self.options = options or SessionOptions()
        self.clock = ManualClock(scenario.start)
        self._stack = ExitStack()
        self.simulator: Simulator
        self.slack: SlackReceiver | None = None
        self.info: StackInfo
        self.runner: LocalRunner

    def __enter__(self) -> LocalSession:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        opts = self.options
        logging.getLogger("moto").setLevel(logging.ERROR)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        moto = self._stack.enter_context(MotoServer(process=not self.options.moto_in_process))
        self.simulator = self._stack.enter_context(
            Simulator(
                self.clock,
                rate_limit_per_minute=opts.rate_limit,
                time_scale=opts.time_scale,
                profiles=self.scenario.profiles(),
                epoch=self.scenario.start,
                # Its rate window reads the clock the workers' limiter reads (wall time), so a
                # wall-clock step never opens a gap between the two (issue 19).
                monotonic=time.time,
            )
        )
        secrets = {API_KEY_SECRET: self.simulator.api_key}
        parameters = {
            "PlanRateLimitPerMinute": str(opts.rate_limit),
            "MonthlyCreditBudget": str(opts.monthly_budget),
            **opts.extra_parameters,
        }
        if opts.slack:
            self.slack = SlackReceiver().start()
            self._stack.callback(self.slack.stop)
            secrets[SLACK_SECRET] = SLACK_WEBHOOK_URL
            parameters["SlackWebhookSecretName"] = SLACK_SECRET
        self.info = provision(moto.endpoint_url, parameters, secrets=secrets)
        if opts.state_dir is not None:
            from hashtag_tracker_tools.local.stack import write_state

            write_state(self.info, opts.state_dir)
        self.runner = LocalRunner(
            self.info,
            self.clock,
            extra_env={
                # The template insists on https for the real API; the simulator is loopback http.
                "API_BASE_URL": self.simulator.base_url,
                # The plan's minute, shortened by the simulator's time scale.
                "RATE_WINDOW_SECONDS": str(60.0 / opts.time_scale),
                "POWERTOOLS_METRICS_NAMESPACE": "HashtagTracker",
            },
            log_stream=opts.log_stream,
            deps=(
                {"slack_notifier": loopback_slack_notifier(self.slack.url)} if self.slack else None
            ),
        )
        self._stack.callback(self.runner.close)

    # -- seeding ---------------------------------------------------------------------

    def seed(self) -> list[str]:
        """Add the scenario's hashtags through the CLI's own code; plant the invalid items."""
        from hashtag_tracker_tools.cli.app import cli

        table = self.info.outputs["HashtagsTableName"]
        base = ["--table", table, "--endpoint-url", self.info.endpoint_url, "--region", "us-east-1"]
        added: list[str] = []
        for tracked in self.scenario.tracked:
            args = [*base, "add", f"#{tracked.name}", "--kind", tracked.kind]
            if tracked.campaign:
                args += ["--campaign", tracked.campaign]
            cli.main(args=args, standalone_mode=False)
            added.append(tracked.name)
        client = boto3.client("dynamodb")
        for item in self.scenario.invalid_items:
            client.put_item(TableName=table, Item=serialize_item(item))
        return added

    # -- time ------------------------------------------------------------------------

    def cycle_times(self, days: float, tick_minutes: int = 60) -> Iterator[datetime]:
        """The schedule's ticks over `days` (hourly, the template's default TickMinutes)."""
        step = timedelta(minutes=tick_minutes)
        when = self.scenario.start
        end = self.scenario.start + timedelta(days=days)
        while when < end:
            yield when
            when += step

    def apply_failures(self, when: datetime) -> None:
        """Arm or clear each scripted outage for the cycle at `when`."""
        for failure in self.scenario.failures:
            errors = -1 if failure.active(self.scenario.start, when) else 0
            self.simulator.set_faults(failure.hashtag, server_errors=errors)

    def run_cycle(self, when: datetime) -> list[Published]:
        """One collection cycle at `when`: fan-out, every fetch, every alert delivered."""
        self.clock.set(when)
        self.apply_failures(when)
        self.runner.tick_collection(when)
        self.runner.drain_fetch_queue(concurrency=self.options.workers)
        return self.runner.drain_alerts()

    @staticmethod
    def is_report_time(when: datetime, tick_minutes: int = 60) -> bool:
        """The tick after which the Monday report runs (09:00 UTC falls inside it)."""
        minutes = when.hour * 60 + when.minute
        return when.weekday() == 0 and minutes <= REPORT_HOUR * 60 < minutes + tick_minutes

    def run_report(self, when: datetime) -> tuple[Any, list[Published]]:
        at = when.replace(hour=REPORT_HOUR, minute=0, second=0, microsecond=0)
        self.clock.set(at)
        result = self.runner.make_report(at)
        return result, self.runner.drain_alerts()
