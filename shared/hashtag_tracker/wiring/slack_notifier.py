"""The Slack notifier function's dependencies."""

from __future__ import annotations

from collections.abc import Callable

import requests
from aws_lambda_powertools.utilities import parameters

from hashtag_tracker.config import SlackSettings
from hashtag_tracker.notify.slack import (
    SlackNotifier,
    SlackPoster,
    WebhookUnavailableError,
    url_from_secret_text,
    validate_webhook_url,
)
from hashtag_tracker.storage.secrets import DEFAULT_MAX_AGE_SECONDS, read_secret


def load_webhook_url(
    name: str,
    *,
    max_age: int = DEFAULT_MAX_AGE_SECONDS,
    provider: parameters.SecretsProvider | None = None,
    validate: Callable[[str], str] = validate_webhook_url,
) -> str:
    """The validated webhook URL stored in Secrets Manager under `name` (cached `max_age` s)."""
    text = read_secret(
        name,
        what="Slack webhook",
        error=WebhookUnavailableError,
        max_age=max_age,
        secrets_provider=provider,
        # Secrets Manager only, "/" names included (the function may read no SSM parameter).
        ssm_names=False,
    )
    return validate(url_from_secret_text(text))


def make_slack_notifier(
    settings: SlackSettings, session: requests.Session | None = None
) -> SlackNotifier:
    """The URL is re-read through the secret cache on each post, so a rotated webhook is
    picked up without a new container."""
    name = settings.slack_webhook_secret
    return SlackNotifier(
        SlackPoster(lambda: load_webhook_url(name), session=session or requests.Session())
    )
