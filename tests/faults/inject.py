"""Faults injected at the boto3 layer: botocore event hooks on boto3's default session.

Every client the handlers make after `install()` copies the session's hooks, so a rule can
fail, throttle or race one DynamoDB / SNS / SQS operation without touching product code:

- `fail(...)`: the call ends with an AWS error, as it would once botocore's own retries are
  spent (short-circuited in `before-call`, no request sent).
- `throttle(...)`: the HTTP answer is a 400 ProvisionedThroughputExceededException, so the
  client's real retry handler (standard mode) sees it and retries with its own backoff.
- `race(...)`: just before the call is sent, a competitor runs (another worker, another
  scheduler, another writer), so the call meets a conditional-check failure it must handle.
- `after(...)`: a callback after a successful call (e.g. to kill an invocation mid-batch).

It also records every successful snapshot write, so a test can assert each (hashtag, cycle)
was written exactly once.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

ALWAYS = -1
_UID = "reliability-faults"

Params = dict[str, Any]
Match = Callable[[Params], bool]


class InjectedReadTimeout(ReadTimeoutError):
    """A read timeout a test raises on purpose (an answer lost after the request went
    through); the reliability table tells it from the emulator's own slowness."""


def any_call(_params: Params) -> bool:
    return True


def table(fragment: str) -> Match:
    """Calls on a table whose name contains `fragment` (moto names them Stack-Logical-XYZ)."""
    return lambda params: fragment in str(params.get("TableName", ""))


def key_pk(value: str) -> Match:
    """State-table calls on the record whose partition key is `value`."""

    def match(params: Params) -> bool:
        key = params.get("Key") or params.get("Item") or {}
        return key.get("pk", {}).get("S") == value

    return match


@dataclass
class Rule:
    service: str
    operation: str
    match: Match
    times: int
    kind: str  # fail | throttle | race | answer | after
    code: str = ""
    action: Callable[[Params], Any] | None = None
    used: int = 0

    def wants(self, service: str, operation: str, params: Params) -> bool:
        if self.service != service or self.operation != operation:
            return False
        if self.times != ALWAYS and self.used >= self.times:
            return False
        return self.match(params)


