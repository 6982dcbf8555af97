"""moto fixtures whose tables are made from template.yaml's own properties (no drift)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from samtranslator.yaml_helper import yaml_parse

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
TABLE_KEYS = (
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
)


def template_tables() -> dict[str, dict[str, Any]]:
    """Logical id -> Properties of every DynamoDB table in template.yaml."""
    template = yaml_parse(TEMPLATE.read_text())
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """One AWS request at a time, as DynamoDB decides each conditional write atomically.

    moto's in-process mock checks a condition and then writes with no lock between, so two
    threads can both pass one check; real DynamoDB never lets them. Requests from many
    threads still interleave freely, which is what concurrency tests must exercise.
    """
    from botocore.client import BaseClient

    lock = threading.Lock()
    real = BaseClient._make_api_call

    def one_at_a_time(self: BaseClient, operation: str, params: Any) -> Any:
        with lock:
            return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", one_at_a_time)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def tables(aws: None) -> dict[str, str]:
    """Create every table of the template in moto; logical id -> table name."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    names: dict[str, str] = {}
    for logical_id, props in template_tables().items():
        kwargs = {k: props[k] for k in TABLE_KEYS if k in props}
        client.create_table(TableName=logical_id, **kwargs)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(
                TableName=logical_id,
                TimeToLiveSpecification={
                    "AttributeName": ttl["AttributeName"],
                    "Enabled": bool(ttl["Enabled"]),
                },
            )
        names[logical_id] = logical_id
    return names
