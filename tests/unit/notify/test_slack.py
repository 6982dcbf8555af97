"""Slack: strict webhook URLs, Block Kit payloads, bounded retries that end in an error."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from aws_lambda_powertools.utilities import parameters

from hashtag_tracker.models.codec import convert
from hashtag_tracker.models.hashtag import HashtagKind
from hashtag_tracker.notify.slack import (
    InvalidWebhookError,
    MalformedEventError,
    SlackNotifier,
    SlackPoster,
    SlackPostError,
    WebhookUnavailableError,
    alert_payload,
    payload_for,
    url_from_secret_text,
    validate_webhook_url,
)
from hashtag_tracker.rules.alert import Alert, AlertRule, Severity
from hashtag_tracker.wiring.slack_notifier import load_webhook_url
from tests.unit.rules.builders import at

GOOD_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"


def an_alert(**changes: Any) -> Alert:
    data: dict[str, Any] = {
        "hashtag": "trybrandx",
        "rule": AlertRule.VIRAL,
        "window": "2026-11-02T06:00:00Z",
        "at": at(6),
        "severity": Severity.WARNING,
        "kind": HashtagKind.CAMPAIGN,
        "campaign": "BrandX",
        "metrics": {"new_videos": 412, "views_growth_pct": 63.5, "views_per_hour": 120_000},
        "summary": "#trybrandx is taking off.",
        "cooldown_hours": 24,
    }
    return Alert(**{**data, **changes})


# -- URL validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [GOOD_URL, "https://hooks.slack.com/workflows/T000/A000/123/abcDEF", f"  {GOOD_URL}\n"],
)
def test_slack_hook_urls_are_accepted(url: str) -> None:
    assert validate_webhook_url(url) == url.strip()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.slack.com/services/T/B/X", "https"),
        ("http://127.0.0.1:8080/services/T/B/X", "https"),
        ("https://127.0.0.1/services/T/B/X", "hooks.slack.com"),
        ("https://[::1]/services/T/B/X", "hooks.slack.com"),
        ("https://hooks.slack.com.evil.example/services/T/B/X", "hooks.slack.com"),
        ("https://evil@hooks.slack.com/services/T/B/X", "hooks.slack.com"),
        ("https://hooks.slack.com:8443/services/T/B/X", "hooks.slack.com"),
        ("https://hooks.slack.com/api/chat.postMessage", "look like"),
        ("https://hooks.slack.com/services/T/B/X?redirect=x", "query"),
        ("https://hooks.slack.com/services/T/../X", "look like"),
        ("https://hooks.slack.com/services/T", "incomplete"),
        ("hooks.slack.com/services/T/B/X", "https"),
        ("", "empty"),
    ],
)
def test_anything_else_is_refused_with_a_clear_error(url: str, reason: str) -> None:
    with pytest.raises(InvalidWebhookError, match=reason) as error:
        validate_webhook_url(url)
    # The secret part of the path never appears in the message
    assert "/services/T/B/X" not in str(error.value)


def test_the_secret_may_be_json_with_a_url_field() -> None:
    assert url_from_secret_text(json.dumps({"url": GOOD_URL})) == GOOD_URL
    with pytest.raises(InvalidWebhookError, match="none of the fields"):
        url_from_secret_text('{"token": "x"}')


class FakeSecrets:
    def __init__(self, value: str) -> None:
        self.value = value

    def get(self, name: str, max_age: int = 0) -> str:
        return self.value


def test_load_webhook_url_validates_what_the_secret_holds() -> None:
    assert load_webhook_url("s", provider=FakeSecrets(GOOD_URL)) == GOOD_URL  # type: ignore[arg-type]
    with pytest.raises(InvalidWebhookError):
        load_webhook_url("s", provider=FakeSecrets("http://127.0.0.1/services/T/B/X"))  # type: ignore[arg-type]
    with pytest.raises(WebhookUnavailableError, match="no Slack webhook secret"):
        load_webhook_url("")


class FailingSecrets:
    def get(self, name: str, max_age: int = 0) -> str:
        raise parameters.exceptions.GetParameterError(f"boom {GOOD_URL}")


def test_load_webhook_url_failures_name_only_the_secret() -> None:
    with pytest.raises(WebhookUnavailableError) as caught:
        load_webhook_url("hook", provider=FailingSecrets())  # type: ignore[arg-type]
    message = str(caught.value)
    assert message == "reading the Slack webhook secret 'hook' failed (GetParameterError)"
    with pytest.raises(WebhookUnavailableError, match="the Slack webhook secret 'hook' is not"):
        load_webhook_url("hook", provider=FakeSecrets(42))  # type: ignore[arg-type]


def test_a_slash_name_is_still_a_secrets_manager_secret() -> None:
    # The webhook is read from Secrets Manager only (the notifier may read no SSM parameter)
    assert load_webhook_url("/team/hook", provider=FakeSecrets(GOOD_URL)) == GOOD_URL  # type: ignore[arg-type]


# -- payloads ---------------------------------------------------------------------------------


def test_alert_payload_has_header_numbers_context_and_tiktok_link() -> None:
    payload = alert_payload(an_alert())
    blocks = payload["blocks"]

    assert [b["type"] for b in blocks] == ["header", "section", "section", "context", "actions"]
    assert "Viral moment on #trybrandx" in blocks[0]["text"]["text"]
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields == ["*New videos*\n412", "*Views growth %*\n63.5", "*Views per hour*\n120,000"]
    context = blocks[3]["elements"][0]["text"]
    assert "rule `viral`" in context and "campaign BrandX" in context
    button = blocks[4]["elements"][0]
    assert button["url"] == "https://www.tiktok.com/tag/trybrandx"
    assert payload["text"].startswith("Viral moment on #trybrandx")


def test_non_latin_hashtags_get_an_encoded_link_and_escaped_text() -> None:
    payload = alert_payload(an_alert(hashtag="日本", campaign="<b>&co"))
    assert payload["blocks"][4]["elements"][0]["url"] == (
        "https://www.tiktok.com/tag/%E6%97%A5%E6%9C%AC"
    )
    assert "&lt;b&gt;&amp;co" in payload["blocks"][3]["elements"][0]["text"]


def test_the_alert_json_carries_every_field_its_derived_text_and_numbers_as_floats() -> None:
    # Given an alert whose rule passed whole numbers
    alert = an_alert(magnitude=2)
    # When it is written for subscribers
    document = json.loads(alert.to_json())
    # Then the numbers are floats, as a strict subscriber schema expects, and the derived
    # fields come along, and the document reads back as the same alert
    assert document["metrics"]["new_videos"] == 412.0
    assert isinstance(document["metrics"]["new_videos"], float)
    assert isinstance(document["magnitude"], float)
    assert document["campaign"] == "BrandX" and document["key"] == alert.key
    assert {"link", "title", "text", "type", "escalated"} <= set(document)
    assert convert(document, Alert) == alert


def test_payload_for_reads_alert_json_and_falls_back_to_notices() -> None:
    alert = an_alert()
    assert payload_for("s", alert.to_json()) == alert_payload(alert)
    notice = payload_for("Monthly credit budget reached", "Collection pauses.")
    assert notice["blocks"][0]["text"]["text"] == "Monthly credit budget reached"
    alarm = payload_for(None, json.dumps({"AlarmName": "FetchDLQ", "NewStateValue": "ALARM"}))
    assert alarm["blocks"][0]["text"]["text"] == "Alarm ALARM: FetchDLQ"


# -- posting ----------------------------------------------------------------------------------


class Answer:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.text = "ok" if status == 200 else "error"
        self.headers = headers or {}


class FakeSession:
    """Answers from a script; an exception in the script is raised instead."""

    def __init__(self, script: list[Answer | Exception]) -> None:
        self.script = script
        self.bodies: list[dict[str, Any]] = []
        self.urls: list[str] = []

    def post(self, url: str, data: bytes, **kwargs: Any) -> Answer:
        assert kwargs["timeout"]
        self.urls.append(url)
        self.bodies.append(json.loads(data))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def poster(session: FakeSession, sleeps: list[float], attempts: int = 4) -> SlackPoster:
    return SlackPoster(
        lambda: GOOD_URL,
        session=session,  # type: ignore[arg-type]
        attempts=attempts,
        sleep=sleeps.append,
    )


def test_5xx_timeouts_and_429_are_retried_with_backoff() -> None:
    # Given Slack answers 500, times out, answers 429 with Retry-After, then 200
    session = FakeSession(
        [Answer(500), requests.Timeout("t"), Answer(429, {"Retry-After": "3"}), Answer(200)]
    )
    sleeps: list[float] = []

    # When one payload is posted
    attempts = poster(session, sleeps).post({"text": "hi"})

    # Then it took four attempts, backing off and honouring Retry-After
    assert attempts == 4
    assert sleeps == [0.5, 1.0, 3.0]
    assert session.urls == [GOOD_URL] * 4


def test_retries_run_out_with_an_error_that_hides_the_url() -> None:
    session = FakeSession([requests.ConnectionError(f"cannot reach {GOOD_URL}")] * 3)
    with pytest.raises(SlackPostError, match="after 3 attempts: ConnectionError") as error:
        poster(session, [], attempts=3).post({"text": "hi"})
    assert "XXXXXXXX" not in str(error.value)


def test_a_4xx_refusal_is_not_retried() -> None:
    session = FakeSession([Answer(404)])
    with pytest.raises(SlackPostError, match="refused"):
        poster(session, []).post({"text": "hi"})
    assert len(session.urls) == 1


def test_the_production_poster_refuses_a_loopback_url() -> None:
    session = FakeSession([Answer(200)])
    bad = SlackPoster(lambda: "http://127.0.0.1:9/services/T/B/X", session=session)  # type: ignore[arg-type]
    with pytest.raises(InvalidWebhookError):
        bad.post({"text": "hi"})
    assert session.urls == []


# -- SNS events -------------------------------------------------------------------------------


def test_notifier_posts_each_sns_message() -> None:
    session = FakeSession([Answer(200), Answer(200)])
    notifier = SlackNotifier(poster(session, []))
    event = {
        "Records": [
            {"Sns": {"Subject": "x", "Message": an_alert().to_json()}},
            {"Sns": {"Subject": "Budget", "Message": "Collection pauses."}},
        ]
    }
    assert notifier.handle(event) == {"posted": 2}
    assert session.bodies[0] == alert_payload(an_alert())


def test_a_malformed_alert_is_still_posted_as_a_notice() -> None:
    session = FakeSession([Answer(200)])
    notifier = SlackNotifier(poster(session, []))
    broken = json.dumps({"type": "hashtag-tracker.alert", "hashtag": "x"})
    notifier.handle({"Records": [{"Sns": {"Subject": "Viral", "Message": broken}}]})
    assert session.bodies[0]["blocks"][0]["text"]["text"] == "Viral"


def test_a_record_without_a_message_raises_for_the_dead_letter_queue() -> None:
    notifier = SlackNotifier(poster(FakeSession([]), []))
    with pytest.raises(MalformedEventError):
        notifier.handle({"Records": [{"EventSource": "aws:sns"}]})
    with pytest.raises(MalformedEventError):
        notifier.handle({})