@dataclass
class BotoFaults:
    """The rules in force and what they did; thread-safe."""

    snapshots_table: str = ""
    rules: list[Rule] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    snapshot_writes: Counter[tuple[str, str]] = field(default_factory=Counter)
    sent_bodies: list[str] = field(default_factory=list)  # every body SQS accepted
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- rules ----------------------------------------------------------------------------

    def fail(
        self,
        operation: str,
        code: str = "ProvisionedThroughputExceededException",
        *,
        service: str = "dynamodb",
        match: Match = any_call,
        times: int = ALWAYS,
    ) -> Rule:
        return self._add(Rule(service, operation, match, times, "fail", code=code))

    def throttle(self, operation: str, *, match: Match = any_call, times: int = 1) -> Rule:
        return self._add(Rule("dynamodb", operation, match, times, "throttle"))

    def race(
        self,
        operation: str,
        competitor: Callable[[Params], None],
        *,
        service: str = "dynamodb",
        match: Match = any_call,
        times: int = 1,
    ) -> Rule:
        return self._add(Rule(service, operation, match, times, "race", action=competitor))

    def answer(
        self,
        operation: str,
        responder: Callable[[Params], dict[str, Any]],
        *,
        service: str,
        match: Match = any_call,
        times: int = ALWAYS,
    ) -> Rule:
        """A stand-in answers the call with `responder(params)` (HTTP 200); nothing is sent."""
        return self._add(Rule(service, operation, match, times, "answer", action=responder))

    def after(
        self,
        operation: str,
        callback: Callable[[Params], None],
        *,
        service: str = "dynamodb",
        match: Match = any_call,
        times: int = 1,
    ) -> Rule:
        return self._add(Rule(service, operation, match, times, "after", action=callback))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def _add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def _take(self, kind: str, service: str, operation: str, params: Params) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.kind == kind and rule.wants(service, operation, params):
                    rule.used += 1
                    self.injected[f"{kind}:{service}.{operation}"] += 1
                    return rule
        return None

    # -- hooks ----------------------------------------------------------------------------

    def install(self) -> None:
        events = boto3._get_default_session().events
        events.register("provide-client-params", self._keep_params, unique_id=f"{_UID}-params")
        events.register_first("before-call", self._before_call, unique_id=f"{_UID}-before")
        events.register_first("before-send", self._before_send, unique_id=f"{_UID}-send")
        events.register("after-call", self._after_call, unique_id=f"{_UID}-after")

    def uninstall(self) -> None:
        events = boto3._get_default_session().events
        events.unregister("provide-client-params", unique_id=f"{_UID}-params")
        events.unregister("before-call", unique_id=f"{_UID}-before")
        events.unregister("before-send", unique_id=f"{_UID}-send")
        events.unregister("after-call", unique_id=f"{_UID}-after")

    @staticmethod
    def _names(event_name: str) -> tuple[str, str]:
        parts = event_name.split(".")
        return (parts[1], parts[2]) if len(parts) >= 3 else ("", "")

    def _keep_params(self, params: Params, context: dict[str, Any], **_: Any) -> None:
        context["reliability_params"] = dict(params)

    def _before_call(self, event_name: str, context: dict[str, Any], **_: Any) -> Any:
        service, operation = self._names(event_name)
        params = context.get("reliability_params", {})
        racing = self._take("race", service, operation, params)
        if racing is not None and racing.action is not None:
            racing.action(params)
        answering = self._take("answer", service, operation, params)
        if answering is not None and answering.action is not None:
            parsed_answer = answering.action(params)
            parsed_answer["ResponseMetadata"] = {"HTTPStatusCode": 200}
            return AWSResponse("https://stand-in.invalid/", 200, {}, None), parsed_answer
        failing = self._take("fail", service, operation, params)
        if failing is None:
            return None
        status = 500 if failing.code in ("InternalError", "InternalServerError") else 400
        http = AWSResponse("https://injected.invalid/", status, {}, None)
        parsed = {
            "Error": {"Code": failing.code, "Message": f"injected {failing.code}"},
            "ResponseMetadata": {"HTTPStatusCode": status, "MaxAttemptsReached": True},
        }
        return http, parsed

    def _before_send(self, event_name: str, request: Any, **_: Any) -> Any:
        service, operation = self._names(event_name)
        try:
            params = json.loads(request.body or b"{}")
        except (TypeError, ValueError):
            params = {}
        if not isinstance(params, dict) or not self._take("throttle", service, operation, params):
            return None
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "injected throttle",
            }
        ).encode()
        return AWSResponse(
            request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body)
        )

    def _after_call(
        self,
        event_name: str,
        http_response: Any,
        parsed: dict[str, Any],
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        service, operation = self._names(event_name)
        params = context.get("reliability_params", {})
        ok = http_response is not None and http_response.status_code < 300
        if not ok:
            return
        if service == "sqs" and operation == "SendMessageBatch":
            taken = {entry["Id"] for entry in parsed.get("Successful", [])}
            with self._lock:
                self.sent_bodies += [
                    e["MessageBody"] for e in params.get("Entries", []) if e["Id"] in taken
                ]
        if (
            service == "dynamodb"
            and operation == "PutItem"
            and self.snapshots_table
            and params.get("TableName") == self.snapshots_table
        ):
            item = params.get("Item", {})
            key = (item.get("hashtag", {}).get("S", ""), item.get("cycle", {}).get("S", ""))
            with self._lock:
                self.snapshot_writes[key] += 1
        rule = self._take("after", service, operation, params)
        if rule is not None and rule.action is not None:
            rule.action(params)


class _Raw:
    """The raw stream botocore reads an answer's body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body

    def read(self, *_: Any) -> bytes:
        body, self._body = self._body, b""
        return body
