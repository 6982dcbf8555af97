"""Slack notifier Lambda: each alert-topic message -> one Block Kit post to the webhook.

Subscribed to the SNS alert topic (asynchronous invocation): an exception makes Lambda
retry the event, and then hands it to the function's dead-letter queue.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.config import SlackSettings, load_settings
from hashtag_tracker.notify.slack import SlackNotifier
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.wiring.slack_notifier import make_slack_notifier


@lru_cache(maxsize=1)
def container() -> SlackNotifier:
    return make_slack_notifier(load_settings(SlackSettings))


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, deps: SlackNotifier | None = None
) -> dict[str, int]:
    return (deps or container()).handle(event)
