"""moto fixtures whose tables are made from template.yaml's own properties (no drift)."""

from __future__ import annotations

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
