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


class RequestCounter:
    """Thread-safe counts of (service, operation) requests; read deltas with `snapshot()`."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

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
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]
