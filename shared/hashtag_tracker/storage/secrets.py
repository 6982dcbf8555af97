"""Read secrets (the data-API key, the Slack webhook URL) from Secrets Manager, or SSM
SecureString for names starting with "/".

Read through Powertools parameters, cached for `max_age` seconds, so a warm Lambda does
not pay a lookup per call. A secret's value is never logged or put in a message: errors
name the secret and the failure kind only.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import BotoCoreError, ClientError

from hashtag_tracker.models.secret_text import secret_field
from hashtag_tracker.source.errors import ApiKeyUnavailableError

DEFAULT_MAX_AGE_SECONDS = 300
# Field names accepted when the secret is stored as JSON (the console's key/value form).
_JSON_FIELDS = ("api_key", "apiKey", "key", "SCAVIO_API_KEY")


def read_secret(
    name: str,
    *,
    what: str,
    error: type[Exception],
    max_age: int = DEFAULT_MAX_AGE_SECONDS,
    secrets_provider: parameters.SecretsProvider | None = None,
    ssm_provider: parameters.SSMProvider | None = None,
    ssm_names: bool = True,
) -> str:
    """The text stored under `name`, cached `max_age` s; failures raise `error`.

    `what` names the secret in messages ("API key" -> "the API key secret 'x' ...").
    With `ssm_names`, a name starting with "/" is an SSM SecureString parameter; otherwise
    every name is a Secrets Manager secret.
    """
    if not name:
        raise error(f"no {what} secret is configured")
    try:
        value: Any
        if ssm_names and name.startswith("/"):
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
        raise error(f"reading the {what} secret {name!r} failed ({type(exc).__name__})") from None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="strict")
    if not isinstance(value, str):
        raise error(f"the {what} secret {name!r} is not text")
    return value


def key_from_secret_text(text: str) -> str:
    """The key itself, from a plain string or a JSON object holding it under a known field."""
    key = secret_field(text, _JSON_FIELDS, what="API key", error=ApiKeyUnavailableError)
    if not key:
        raise ApiKeyUnavailableError("the API key secret is empty")
    return key


def load_api_key(
    name: str,
    *,
    max_age: int = DEFAULT_MAX_AGE_SECONDS,
    secrets_provider: parameters.SecretsProvider | None = None,
    ssm_provider: parameters.SSMProvider | None = None,
) -> str:
    """The API key stored under `name`; raises ApiKeyUnavailableError (an AuthError)."""
    text = read_secret(
        name,
        what="API key",
        error=ApiKeyUnavailableError,
        max_age=max_age,
        secrets_provider=secrets_provider,
        ssm_provider=ssm_provider,
    )
    return key_from_secret_text(text)
