"""Slack: webhook URL validation, Block Kit payloads for alerts, digests and notices, posting.

The webhook URL is a secret (its path is the credential): it is read from Secrets Manager,
never logged, and kept out of every error message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from msgspec import field

from hashtag_tracker.models.codec import DecodeError, Record, convert, describe
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
BLOCKS_LIMIT = 50
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


# -- the daily digest -------------------------------------------------------------------------

# The digest's JSON (report/digest.py writes it; the notifier reads only what it shows, and
# ignores fields it does not know, so the producer may add some). A test renders the report's
# own output, so the two cannot drift apart.
DIGEST_TYPE = "hashtag-tracker.digest"
TREND_ICONS = {"rising": "📈", "falling": "📉", "stable": "➖"}
MOOD_ICONS = {"positive": "🙂", "neutral": "😐", "negative": "🙁"}


class DigestVideoView(Record, frozen=True, kw_only=True):
    author_id: str
    plays: int
    description: str | None = None
    link: str | None = None


class DigestMoodView(Record, frozen=True, kw_only=True):
    label: str
    positive: float
    neutral: float
    negative: float
    scored: int


class DigestTagView(Record, frozen=True, kw_only=True):
    hashtag: str
    kind: str
    campaign: str | None = None
    link: str
    new_views: int | None = None
    new_videos: int | None = None
    day_over_day: str | None = None
    views_day_before: int | None = None
    top_video: DigestVideoView | None = None
    mood: DigestMoodView | None = None
    credits: int = 0


class DigestOthersView(Record, frozen=True, kw_only=True):
    count: int
    new_views: int
    new_videos: int
    credits: int


class DigestCreditsView(Record, frozen=True, kw_only=True):
    today: int
    today_usd: float
    month: str
    month_used: int | None = None
    month_projected: int | None = None
    budget: int
    projected_pct_of_budget: float | None = None
    balance: int | None = None


class DigestView(Record, frozen=True, kw_only=True):
    type: str
    title: str
    day: str
    until: datetime
    hashtags: int
    new_views: int
    new_videos: int
    tags: list[DigestTagView]
    others: DigestOthersView | None = None
    credits: DigestCreditsView
    skipped: list[str] = field(default_factory=list)
    skipped_count: int = 0
    invalid_items: int = 0


def _n(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def _link(url: str | None, label: str) -> str:
    """A mrkdwn link (`|` would end the URL part, so it leaves the label); the bare label
    when there is no URL or it could break the markup."""
    text = _escape(label).replace("|", "¦")
    if not url or any(c in url for c in "<>| "):
        return text
    return f"<{url}|{text}>"


def _credit_fields(credits: DigestCreditsView) -> list[dict[str, Any]]:
    lines = [("Credits today", f"{credits.today:,} (${credits.today_usd:.2f})")]
    if credits.month_used is not None:
        lines.append((f"Used in {credits.month}", f"{credits.month_used:,}"))
        if credits.month_projected is not None:
            pct = credits.projected_pct_of_budget
            lines.append(
                (
                    "Projected this month",
                    f"{credits.month_projected:,} of {credits.budget:,}"
                    + (f" ({pct:.0f}%)" if pct is not None else ""),
                )
            )
        else:
            lines.append(("Projected this month", f"too early (budget {credits.budget:,})"))
    if credits.balance is not None:
        lines.append(("Data-API balance", f"{credits.balance:,}"))
    return [
        {"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in lines[:FIELDS_LIMIT]
    ]


def digest_tag_text(tag: DigestTagView) -> str:
    """One tag's day as mrkdwn: numbers, label, top new video, mood, credits."""
    head = f"*{_link(tag.link, '#' + tag.hashtag)}*"
    if tag.campaign:
        head += f" · campaign {_escape(tag.campaign)}"
    trend = tag.day_over_day
    head += f" · {TREND_ICONS.get(trend, '')} {_escape(trend)}" if trend else " · no label yet"
    counts = f"*{_n(tag.new_views)}* new views · *{_n(tag.new_videos)}* new videos"
    if trend and tag.views_day_before is not None:
        counts += f" (day before: {tag.views_day_before:,} new views)"
    lines = [head, counts]
    video = tag.top_video
    if video is not None:
        about = f" “{_escape(video.description)}”" if video.description else ""
        lines.append(
            f"Top new video: {_link(video.link, '@' + video.author_id)}{about}, "
            f"{video.plays:,} plays"
        )
    else:
        lines.append("Top new video: none first seen today")
    mood = tag.mood
    if mood is not None:
        lines.append(
            f"Comments: {MOOD_ICONS.get(mood.label, '')} {_escape(mood.label)} "
            f"({mood.positive:.0%} positive, {mood.neutral:.0%} neutral, "
            f"{mood.negative:.0%} negative of {mood.scored:,}) · {tag.credits:,} credits"
        )
    else:
        lines.append(f"Comments: not scored today · {tag.credits:,} credits")
    return _cut("\n".join(lines), SECTION_LIMIT)


