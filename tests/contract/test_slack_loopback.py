"""The Slack notifier over real HTTP: an SNS event in, the Block Kit JSON at a receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hashtag_tracker.notify.slack import (
    InvalidWebhookError,
    SlackNotifier,
    SlackPoster,
    SlackPostError,
)

pytestmark = pytest.mark.contract

EVENT = Path(__file__).resolve().parents[2] / "events" / "slack_notifier_sns.json"


class Receiver(BaseHTTPRequestHandler):
    """A webhook stand-in: answers from `statuses` in turn (200 once they run out)."""

    received: ClassVar[list[dict[str, Any]]] = []
    paths: ClassVar[list[str]] = []
    statuses: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        type(self).paths.append(self.path)
        type(self).received.append(json.loads(body))
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"error")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received, Receiver.paths, Receiver.statuses = [], [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/services/T000/B000/XXXX"
    finally:
        server.shutdown()
        server.server_close()


def loopback_poster(url: str, **options: Any) -> SlackPoster:
    # Tests swap the strict validator for one that allows this loopback receiver only.
    return SlackPoster(lambda: url, validate=lambda u: u, sleep=lambda _: None, **options)


def test_the_sample_sns_event_posts_the_expected_block_kit_message(receiver: str) -> None:
    # Given the sample event the alert topic sends to the notifier
    event = json.loads(EVENT.read_text())

    # When the notifier handles it against the loopback webhook
    answer = SlackNotifier(loopback_poster(receiver)).handle(event)

    # Then the receiver got one Block Kit message with the hashtag, numbers and link
    assert answer == {"posted": 1}
    [payload] = Receiver.received
    assert Receiver.paths == ["/services/T000/B000/XXXX"]
    blocks = payload["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context", "actions"]
    assert blocks[0]["text"] == {
        "type": "plain_text",
        "text": "🟠 Viral moment on #trybrandx",
    }
    fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in blocks[2]["fields"]}
    assert fields["*New videos*"] == "412"
    assert fields["*Views growth %*"] == "63.5"
    assert blocks[4]["elements"][0]["url"] == "https://www.tiktok.com/tag/trybrandx"
    assert "campaign BrandX" in blocks[3]["elements"][0]["text"]


def test_a_5xx_is_retried_and_then_delivered(receiver: str) -> None:
    Receiver.statuses = [503, 500]
    event = json.loads(EVENT.read_text())

    SlackNotifier(loopback_poster(receiver, attempts=3)).handle(event)

    assert len(Receiver.received) == 3


def test_failing_posts_raise_so_lambda_retries_and_dead_letters(receiver: str) -> None:
    Receiver.statuses = [500, 500, 500]
    event = json.loads(EVENT.read_text())

    with pytest.raises(SlackPostError, match="after 3 attempts: HTTP 500"):
        SlackNotifier(loopback_poster(receiver, attempts=3)).handle(event)


def test_the_production_validator_refuses_the_loopback_receiver(receiver: str) -> None:
    # Given the same receiver, with the real validator
    notifier = SlackNotifier(SlackPoster(lambda: receiver))

    # Then nothing is sent and the error says why
    with pytest.raises(InvalidWebhookError, match="https"):
        notifier.handle(json.loads(EVENT.read_text()))
    assert Receiver.received == []
