"""The API key comes from Secrets Manager or SSM SecureString, cached, and never leaks."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from hashtag_tracker.models.secret_text import secret_field
from hashtag_tracker.source.errors import ApiKeyUnavailableError, AuthError
from hashtag_tracker.storage.secrets import (
    key_from_secret_text,
    load_api_key,
    read_secret,
)

KEY = "sk-live-SECRET-123"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        parameters.clear_caches()
        yield
    parameters.clear_caches()


def test_secret_is_read_and_cached(aws: None) -> None:
    # Given a secret holding the key
    client = boto3.client("secretsmanager")
    client.create_secret(Name="scavio-key", SecretString=KEY)
    provider = parameters.SecretsProvider(boto3_client=client)
    # When read, then changed upstream and read again within max_age
    first = load_api_key("scavio-key", secrets_provider=provider, max_age=300)
    client.put_secret_value(SecretId="scavio-key", SecretString="rotated")
    second = load_api_key("scavio-key", secrets_provider=provider, max_age=300)
    # Then the cached value serves both calls
    assert first == second == KEY


def test_json_secret_with_an_api_key_field(aws: None) -> None:
    client = boto3.client("secretsmanager")
    client.create_secret(Name="k", SecretString=json.dumps({"api_key": KEY}))
    provider = parameters.SecretsProvider(boto3_client=client)
    assert load_api_key("k", secrets_provider=provider) == KEY


def test_ssm_secure_string_for_names_starting_with_slash(aws: None) -> None:
    client = boto3.client("ssm")
    client.put_parameter(Name="/tracker/api-key", Value=KEY, Type="SecureString")
    provider = parameters.SSMProvider(boto3_client=client)
    assert load_api_key("/tracker/api-key", ssm_provider=provider) == KEY


def test_a_missing_secret_is_fatal_and_names_only_the_secret(aws: None) -> None:
    client = boto3.client("secretsmanager")
    provider = parameters.SecretsProvider(boto3_client=client)
    with pytest.raises(AuthError) as caught:
        load_api_key("does-not-exist", secrets_provider=provider)
    assert isinstance(caught.value, ApiKeyUnavailableError)
    assert "does-not-exist" in str(caught.value)


def test_empty_or_fieldless_secrets_are_refused_without_echoing_them() -> None:
    with pytest.raises(ApiKeyUnavailableError):
        key_from_secret_text("   ")
    with pytest.raises(ApiKeyUnavailableError) as caught:
        key_from_secret_text(json.dumps({"token": KEY}))
    assert KEY not in str(caught.value)


class Unreadable(Exception):
    pass


def test_read_secret_names_the_secret_in_the_callers_words(aws: None) -> None:
    provider = parameters.SecretsProvider(boto3_client=boto3.client("secretsmanager"))
    with pytest.raises(Unreadable, match="no Thing secret is configured"):
        read_secret("", what="Thing", error=Unreadable)
    with pytest.raises(Unreadable, match=r"reading the Thing secret 'gone' failed \(\w+\)"):
        read_secret("gone", what="Thing", error=Unreadable, secrets_provider=provider)


def test_slash_names_go_to_secrets_manager_when_ssm_names_are_off(aws: None) -> None:
    client = boto3.client("secretsmanager")
    client.create_secret(Name="/tracker/hook", SecretString=KEY)
    provider = parameters.SecretsProvider(boto3_client=client)
    value = read_secret(
        "/tracker/hook", what="T", error=Unreadable, secrets_provider=provider, ssm_names=False
    )
    assert value == KEY


def test_a_secret_that_is_not_text_is_refused_without_echoing_it() -> None:
    class Binaryish:
        def get(self, name: str, max_age: int = 0) -> object:
            return {"api_key": KEY}

    with pytest.raises(ApiKeyUnavailableError, match="the API key secret 'k' is not text") as e:
        load_api_key("k", secrets_provider=Binaryish())  # type: ignore[arg-type]
    assert KEY not in str(e.value)


def test_secret_field_reads_plain_text_or_the_first_non_empty_json_field() -> None:
    assert secret_field("  v \n", ("a",), what="T", error=Unreadable) == "v"
    assert secret_field('{"a": " ", "b": " w "}', ("a", "b"), what="T", error=Unreadable) == "w"
    with pytest.raises(Unreadable, match="the T secret is not valid JSON"):
        secret_field("{nope", ("a",), what="T", error=Unreadable)
    with pytest.raises(Unreadable, match="the T secret has none of the fields a, b") as e:
        secret_field(json.dumps({"c": KEY}), ("a", "b"), what="T", error=Unreadable)
    assert KEY not in str(e.value)
