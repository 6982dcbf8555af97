"""Read the data-API key from Secrets Manager, or SSM SecureString for names starting with "/".

Read through Powertools parameters, cached for `max_age` seconds, so a warm Lambda does
not pay a lookup per call. The key is never logged or put in a message.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import BotoCoreError, ClientError

from hashtag_tracker.source.errors import ApiKeyUnavailableError

DEFAULT_MAX_AGE_SECONDS = 300
# Field names accepted when the secret is stored as JSON (the console's key/value form).
_JSON_FIELDS = ("api_key", "apiKey", "key", "SCAVIO_API_KEY")


def key_from_secret_text(text: str) -> str:
    """The key itself, from a plain string or a JSON object holding it under a known field."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            raise ApiKeyUnavailableError("the API key secret is not valid JSON") from None
        values = [document.get(name) for name in _JSON_FIELDS if isinstance(document, dict)]
        found = [value.strip() for value in values if isinstance(value, str) and value.strip()]
        if not found:
            raise ApiKeyUnavailableError(
                f"the API key secret has none of the fields {', '.join(_JSON_FIELDS)}"
            )
        return found[0]
    if not stripped:
        raise ApiKeyUnavailableError("the API key secret is empty")
    return stripped


def load_api_key(
    name: str,
    *,
    max_age: int = DEFAULT_MAX_AGE_SECONDS,
    secrets_provider: parameters.SecretsProvider | None = None,
    ssm_provider: parameters.SSMProvider | None = None,
) -> str:
    """The API key stored under `name`; raises ApiKeyUnavailableError (an AuthError)."""
    if not name:
        raise ApiKeyUnavailableError("no API key secret is configured")
    try:
        value: Any
        if name.startswith("/"):
            if ssm_provider is not None:
                value = ssm_provider.get(name, max_age=max_age, decrypt=True)
            else:
                value = parameters.get_parameter(name, max_age=max_age, decrypt=True)
        elif secrets_provider is not None:
            value = secrets_provider.get(name, max_age=max_age)
        else:
            value = parameters.get_secret(name, max_age=max_age)
    except (parameters.exceptions.GetParameterError, ClientError, BotoCoreError) as exc:
        # Name the secret and the failure kind only: AWS messages never hold the value,
        # but keep them out anyway in case a provider ever echoes one.
        raise ApiKeyUnavailableError(
            f"reading the API key secret {name!r} failed ({type(exc).__name__})"
        ) from None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="strict")
    if not isinstance(value, str):
        raise ApiKeyUnavailableError(f"the API key secret {name!r} is not text")
    return key_from_secret_text(value)
