"""Slack: webhook URL validation, Block Kit payloads for alerts and notices, and posting.

The webhook URL is a secret (its path is the credential): it is read from Secrets Manager,
never logged, and kept out of every error message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from hashtag_tracker.models.codec import DecodeError, convert, describe
from hashtag_tracker.models.secret_text import secret_field
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.rules.alert import ALERT_TYPE, Alert, Severity

SLACK_HOST = "hooks.slack.com"
WEBHOOK_PATHS = ("/services/", "/workflows/")
_PATH_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-")
# Block Kit limits: header text 150, section text 3000, 10 fields, button text 75.
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELDS_LIMIT = 10
BUTTON_LIMIT = 75
_SECRET_FIELDS = ("url", "webhook_url", "webhook", "SLACK_WEBHOOK_URL")
SEVERITY_ICONS = {Severity.INFO: "🔵", Severity.WARNING: "🟠", Severity.CRITICAL: "🔴"}


class InvalidWebhookError(ValueError):
    """The configured URL is not a Slack incoming-webhook URL; the message says why."""


class WebhookUnavailableError(RuntimeError):
    """The webhook secret could not be read."""


class SlackPostError(RuntimeError):
    """Slack did not take the message after the retries; the event is retried or dead-lettered."""


# -- the webhook URL --------------------------------------------------------------------------


def validate_webhook_url(url: str) -> str:
    """Return `url` if it is https://hooks.slack.com/services/... (or /workflows/...).

    Anything else (http, other hosts, IP literals, user info, ports, queries) is refused,
    so a mistyped or tampered secret cannot send alerts, or the request, elsewhere.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookError("the Slack webhook URL is empty")
    url = url.strip()
    if any(ord(c) < 33 or ord(c) > 126 for c in url):
        raise InvalidWebhookError("the Slack webhook URL contains spaces or non-ASCII characters")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a bracketed host that is not an IPv6 address
        raise InvalidWebhookError("the Slack webhook URL is not a valid URL") from None
    if parts.scheme != "https":
        raise InvalidWebhookError(
            f"the Slack webhook URL must use https, not {parts.scheme or 'no scheme'!r}"
        )
    if parts.netloc.lower() != SLACK_HOST:
        raise InvalidWebhookError(
            f"the Slack webhook URL must point at {SLACK_HOST} exactly (no user info, port "
            f"or other host); got host {parts.hostname or '?'!r}"
        )
    if parts.query or parts.fragment or "#" in url or "?" in url:
        raise InvalidWebhookError("the Slack webhook URL must not carry a query or fragment")
    if not parts.path.startswith(WEBHOOK_PATHS) or not set(parts.path) <= _PATH_CHARS:
        raise InvalidWebhookError(
            "the Slack webhook URL must look like https://hooks.slack.com/services/T.../B.../..."
        )
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 3 or ".." in segments:
        raise InvalidWebhookError("the Slack webhook URL path is incomplete")
    return url


def url_from_secret_text(text: str) -> str:
    """The URL from a plain-string secret or a JSON object holding it under a known field."""
    return secret_field(text, _SECRET_FIELDS, what="Slack webhook", error=InvalidWebhookError)


# -- Block Kit payloads --------------------------------------------------------------------