def digest_payload(digest: DigestView) -> dict[str, Any]:
    """Block Kit message: header, the day's totals, credits, one section per listed tag, then
    the tags summed and the ones not read; at most BLOCKS_LIMIT blocks."""
    summary = (
        f"*{digest.hashtags:,}* hashtags · *{digest.new_views:,}* new views · "
        f"*{digest.new_videos:,}* new videos in the 24 hours to {digest.until:%Y-%m-%d %H:%M} UTC"
    )
    head: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(f"📊 {digest.title}", HEADER_LIMIT)},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": summary}},
        {"type": "section", "fields": _credit_fields(digest.credits)},
        {"type": "divider"},
    ]
    notes: list[str] = []
    if digest.others is not None:
        o = digest.others
        notes.append(
            f"+{o.count:,} more hashtags: {o.new_views:,} new views, {o.new_videos:,} new "
            f"videos, {o.credits:,} credits"
        )
    if digest.skipped_count:
        more = digest.skipped_count - len(digest.skipped)
        notes.append(
            "Not read: "
            + ", ".join(f"#{_escape(s)}" for s in digest.skipped)
            + (f", +{more} more" if more > 0 else "")
        )
    if digest.invalid_items:
        notes.append(f"{digest.invalid_items} invalid hashtag items skipped")
    # Room for the tags: what the header leaves, one block kept for the closing notes.
    room = BLOCKS_LIMIT - len(head) - 1
    shown = digest.tags[:room]
    if len(digest.tags) > len(shown):
        notes.insert(0, f"+{len(digest.tags) - len(shown)} more listed in the email")
    tags = [
        {"type": "section", "text": {"type": "mrkdwn", "text": digest_tag_text(tag)}}
        for tag in shown
    ]
    if not digest.tags:
        tags = [{"type": "section", "text": {"type": "mrkdwn", "text": "No hashtag was read."}}]
    blocks = head + tags
    if notes:
        note = _cut(" · ".join(notes), SECTION_LIMIT)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    fallback = (
        f"{digest.title}: {digest.hashtags:,} hashtags, {digest.new_views:,} new views, "
        f"{digest.new_videos:,} new videos"
    )
    return {"text": _cut(fallback, SECTION_LIMIT), "blocks": blocks}


def _alarm_text(document: Mapping[str, Any]) -> tuple[str, str]:
    name = str(document.get("AlarmName", "alarm"))
    state = str(document.get("NewStateValue", "?"))
    reason = str(document.get("NewStateReason", ""))
    return f"Alarm {state}: {name}", reason


class MalformedAlertError(ValueError):
    """A message marked as an alert whose body does not validate."""


class MalformedDigestError(MalformedAlertError):
    """A message marked as a daily digest whose body does not validate (posted as a notice,
    like an alert that does not validate)."""


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
    if isinstance(document, dict) and document.get("type") == DIGEST_TYPE:
        try:
            return digest_payload(convert(document, DigestView))
        except DecodeError as exc:
            raise MalformedDigestError(
                f"digest message does not validate: {describe(exc)}"
            ) from exc
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
