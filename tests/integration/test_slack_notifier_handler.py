"""The Slack notifier handler: webhook from Secrets Manager (moto), strict URL, one post."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities import parameters
from requests.adapters import BaseAdapter

from hashtag_tracker.config import SlackSettings, load_settings
from hashtag_tracker.notify.slack import InvalidWebhookError
from hashtag_tracker.wiring.slack_notifier import make_slack_notifier

pytestmark = pytest.mark.integration

EVENT = Path(__file__).resolve().parents[2] / "events" / "slack_notifier_sns.json"
HOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"


class RecordingAdapter(BaseAdapter):
    """Stands in for Slack over HTTPS: records each request and answers 200 "ok"."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        response = requests.Response()
        response.status_code = 200
        response._content = b"ok"
        response.request = request
        return response

    def close(self) -> None:
        pass


class Context:
    function_name = "SlackNotifier"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:SlackNotifier"
    aws_request_id = "req-1"


@pytest.fixture
def app(aws: None) -> Iterator[tuple[Any, RecordingAdapter]]:
    """The handler with the function's own wiring, its HTTP session recording the posts."""
    parameters.clear_caches()
    from functions.slack_notifier import app as module

    adapter = RecordingAdapter()
    session = requests.Session()
    session.mount("https://hooks.slack.com/", adapter)
    settings = load_settings(
        SlackSettings, {"SLACK_WEBHOOK_SECRET": "hashtag-tracker/slack-webhook"}
    )
    notifier = make_slack_notifier(settings, session=session)
    yield functools.partial(module.lambda_handler, deps=notifier), adapter
    parameters.clear_caches()


def _secret(value: str) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="hashtag-tracker/slack-webhook", SecretString=value
    )


def test_handler_posts_the_sample_alert_to_the_webhook_from_the_secret(
    app: tuple[Any, RecordingAdapter],
) -> None:
    # Given the webhook URL stored as the documented secret
    handler, adapter = app
    _secret(HOOK)

    # When the handler gets the sample SNS event
    answer = handler(json.loads(EVENT.read_text()), Context())

    # Then one Block Kit message went to that URL
    assert answer == {"posted": 1}
    [sent] = adapter.requests
    assert sent.url == HOOK
    body = json.loads(sent.body or b"{}")
    assert body["blocks"][0]["text"]["text"].endswith("Viral moment on #trybrandx")


def test_handler_refuses_a_secret_that_is_not_a_slack_hook(
    app: tuple[Any, RecordingAdapter],
) -> None:
    handler, adapter = app
    _secret("http://127.0.0.1:8080/services/T/B/X")

    with pytest.raises(InvalidWebhookError, match="https"):
        handler(json.loads(EVENT.read_text()), Context())
    assert adapter.requests == []
