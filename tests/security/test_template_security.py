"""template.yaml keeps its security properties: a regression here fails CI, not an audit.

Encryption of every table, queue, topic and bucket; point-in-time recovery; the bucket's
public access block and TLS-only policy; IAM scoped to the stack's own resources (checked on
the template as the SAM transform expands it, so the roles SAM generates are covered too);
every checkov suppression justified in place; and, when its virtualenv exists, checkov
itself (`make checkov` creates it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from hashtag_tracker_tools.local.stack import expand_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
IAM_TYPES = ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
PSEUDO_PARAMETERS = {"AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix"}

# Managed policies a role may carry, and why their "*" resources are acceptable.
ALLOWED_MANAGED_POLICIES = {
    "service-role/AWSLambdaBasicExecutionRole": (
        "logs:CreateLogGroup/CreateLogStream/PutLogEvents only; a function's log group is "
        "named after the function, so scoping it in the function's own role is a cycle"
    ),
}
# (resource type, Sid) of policy statements allowed to name Resource "*", and why.
ALLOWED_WILDCARD_STATEMENTS = {
    ("AWS::KMS::Key", "AccountAdministers"): "in a key policy, * is the key itself",
    ("AWS::KMS::Key", "AlarmsPublish"): "in a key policy, * is the key itself",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    return parsed


@pytest.fixture(scope="module")
def expanded() -> dict[str, Any]:
    """The template after the SAM transform, with every optional resource switched on."""
    return expand_template(
        TEMPLATE.read_text(encoding="utf-8"),
        {"SlackWebhookSecretName": "hashtag-tracker/slack-webhook", "AlertEmail": "a@b.example"},
    )


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }
    assert found, f"the template has no {kind}"
    return found


def references(value: Any) -> set[str]:
    """Logical ids and parameters a value refers to (Ref, GetAtt, Sub), pseudo ones left out."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                parts = inner if isinstance(inner, list) else str(inner).split(".")
                found.add(str(parts[0]))
            elif key == "Fn::Sub":
                text, variables = (inner, {}) if isinstance(inner, str) else inner
                names = {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                found |= names - set(variables)
                found |= references(variables)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found - PSEUDO_PARAMETERS


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every statement of a policy document; both branches of a conditional one."""
    for statement in listed(document.get("Statement", [])):
        if isinstance(statement, dict) and "Fn::If" in statement:
            yield from (branch for branch in statement["Fn::If"][1:] if isinstance(branch, dict))
        else:
            yield statement


def iam_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in template["Resources"].items():
        if resource["Type"] not in IAM_TYPES:
            continue
        props = resource["Properties"]
        documents = [policy["PolicyDocument"] for policy in props.get("Policies", [])]
        if "PolicyDocument" in props:
            documents.append(props["PolicyDocument"])
        for document in documents:
            for statement in statements(document):
                yield name, statement


# -- data at rest ---------------------------------------------------------------------------


def test_every_table_has_point_in_time_recovery_and_encryption(template: dict[str, Any]) -> None:
    # Given every DynamoDB table of the template
    tables = of_type(template, "AWS::DynamoDB::Table")

    # Then each keeps point-in-time recovery on and is encrypted at rest with KMS
    for name, table in tables.items():
        props = table["Properties"]
        pitr = props.get("PointInTimeRecoverySpecification", {})
        assert pitr.get("PointInTimeRecoveryEnabled") is True, name
        assert props.get("SSESpecification", {}).get("SSEEnabled") is True, name
        # And a table the stack deletes would take its history with it
        assert table.get("DeletionPolicy") == "Retain", name


def test_every_queue_is_encrypted(template: dict[str, Any]) -> None:
    # Given every SQS queue: the fetch queue and each dead-letter queue
    queues = of_type(template, "AWS::SQS::Queue")
    assert {"FetchQueue", "FetchDLQ"} <= set(queues)

    # Then each is encrypted with SSE-SQS or a KMS key
    for name, queue in queues.items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), name


def test_the_alert_topic_is_encrypted_with_a_key_the_alarms_may_use(
    template: dict[str, Any],
) -> None:
    # Given the topics, the KMS keys and the alarms that publish to the topics
    topics = of_type(template, "AWS::SNS::Topic")
    keys = of_type(template, "AWS::KMS::Key")
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    alarm_targets = {
        target
        for alarm in alarms.values()
        for action in ("AlarmActions", "OKActions")
        for target in references(alarm["Properties"].get(action, []))
    }

    for name, topic in topics.items():
        # Then each topic is encrypted with one of the stack's own keys (the AWS-managed SNS
        # key would refuse CloudWatch alarms), which rotates
        key_ids = references(topic["Properties"].get("KmsMasterKeyId"))
        assert len(key_ids) == 1 and key_ids <= set(keys), (name, key_ids)
        key = keys[key_ids.pop()]["Properties"]
        assert key.get("EnableKeyRotation") is True, name
        if name not in alarm_targets:
            continue
        # And when alarms publish to it, the key policy lets CloudWatch use the key
        granted = {
            action
            for statement in statements(key["KeyPolicy"])
            if statement["Effect"] == "Allow"
            and statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
            for action in listed(statement["Action"])
        }
        assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= granted, name


def test_every_bucket_blocks_public_access_and_is_encrypted(template: dict[str, Any]) -> None:
    # Given every S3 bucket of the template
    for name, bucket in of_type(template, "AWS::S3::Bucket").items():
        props = bucket["Properties"]

        # Then all four public-access blocks are on and ACLs are disabled
        block = props.get("PublicAccessBlockConfiguration", {})
        for setting in (
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ):
            assert block.get(setting) is True, (name, setting)
        rules = props.get("OwnershipControls", {}).get("Rules", [])
        assert [r.get("ObjectOwnership") for r in rules] == ["BucketOwnerEnforced"], name

        # And objects are encrypted by default
        encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        algorithms = {rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in encryption}
        assert algorithms and algorithms <= {"AES256", "aws:kms", "aws:kms:dsse"}, name


def _denies_insecure_transport(document: dict[str, Any], actions: set[str]) -> list[Any]:
    """The resources a policy denies to every principal when aws:SecureTransport is false."""
    denied: list[Any] = []
    for statement in statements(document):
        condition = statement.get("Condition", {}).get("Bool", {})
        if (
            statement["Effect"] == "Deny"
            and statement.get("Principal") in ("*", {"AWS": "*"})
            and set(listed(statement["Action"])) & actions
            and str(condition.get("aws:SecureTransport")).lower() == "false"
        ):
            denied += listed(statement["Resource"])
    return denied


def test_every_bucket_denies_requests_without_tls(template: dict[str, Any]) -> None:
    # Given every bucket and the bucket policies of the template
    policies = of_type(template, "AWS::S3::BucketPolicy").values()

    for name in of_type(template, "AWS::S3::Bucket"):
        # When the policy of this bucket is found
        mine = [
            p["Properties"] for p in policies if references(p["Properties"]["Bucket"]) == {name}
        ]
        assert len(mine) == 1, name

        # Then it denies every S3 action without TLS, on the bucket and on its objects
        denied = _denies_insecure_transport(mine[0]["PolicyDocument"], {"s3:*"})
        assert {"Fn::GetAtt": [name, "Arn"]} in denied, denied
        assert {"Fn::Sub": f"${{{name}.Arn}}/*"} in denied, denied


def test_the_topic_refuses_publishing_without_tls(template: dict[str, Any]) -> None:
    # Given the topic policies
    for name in of_type(template, "AWS::SNS::Topic"):
        documents = [
            p["Properties"]["PolicyDocument"]
            for p in of_type(template, "AWS::SNS::TopicPolicy").values()
            if name in references(p["Properties"]["Topics"])
        ]
        # Then one denies sns:Publish over plain HTTP
        assert any(_denies_insecure_transport(d, {"sns:Publish"}) for d in documents), name


# -- IAM --------------------------------------------------------------------------------------


def test_no_identity_policy_grants_every_resource_or_every_action(
    expanded: dict[str, Any],
) -> None:
    # Given every statement of every role and policy, SAM's generated roles included
    found = list(iam_statements(expanded))
    assert len({name for name, _ in found}) >= 4

    for name, statement in found:
        if statement["Effect"] != "Allow":
            continue
        # Then no action is a service-wide wildcard
        for action in listed(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), (name, action)
        # And every resource is one of the stack's own resources (or the secret its
        # parameter names), never "*"
        for resource in listed(statement["Resource"]):
            assert resource != "*", (name, statement)
            assert references(resource), (name, resource)


def test_roles_carry_only_the_allowed_managed_policies(expanded: dict[str, Any]) -> None:
    # Given every role, SAM's generated ones included
    for name, role in of_type(expanded, "AWS::IAM::Role").items():
        arns = role["Properties"].get("ManagedPolicyArns", [])

        # Then each managed policy is on the allow-list (no AWSLambdaSQSQueueExecutionRole,
        # which could read and delete the messages of every queue in the account)
        for arn in arns:
            text = arn["Fn::Sub"] if isinstance(arn, dict) else arn
            allowed = (text.endswith(f":policy/{name}") for name in ALLOWED_MANAGED_POLICIES)
            assert any(allowed), (name, arn)


def test_resource_policies_open_nothing_to_everyone(expanded: dict[str, Any]) -> None:
    # Given the key, topic and bucket policies
    documents = [
        (kind, name, resource["Properties"][field])
        for kind, field in (
            ("AWS::KMS::Key", "KeyPolicy"),
            ("AWS::SNS::TopicPolicy", "PolicyDocument"),
            ("AWS::S3::BucketPolicy", "PolicyDocument"),
        )
        for name, resource in of_type(expanded, kind).items()
    ]
    for kind, name, document in documents:
        for statement in statements(document):
            if statement["Effect"] != "Allow":
                continue
            # Then nothing is allowed to an anonymous or wildcard principal
            principal = statement["Principal"]
            assert principal not in ("*", {"AWS": "*"}), (name, statement)
            # And a service principal is held to this account
            if "Service" in principal:
                condition = statement.get("Condition", {}).get("StringEquals", {})
                assert condition.get("aws:SourceAccount") == {"Ref": "AWS::AccountId"}, name
            # And "*" resources appear only where the allow-list explains them
            if "*" in listed(statement["Resource"]):
                assert (kind, statement.get("Sid")) in ALLOWED_WILDCARD_STATEMENTS, (
                    name,
                    statement,
                )


def test_secrets_are_granted_by_their_exact_name(expanded: dict[str, Any]) -> None:
    # Given the statements that read a secret from Secrets Manager
    secret_resources = [
        json.dumps(resource)
        for _, statement in iam_statements(expanded)
        if "secretsmanager:GetSecretValue" in listed(statement["Action"])
        for resource in listed(statement["Resource"])
    ]
    assert len(secret_resources) >= 2

    # Then each names one secret plus the six random characters AWS appends, no prefix match
    for resource in secret_resources:
        assert resource.endswith('-??????"}'), resource


# -- dead letters and suppressions -----------------------------------------------------------


def test_every_function_keeps_the_events_it_fails(template: dict[str, Any]) -> None:
    # Given every function, by how it is invoked
    queues = of_type(template, "AWS::SQS::Queue")
    for name, function in of_type(template, "AWS::Serverless::Function").items():
        events = function["Properties"].get("Events", {}).values()
        for event in events:
            if event["Type"] == "SQS":
                # Then an SQS-triggered one dead-letters through its queue's redrive policy
                (queue,) = references(event["Properties"]["Queue"])
                redrive = queues[queue]["Properties"].get("RedrivePolicy", {})
                assert references(redrive.get("deadLetterTargetArn")) <= set(queues), name
                assert redrive.get("deadLetterTargetArn"), name
            else:
                # And one invoked asynchronously (schedule, topic) has its own dead-letter queue
                target = function["Properties"].get("DeadLetterQueue", {}).get("TargetArn")
                assert references(target) <= set(queues) and target, (name, event["Type"])


def test_every_checkov_suppression_says_why(template: dict[str, Any]) -> None:
    # Given every checkov suppression in the template
    skips = [
        (name, skip)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips

    # Then each names one check and gives a reason a reviewer can weigh
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "").split()) >= 8, (name, skip)


@pytest.mark.skipif(not CHECKOV.exists(), reason="no .venv-checkov; `make checkov` creates it")
def test_checkov_finds_nothing_unsuppressed() -> None:
    # When checkov scans the template offline
    result = subprocess.run(
        [
            str(CHECKOV),
            "--file",
            str(TEMPLATE),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
        cwd=ROOT,
    )

    # Then every check passed or is suppressed in place
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [c["check_id"] + " " + c["resource"] for c in report["results"]["failed_checks"]]
    assert summary["failed"] == 0, failed
    assert summary["passed"] > 0
    assert result.returncode == 0, result.stderr[-2000:]


# -- least privilege still lets the code run (moto enforces no IAM, so this is the guard) ----

# What each function's code does to the State table (storage/state.py), as IAM actions.
STATE_TABLE_ACTIONS = {
    # claim_cycle / finish_cycle (UpdateItem), release_cycle after a failed fan-out (DeleteItem)
    "SchedulerFunctionRole": {"dynamodb:UpdateItem", "dynamodb:DeleteItem"},
    # slots, credits (UpdateItem), claims and once-marks (PutItem), releases (DeleteItem)
    "WorkerRole": {"dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"},
}


@pytest.mark.parametrize("role", sorted(STATE_TABLE_ACTIONS))
def test_each_role_may_do_what_its_code_does_to_the_state_table(
    expanded: dict[str, Any], role: str
) -> None:
    # Given the role as deployed (after the SAM transform)
    granted: set[str] = set()
    for name, statement in iam_statements(expanded):
        allows = name == role and statement.get("Effect") == "Allow"
        if allows and "StateTable" in references(statement.get("Resource")):
            granted |= set(listed(statement.get("Action")))
    # Then every action its code calls on the State table is allowed
    assert STATE_TABLE_ACTIONS[role] <= granted, STATE_TABLE_ACTIONS[role] - granted
