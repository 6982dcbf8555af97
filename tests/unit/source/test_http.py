"""The data API's HTTP transport against a loopback server: answers, timeouts, no retries."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hashtag_tracker.source.http import TransportError, TransportTimeout, Urllib3Transport


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, dict[str, str], object]] = []  # noqa: RUF012 - one server per test

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        type(self).seen.append((self.path, dict(self.headers), body))
        if self.path == "/slow":
            time.sleep(1.0)
        if self.path == "/drop":
            # Hang up after reading the request, without an answer.
            self.close_connection = True
            return
        status, headers = {
            "/redirect": (302, {"Location": "/elsewhere"}),
            "/busy": (503, {"retry-after": "7"}),
        }.get(self.path, (200, {}))
        payload = json.dumps({"data": {"ok": True}}).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_post_sends_json_with_the_headers_and_returns_status_headers_and_text(
    server: str,
) -> None:
    # Given a transport
    transport = Urllib3Transport()
    # When it posts
    answer = transport.post_json(server + "/api", {"hashtag_name": "x"}, {"Authorization": "k"}, 2)
    # Then the server got the JSON and the headers, and the answer is returned as it came
    path, headers, body = _Handler.seen[0]
    assert (path, body) == ("/api", {"hashtag_name": "x"})
    assert headers["Authorization"] == "k" and headers["Content-Type"] == "application/json"
    assert answer.status == 200 and json.loads(answer.text) == {"data": {"ok": True}}


def test_headers_are_read_in_any_case_and_an_error_status_is_an_answer_not_retried(
    server: str,
) -> None:
    # Given a server that answers 503 with a lower-case retry-after
    answer = Urllib3Transport().post_json(server + "/busy", {}, {}, 2)
    # Then the client sees the status and the header under its usual name, after one request
    assert answer.status == 503 and answer.headers.get("Retry-After") == "7"
    assert len(_Handler.seen) == 1


def test_a_redirect_is_not_followed(server: str) -> None:
    # A redirect would re-send the key elsewhere: the client gets the 302 itself
    answer = Urllib3Transport().post_json(server + "/redirect", {}, {"Authorization": "k"}, 2)
    assert answer.status == 302
    assert [path for path, _, _ in _Handler.seen] == ["/redirect"]


def test_a_slow_answer_is_a_timeout(server: str) -> None:
    with pytest.raises(TransportTimeout) as caught:
        Urllib3Transport().post_json(server + "/slow", {}, {}, 0.2)
    assert len(_Handler.seen) == 1  # not retried by the transport
    assert caught.value.sent  # the request went out: its answer is lost, maybe charged


def test_a_connection_dropped_after_sending_is_an_error_with_the_request_sent(
    server: str,
) -> None:
    with pytest.raises(TransportError) as caught:
        Urllib3Transport().post_json(server + "/drop", {"a": 1}, {}, 2)
    assert [path for path, _, _ in _Handler.seen] == ["/drop"]
    assert caught.value.sent


def test_a_refused_connection_is_a_transport_error_without_the_url() -> None:
    # Given a loopback port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # When posting to it, Then the error names only its type
    with pytest.raises(TransportError) as caught:
        Urllib3Transport().post_json(f"http://127.0.0.1:{port}/api?key=secret", {}, {}, 1)
    assert "secret" not in str(caught.value) and "127.0.0.1" not in str(caught.value)
    assert not caught.value.sent  # never went out: nothing can have been charged


def test_connections_are_kept_alive_between_posts(server: str) -> None:
    # Given one transport (one per container), When it posts twice
    transport = Urllib3Transport()
    transport.post_json(server + "/api", {}, {}, 2)
    transport.post_json(server + "/api", {}, {}, 2)
    # Then both went over one connection
    pool = transport._pool.connection_from_url(server)
    assert pool.num_connections == 1 and pool.num_requests == 2