def _escape(text: str) -> str:
    """Slack mrkdwn needs &, < and > escaped; the rest is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alert_payload(alert: Alert) -> dict[str, Any]:
    """Block Kit message: header, what happened, the numbers that fired, context, a link."""
    icon = SEVERITY_ICONS[alert.severity]
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{value}"}
        for label, value in alert.metric_lines()[:FIELDS_LIMIT]
    ]
    context = [
        f"rule `{alert.rule.value}`",
        f"severity *{alert.severity.value}*",
        f"{alert.kind.value}",
        f"campaign {_escape(alert.campaign)}" if alert.campaign else "no campaign",
        f"window {alert.window}",
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(f"{icon} {alert.title}", HEADER_LIMIT)},
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _cut(_escape(alert.summary), SECTION_LIMIT)},
        },
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    blocks += [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {
                        "type": "plain_text",
                        "text": _cut(f"Open #{alert.hashtag} on TikTok", BUTTON_LIMIT),
                    },
                    "url": alert.link,
                    "action_id": "open_tiktok_tag",
                }
            ],
        },
    ]
    # `text` is the notification's fallback (phones, screen readers).
    return {"text": _cut(f"{alert.title}: {alert.summary}", SECTION_LIMIT), "blocks": blocks}


def notice_payload(subject: str | None, text: str) -> dict[str, Any]:
    """Anything else on the topic (operational notices, alarms) as a plain Block Kit message."""
    title = subject or "Hashtag tracker notice"
    return {
        "text": _cut(title, SECTION_LIMIT),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_LIMIT)}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _cut(_escape(text) or "-", SECTION_LIMIT)},
            },
        ],
    }


def _alarm_text(document: Mapping[str, Any]) -> tuple[str, str]:
    name = str(document.get("AlarmName", "alarm"))
    state = str(document.get("NewStateValue", "?"))
    reason = str(document.get("NewStateReason", ""))
    return f"Alarm {state}: {name}", reason


class MalformedAlertError(ValueError):
    """A message marked as an alert whose body does not validate."""


def payload_for(subject: str | None, message: str) -> dict[str, Any]:
    """The Slack payload of one topic message: an alert, an alarm, or a plain notice.

    Raises MalformedAlertError for a message typed as an alert that does not validate
    (the caller logs and counts it, then posts it as a notice so nobody misses it).
    """
    try:
        document = json.loads(message)
    except ValueError:
        return notice_payload(subject, message)
    if isinstance(document, dict) and document.get("type") == ALERT_TYPE:
        try:
            return alert_payload(convert(document, Alert))
        except DecodeError as exc:
            raise MalformedAlertError(f"alert message does not validate: {describe(exc)}") from exc
    if isinstance(document, dict) and "AlarmName" in document:
        title, reason = _alarm_text(document)
        return notice_payload(title, reason)
    return notice_payload(subject, message)


# -- posting ---------------------------------------------------------------------------------


Sleep = Callable[[float], None]


class SlackPoster:
    """Posts payloads to the webhook with a timeout, retrying 429, 5xx and network errors.

    Raises SlackPostError when the retries run out or Slack refuses the message (4xx), so
    Lambda's asynchronous retries and the function's dead-letter queue keep the event.
    """

    def __init__(
        self,
        url: Callable[[], str],
        *,
        session: requests.Session | None = None,
        validate: Callable[[str], str] = validate_webhook_url,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        max_wait_seconds: float = 10.0,
        timeout: tuple[float, float] = (3.05, 10.0),
        sleep: Sleep = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._url = url
        self._session = session or requests.Session()
        self._validate = validate
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._max_wait = max_wait_seconds
        self._timeout = timeout
        self._sleep = sleep

    def post(self, payload: Mapping[str, Any]) -> int:
        """Post one payload; returns the number of attempts it took."""
        url = self._validate(self._url())
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        last = "no attempt"
        for attempt in range(1, self._attempts + 1):
            wait = self._backoff * 2 ** (attempt - 1)
            try:
                answer = self._session.post(
                    url,
                    data=body,
                    headers={"Content-Type": "application/json; charset=utf-8"},
                    timeout=self._timeout,
                    allow_redirects=False,
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                # The exception's text holds the URL (the secret): keep only its kind.
                last = type(exc).__name__
            else:
                if 200 <= answer.status_code < 300:
                    return attempt
                last = f"HTTP {answer.status_code} {answer.text[:100]!r}"
                if answer.status_code == 429:
                    wait = max(wait, _retry_after(answer.headers.get("Retry-After")))
                elif answer.status_code < 500:
                    raise SlackPostError(f"Slack refused the message: {last}")
            if attempt < self._attempts:
                self._sleep(min(wait, self._max_wait))
        raise SlackPostError(f"posting to Slack failed after {self._attempts} attempts: {last}")


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0


# -- SNS events ------------------------------------------------------------------------------


class MalformedEventError(ValueError):
    """An SNS record without a message: retried, then dead-lettered with the event."""


class SlackNotifier:
    """Posts every message of an SNS event. A record that is not an SNS message raises
    (after being logged and counted), so the event reaches the dead-letter queue; an alert
    that does not validate is counted and still posted, as a notice."""

    def __init__(self, poster: SlackPoster) -> None:
        self._poster = poster

    def handle(self, event: Mapping[str, Any]) -> dict[str, int]:
        records = event.get("Records") if isinstance(event, Mapping) else None
        if not isinstance(records, list) or not records:
            self._malformed("the event has no Records")
        posted = 0
        for record in records or []:
            sns = record.get("Sns") if isinstance(record, Mapping) else None
            message = sns.get("Message") if isinstance(sns, Mapping) else None
            if not isinstance(message, str):
                self._malformed("an SNS record has no Message")
            subject = sns.get("Subject") if isinstance(sns, Mapping) else None
            self._post_one(subject if isinstance(subject, str) else None, str(message))
            posted += 1
        return {"posted": posted}

    def _post_one(self, subject: str | None, message: str) -> None:
        try:
            payload = payload_for(subject, message)
        except MalformedAlertError as exc:
            metrics.add_metric(name="SlackMalformedAlerts", unit="Count", value=1)
            logger.error(
                "alert message does not validate; posted as a notice",
                extra={"error": str(exc)[:500]},
            )
            payload = notice_payload(subject or "Unreadable alert", message)
        try:
            attempts = self._poster.post(payload)
        except (InvalidWebhookError, WebhookUnavailableError) as exc:
            # A configuration fault: every retry fails the same way until the secret is fixed,
            # and the dead-letter queue keeps the alerts meanwhile.
            metrics.add_metric(name="SlackWebhookErrors", unit="Count", value=1)
            logger.error("the Slack webhook is not usable", extra={"error": str(exc)})
            raise
        metrics.add_metric(name="SlackPosts", unit="Count", value=1)
        logger.info("posted to Slack", extra={"attempts": attempts, "subject": subject})

    @staticmethod
    def _malformed(reason: str) -> None:
        metrics.add_metric(name="SlackMalformedEvents", unit="Count", value=1)
        logger.error(
            "malformed SNS event; it is retried, then dead-lettered", extra={"reason": reason}
        )
        raise MalformedEventError(reason)
