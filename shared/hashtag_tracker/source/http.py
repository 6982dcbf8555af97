"""HTTP for the data API: one JSON POST per attempt, over a kept-alive urllib3 pool.

urllib3 directly rather than requests: botocore already loads urllib3, so the worker's cold
start pays nothing more for it, and a POST skips requests' per-call environment and proxy
merging. Retries are the client's (scavio.py), never the transport's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError


class TransportTimeout(Exception):
    """Connecting or reading took longer than the timeout."""


class TransportError(Exception):
    """No answer: the connection failed or broke. The message names only the error type
    (urllib3's messages carry the URL, and the client keeps URLs out of its errors)."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]
    text: str


class Transport(Protocol):
    def post_json(
        self, url: str, payload: Any, headers: Mapping[str, str], timeout: float
    ) -> HttpAnswer: ...


class Urllib3Transport:
    """One connection pool per container (TLS sessions are reused between calls)."""

    def __init__(self, pool: urllib3.PoolManager | None = None) -> None:
        self._pool = pool or urllib3.PoolManager(maxsize=2)

    def post_json(
        self, url: str, payload: Any, headers: Mapping[str, str], timeout: float
    ) -> HttpAnswer:
        try:
            response = self._pool.request(
                "POST",
                url,
                body=json.dumps(payload).encode(),
                headers={**headers, "Content-Type": "application/json"},
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
                retries=False,
                redirect=False,
            )
        except NewConnectionError:  # a subclass of the connect timeout, but a refusal
            raise TransportError("NewConnectionError") from None
        except TimeoutError:
            raise TransportTimeout("timed out") from None
        except HTTPError as exc:
            raise TransportError(type(exc).__name__) from None
        return HttpAnswer(
            response.status, response.headers, response.data.decode("utf-8", "replace")
        )
