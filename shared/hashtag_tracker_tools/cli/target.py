"""Where the CLI's commands act: a table name, a deployed stack's outputs, or the local stack."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

LOCAL_STATE_FILE = Path(".tracker-local") / "stack.json"
HASHTAGS_OUTPUT_KEY = "HashtagsTableName"
# The emulated stack's dummy credentials (moto accepts any): `--local` never looks for real
# ones, so it works on a machine with no AWS account and never sends a real key to loopback.
LOCAL_CREDENTIALS = {
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
    "aws_session_token": "local",
}


class TargetError(RuntimeError):
    """The CLI cannot tell which table to use; the message says what to pass."""


@dataclass(frozen=True)
class Target:
    hashtags_table: str
    endpoint_url: str | None = None
    region: str | None = None
    outputs: dict[str, str] | None = None
    # Explicit credentials (the local stack's dummy ones); None: boto3's own chain.
    credentials: dict[str, str] | None = None

    def dynamodb(self) -> DynamoDBClient:
        credentials = self.credentials or {}
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=credentials.get("aws_access_key_id"),
            aws_secret_access_key=credentials.get("aws_secret_access_key"),
            aws_session_token=credentials.get("aws_session_token"),
        )

    def output(self, key: str) -> str | None:
        """A stack output (a table's name), None when the target has no outputs or not it."""
        return (self.outputs or {}).get(key)


def outputs_from_stack(stack: str, region: str | None, endpoint_url: str | None) -> dict[str, str]:
    cfn = boto3.client("cloudformation", region_name=region, endpoint_url=endpoint_url)
    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except (ClientError, BotoCoreError) as exc:
        raise TargetError(f"cannot read stack {stack!r}: {exc}") from None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def read_local_state(path: Path = LOCAL_STATE_FILE) -> dict[str, Any]:
    if not path.exists():
        raise TargetError(
            f"no local stack found ({path} is missing); start one with `make local-stack`"
        )
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise TargetError(f"cannot read {path}: {exc}") from None
    return state


def resolve_target(
    *,
    table: str | None,
    stack: str | None,
    local: bool,
    region: str | None,
    endpoint_url: str | None,
) -> Target:
    """Pick the table: --table (or HASHTAGS_TABLE), then --stack outputs, then --local."""
    if sum(bool(x) for x in (table, stack, local)) > 1:
        raise TargetError("use only one of --table, --stack and --local")
    if local:
        state = read_local_state()
        outputs = {str(k): str(v) for k, v in state.get("outputs", {}).items()}
        if HASHTAGS_OUTPUT_KEY not in outputs:
            raise TargetError(f"the local stack state has no {HASHTAGS_OUTPUT_KEY} output")
        return Target(
            hashtags_table=outputs[HASHTAGS_OUTPUT_KEY],
            endpoint_url=str(state["endpoint_url"]),
            region=str(state.get("region", "us-east-1")),
            outputs=outputs,
            credentials=dict(LOCAL_CREDENTIALS),
        )
    if stack:
        outputs = outputs_from_stack(stack, region, endpoint_url)
        if HASHTAGS_OUTPUT_KEY not in outputs:
            raise TargetError(f"stack {stack!r} has no {HASHTAGS_OUTPUT_KEY} output")
        return Target(outputs[HASHTAGS_OUTPUT_KEY], endpoint_url, region, outputs)
    table = table or os.environ.get("HASHTAGS_TABLE")
    if not table:
        raise TargetError("say which table: --table NAME, --stack STACK_NAME or --local")
    return Target(table, endpoint_url, region)
