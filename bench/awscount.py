"""Counts AWS requests per service and operation through botocore's `before-send` event hook.

Every client made while counting (by any boto3 or botocore session: the stores, Powertools,
the runner) gets the hook, so each HTTP request it sends, retries included, is counted once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session

# DynamoDB writes whose request names several items, and the items' key in the request.
_WRITE_UNITS_PER_ITEM = {"TransactWriteItems": 2}  # a transaction costs 2 WRU per item
_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
_READ_UNIT_BYTES = 4096


class RequestCounter:
    """Thread-safe counts of (service, operation) requests; read deltas with `snapshot()`.

    Also DynamoDB's request units, estimated: 1 WRU per item written (items under 1 KB; 2 in
    a transaction) and 1 RRU per 4 KB of response body (the wire JSON is larger than the
    items, so this overstates reads); `units()` has them.
    """

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._units: Counter[str] = Counter()
        self._lock = threading.Lock()

    def on_call(self, event_name: str = "", params: Any = None, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation in _READS or not isinstance(params, dict):
            return
        if operation == "BatchWriteItem":
            items = sum(len(v) for v in params.get("RequestItems", {}).values())
        elif operation == "TransactWriteItems":
            items = len(params.get("TransactItems", []))
        else:
            items = 1
        with self._lock:
            self._units["write"] += items * _WRITE_UNITS_PER_ITEM.get(operation, 1)

    def on_response(self, event_name: str = "", http_response: Any = None, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation not in _READS or http_response is None:
            return
        size = len(getattr(http_response, "content", b"") or b"")
        with self._lock:
            self._units["read"] += max(1, -(-size // _READ_UNIT_BYTES))

    def units(self) -> dict[str, int]:
        """DynamoDB request units so far: {"read": RRU, "write": WRU} (estimated)."""
        with self._lock:
            return {"read": self._units["read"], "write": self._units["write"]}

    def on_send(self, event_name: str = "", **_: Any) -> None:
        # The event is "before-send.<service-id>.<Operation>"; returning None lets it go on.
        parts = event_name.split(".", 2)
        if len(parts) == 3:
            with self._lock:
                self._counts[(parts[1], parts[2])] += 1

    def snapshot(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self._counts)


def service_total(counts: Counter[tuple[str, str]], service: str) -> int:
    return sum(n for (svc, _), n in counts.items() if svc == service)


def by_operation(counts: Counter[tuple[str, str]], service: str) -> dict[str, int]:
    return dict(sorted((op, n) for (svc, op), n in counts.items() if svc == service and n))


@contextmanager
def counting_requests() -> Iterator[RequestCounter]:
    """Hook every botocore client created inside the block (clients made before are not)."""
    counter = RequestCounter()
    original = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-send", counter.on_send)
        if client.meta.service_model.service_name == "dynamodb":
            client.meta.events.register("before-call.dynamodb", counter.on_call)
            client.meta.events.register("after-call.dynamodb", counter.on_response)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]
