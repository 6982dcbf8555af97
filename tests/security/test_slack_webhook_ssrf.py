"""The Slack webhook URL cannot send the notifier, or its request, anywhere but Slack (SSRF).

tests/unit/notify/test_slack.py covers http, loopback IP literals, a lookalike suffix host,
user info before the host, port 8443, queries and path traversal; these are the cases it
does not: Slack's host used as user info in front of another host, cloud metadata and
encoded IP literals, a trailing-dot host, other schemes, parser-confusion characters and
other Slack hosts. Whatever the URL, a refused one is never requested.
"""

from __future__ import annotations

import pytest

from hashtag_tracker.notify.slack import (
    InvalidWebhookError,
    SlackPoster,
    validate_webhook_url,
)

SECRET_PATH = "/services/T0SECRET/B0SECRET/xyzSECRET"

SSRF_TARGETS = [
    # Slack's host as user info: the request would go to evil.example
    f"https://hooks.slack.com@evil.example{SECRET_PATH}",
    f"https://hooks.slack.com:@evil.example{SECRET_PATH}",
    f"https://user:pass@hooks.slack.com{SECRET_PATH}",
    # Lookalikes and other hosts
    f"https://hooks.slack.com.evil.example:443{SECRET_PATH}",
    f"https://hooks.slack.com.{SECRET_PATH}",
    f"https://hooks.slack.com%2eevil.example{SECRET_PATH}",
    f"https://api.slack.com{SECRET_PATH}",
    f"https://slack.com{SECRET_PATH}",
    # IP literals: instance metadata, private ranges, encoded loopback
    f"https://169.254.169.254{SECRET_PATH}",
    f"https://10.0.0.1{SECRET_PATH}",
    f"https://2130706433{SECRET_PATH}",
    f"https://0x7f000001{SECRET_PATH}",
    f"https://[::ffff:169.254.169.254]{SECRET_PATH}",
    f"https://[fd00:ec2::254]{SECRET_PATH}",
    # Other ports, even the default one written out
    f"https://hooks.slack.com:443{SECRET_PATH}",
    f"https://hooks.slack.com:80{SECRET_PATH}",
    # Other schemes
    "file:///etc/passwd",
    f"ftp://hooks.slack.com{SECRET_PATH}",
    f"gopher://hooks.slack.com{SECRET_PATH}",
    f"//hooks.slack.com{SECRET_PATH}",
    f"https:/hooks.slack.com{SECRET_PATH}",
    # Characters that parsers disagree about
    f"https://evil.example\\@hooks.slack.com{SECRET_PATH}",
    f"https://hooks.slack.com\\@evil.example{SECRET_PATH}",
    f"https://hooks.slack.com#@evil.example{SECRET_PATH}",
    f"https://hooks.slack.com?@evil.example{SECRET_PATH}",
    f"https://hooks.slack.com\t.evil.example{SECRET_PATH}",
    f"https://hooks.sl\u0430ck.com{SECRET_PATH}",  # a Cyrillic a (homoglyph)
    f"https://hooks.slack.com//evil.example{SECRET_PATH}",
    f"https://hooks.slack.com{SECRET_PATH}@evil.example",
    f"https://hooks.slack.com{SECRET_PATH}/..%2f..%2fapi",
]

# Malformed bracketed hosts make urllib.parse raise a plain ValueError; the validator turns
# that into its own InvalidWebhookError, so the notifier logs and counts it like any other.
MALFORMED_HOSTS = [
    f"https://[evil.example]{SECRET_PATH}",
    f"https://hooks.slack.com]{SECRET_PATH}",
    "https://[::1",
]


class RecordingSession:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def post(self, url: str, **kwargs: object) -> object:
        self.urls.append(url)
        raise AssertionError("a refused webhook URL must never be requested")


@pytest.mark.parametrize("url", SSRF_TARGETS)
def test_ssrf_targets_are_refused_without_revealing_the_path(url: str) -> None:
    # Given a webhook secret that points somewhere other than Slack's webhook host
    # When it is validated
    with pytest.raises(InvalidWebhookError) as error:
        validate_webhook_url(url)

    # Then it is refused, and the error does not carry the secret part of the path
    assert "SECRET" not in str(error.value)


@pytest.mark.parametrize("url", SSRF_TARGETS + MALFORMED_HOSTS)
def test_the_poster_never_requests_a_refused_url(url: str) -> None:
    # Given a poster whose secret holds a non-Slack URL
    session = RecordingSession()
    poster = SlackPoster(lambda: url, session=session, attempts=1)  # type: ignore[arg-type]

    # When it posts, Then it raises before any request is made
    with pytest.raises(ValueError):
        poster.post({"text": "hi"})
    assert session.urls == []


@pytest.mark.parametrize("url", MALFORMED_HOSTS)
def test_malformed_hosts_are_refused_as_invalid_webhooks(url: str) -> None:
    # Given a webhook secret whose host part does not parse
    # When it is validated, Then it is refused as an invalid webhook like any other
    with pytest.raises(InvalidWebhookError):
        validate_webhook_url(url)
