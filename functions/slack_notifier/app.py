"""Slack notifier Lambda: each alert-topic message -> one Block Kit post to the webhook.

Subscribed to the SNS alert topic (asynchronous invocation): an exception makes Lambda
retry the event, and then hands it to the function's dead-letter queue.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import requests
from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.config import settings
from hashtag_tracker.notify.slack import SlackNotifier, SlackPoster, load_webhook_url
from hashtag_tracker.observability import logger, metrics


def _session() -> requests.Session:
    return requests.Session()


@lru_cache(maxsize=1)
def notifier() -> SlackNotifier:
    """Made once per container; the URL is re-read through the secret cache on each post."""
    name = settings().slack_webhook_secret
    return SlackNotifier(SlackPoster(lambda: load_webhook_url(name), session=_session()))


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return notifier().handle(event)
