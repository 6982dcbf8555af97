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
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProxyError,
    TimeoutError,
)


class _NoAnswer(Exception):
    """No answer came back. `sent` says whether the request may have reached the API (it
    may then have been charged): False only when the connection was never made."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


class TransportTimeout(_NoAnswer):
    """Connecting (sent=False) or reading the answer (sent=True) took longer than the timeout."""


class TransportError(_NoAnswer):
    """No answer: the connection failed (sent=False) or broke after sending (sent=True). The
    message names only the error type (urllib3's messages carry the URL, and the client keeps
    URLs out of its errors)."""


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
                # `total` bounds connecting plus waiting for the answer: one attempt takes
                # about `timeout`, which the client budgets against the Lambda's time left.
                timeout=urllib3.Timeout(connect=timeout, read=timeout, total=timeout),
                retries=False,
                redirect=False,
            )
        except NewConnectionError:  # a subclass of the connect timeout, but a refusal
            raise TransportError("NewConnectionError", sent=False) from None
        except ConnectTimeoutError:
            raise TransportTimeout("connect timed out", sent=False) from None
        except TimeoutError:
            raise TransportTimeout("timed out", sent=True) from None
        except ProxyError:
            raise TransportError("ProxyError", sent=False) from None
        except HTTPError as exc:
            # Dropped or reset after the request went out (ProtocolError, SSL, ...): it may
            # have been answered and charged upstream.
            raise TransportError(type(exc).__name__, sent=True) from None
        return HttpAnswer(
            response.status, response.headers, response.data.decode("utf-8", "replace")
        )
