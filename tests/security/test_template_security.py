"""template.yaml keeps its security properties: a regression here fails CI, not an audit.

Encryption of every table, queue, topic and bucket; point-in-time recovery; the bucket's
public access block and TLS-only policy; IAM scoped to the stack's own resources (checked on
the template as the SAM transform expands it, so the roles SAM generates are covered too);
every checkov suppression justified in place; and, when its virtualenv exists, checkov
itself (`make checkov` creates it).
"""

from __future__ import annotations

import ast
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


# -- granted == used: every role may do what its code does, and nothing else ----------------

STORAGE = ROOT / "shared" / "hashtag_tracker" / "storage"
# The DynamoDB adapters: class -> (its module under storage/, the table every wiring gives it).
DYNAMO_ADAPTERS = {
    "DynamoHashtagStore": ("hashtags.py", "HashtagsTable"),
    "DynamoSnapshotStore": ("snapshots.py", "SnapshotsTable"),
    "DynamoVideoLedger": ("videos.py", "VideosTable"),
    "DynamoStateStore": ("state.py", "StateTable"),
    "DynamoAlertStore": ("alerts.py", "StateTable"),
    "DynamoPlanStore": ("plan.py", "StateTable"),
}
# storage/dynamo.py's helpers that make a client call for the adapter passing its client.
MODULE_HELPERS = {"batch_put": "batch_write_item"}
# boto3 client method -> the IAM action it needs. TransactWriteItems has no action of its own:
# each item needs the action of its kind (TRANSACT_ACTIONS).
CLIENT_ACTIONS = {
    "get_item": "dynamodb:GetItem",
    "put_item": "dynamodb:PutItem",
    "update_item": "dynamodb:UpdateItem",
    "delete_item": "dynamodb:DeleteItem",
    "query": "dynamodb:Query",
    "scan": "dynamodb:Scan",
    "batch_get_item": "dynamodb:BatchGetItem",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "describe_table": "dynamodb:DescribeTable",
}
TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}

# Which adapter methods each function's code path calls (its wiring/ factory picks the
# adapters; its logic room calls these methods on them). Each name is checked to be called
# in the listed modules; what each method does to DynamoDB is read from storage/'s code.
CODE_PATHS: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    "SchedulerFunctionRole": (
        ["collection/scheduler.py", "wiring/scheduler.py", "collection/notices.py"],
        {
            "DynamoHashtagStore": ["scan"],
            "DynamoStateStore": [
                "claim_cycle",
                "finish_cycle",
                "release_cycle",
                "mark_once",
                "unmark",
            ],
            "DynamoPlanStore": ["read_all", "in_flight", "mark_in_flight", "tick_figures"],
        },
    ),
    "WorkerRole": (
        [
            "collection/handler.py",
            "collection/worker.py",
            "collection/batch.py",
            "collection/pacing.py",
            "collection/notices.py",
            "notify/dispatcher.py",
        ],
        {
            "DynamoHashtagStore": ["current_items", "mark_status"],
            "DynamoSnapshotStore": ["put", "between"],
            "DynamoVideoLedger": ["upsert"],
            "DynamoStateStore": [
                "reserve_slot",
                "reserve_credits",
                "settle_credits",
                "carry_credits",
                "carried_credits",
                "claim_fetch",
                "claim_fetches",
                "release_fetch",
                "mark_once",
                "unmark",
            ],
            "DynamoAlertStore": ["claim", "confirm", "release"],
            "DynamoPlanStore": ["put_entries", "save_header_limit"],
        },
    ),
    "ReportFunctionRole": (
        ["report/run.py", "report/digest_run.py", "storage/report_sources.py"],
        {
            "DynamoHashtagStore": ["scan"],
            "DynamoSnapshotStore": ["between"],
            "DynamoVideoLedger": ["first_seen_since", "totals"],
            "DynamoStateStore": [
                "balance",
                "claim_report_day",
                "mark_report_summary",
                "unmark_report_summary",
            ],
        },
    ),
    "SlackNotifierFunctionRole": (["notify/slack.py"], {}),
}
KMS_FOR_THE_TOPIC = {("AlertKey", "kms:Decrypt"), ("AlertKey", "kms:GenerateDataKey*")}
# What the functions use besides DynamoDB, by (resource, action): queues (the SQS event
# source's polling, sends; SendMessageBatch is sqs:SendMessage), the encrypted topic, the
# bucket, the secrets (an API key named "/..." is an SSM parameter), and the dead-letter
# queue Lambda writes a failed asynchronous event to.
OTHER_USES: dict[str, set[tuple[str, str]]] = {
    "SchedulerFunctionRole": {
        ("FetchQueue", "sqs:SendMessage"),
        ("FetchQueue", "sqs:GetQueueAttributes"),
        ("ScheduledDLQ", "sqs:SendMessage"),
        ("AlertTopic", "sns:Publish"),
        *KMS_FOR_THE_TOPIC,
    },
    "WorkerRole": {
        ("FetchQueue", "sqs:ReceiveMessage"),
        ("FetchQueue", "sqs:DeleteMessage"),
        ("FetchQueue", "sqs:GetQueueAttributes"),
        ("FetchQueue", "sqs:SendMessage"),
        ("AlertTopic", "sns:Publish"),
        *KMS_FOR_THE_TOPIC,
        ("ApiKeySecretName-??????", "secretsmanager:GetSecretValue"),
        ("ApiKeySecretName", "ssm:GetParameter"),
    },
    "ReportFunctionRole": {
        ("ScheduledDLQ", "sqs:SendMessage"),
        ("ReportsBucket/reports/*", "s3:PutObject"),
        ("ReportsBucket/reports/*", "s3:GetObject"),  # the presigned link
        ("AlertTopic", "sns:Publish"),
        *KMS_FOR_THE_TOPIC,
    },
    "SlackNotifierFunctionRole": {
        ("SlackDLQ", "sqs:SendMessage"),
        ("SlackWebhookSecretName-??????", "secretsmanager:GetSecretValue"),
    },
}


def _module_constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }


def _is_self_attr(node: ast.AST, name: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == name
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


def dynamo_actions(adapter: str) -> dict[str, set[tuple[str, str]]]:
    """Method -> the (resource suffix, IAM action) pairs it needs, read from the adapter's
    code: its boto3 client calls, its transactions' item kinds, an IndexName (the index's
    ARN), through the helper methods it calls on itself."""
    module, _ = DYNAMO_ADAPTERS[adapter]
    tree = ast.parse((STORAGE / module).read_text(encoding="utf-8"))
    constants = _module_constants(tree)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == adapter]
    direct: dict[str, set[str]] = {}
    kinds: dict[str, set[str]] = {}
    helpers: dict[str, set[str]] = {}
    index: dict[str, str] = {}
    for method in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
        ops, found, calls = set(), set(), set()
        for node in ast.walk(method):
            if isinstance(node, ast.Dict):
                found |= {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and _is_self_attr(func.value, "_client"):
                op = func.attr
                if op == "get_paginator":
                    arg = node.args[0]
                    assert isinstance(arg, ast.Constant), (adapter, method.name)
                    op = str(arg.value)
                ops.add(op)
            elif isinstance(func, ast.Name) and func.id in MODULE_HELPERS:
                ops.add(MODULE_HELPERS[func.id])
            elif _is_self_attr(func, getattr(func, "attr", "")):
                calls.add(getattr(func, "attr", ""))
            for keyword in node.keywords:
                if keyword.arg == "IndexName":
                    value = keyword.value
                    name = value.id if isinstance(value, ast.Name) else None
                    index[method.name] = (
                        constants[name] if name else str(getattr(value, "value", "?"))
                    )
        direct[method.name] = ops
        kinds[method.name] = found & set(TRANSACT_ACTIONS)
        helpers[method.name] = calls

    def closure(name: str, seen: set[str]) -> set[str]:
        seen.add(name)
        for helper in helpers.get(name, set()) & set(direct):
            if helper not in seen:
                closure(helper, seen)
        return seen

    actions: dict[str, set[tuple[str, str]]] = {}
    for name in direct:
        reach = closure(name, set())
        ops = set().union(*(direct[m] for m in reach))
        unknown = ops - set(CLIENT_ACTIONS) - {"transact_write_items"}
        assert not unknown, (adapter, name, unknown)
        suffix = next((f"/index/{index[m]}" for m in reach if m in index), "")
        pairs = {(suffix if op == "query" else "", CLIENT_ACTIONS[op]) for op in ops - {
            "transact_write_items"}}  # fmt: skip
        if "transact_write_items" in ops:
            kinds_used = set().union(*(kinds[m] for m in reach))
            assert kinds_used, (adapter, name, "a transaction of no known item kind")
            pairs |= {("", TRANSACT_ACTIONS[k]) for k in kinds_used}
        actions[name] = pairs
    return actions


def canonical(resource: Any) -> str:
    """A statement's resource as the logical id (or parameter) it names plus any path after
    it: GetAtt X.Arn -> X; Sub "${X.Arn}/index/Y" -> X/index/Y; a SAM policy template's
    "...:table/${tableName}" with tableName = Ref X -> X."""
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        inner = resource["Fn::Sub"]
        text, variables = (inner, {}) if isinstance(inner, str) else inner
        last = None
        for match in re.finditer(r"\$\{([^}!]+)\}", text):
            name = match.group(1)
            if name in PSEUDO_PARAMETERS:
                continue
            last = match
        assert last is not None, resource
        name = last.group(1)
        named = references(variables[name]) if name in variables else {name.split(".")[0]}
        base = next(iter(named))
        return base + text[last.end() :]
    names = references(resource)
    assert len(names) == 1, resource
    return names.pop()


def used_by(role: str) -> set[tuple[str, str]]:
    """What the role's function does, from its code path."""
    modules, adapters = CODE_PATHS[role]
    code = "\n".join(
        (ROOT / "shared" / "hashtag_tracker" / m).read_text(encoding="utf-8") for m in modules
    )
    used = set(OTHER_USES[role])
    for adapter, methods in adapters.items():
        table = DYNAMO_ADAPTERS[adapter][1]
        per_method = dynamo_actions(adapter)
        for method in methods:
            assert method in per_method, (adapter, method, "no such method")
            assert re.search(rf"\.{method}\(", code), (role, method, "not called on its path")
            used |= {(table + suffix, action) for suffix, action in per_method[method]}
    return used


def granted_to(expanded: dict[str, Any], role: str) -> set[tuple[str, str]]:
    return {
        (canonical(resource), action)
        for name, statement in iam_statements(expanded)
        if name == role and statement.get("Effect") == "Allow"
        for action in listed(statement["Action"])
        for resource in listed(statement["Resource"])
    }


def test_every_role_is_covered_by_the_code_path_table(expanded: dict[str, Any]) -> None:
    roles = set(of_type(expanded, "AWS::IAM::Role"))
    assert roles == set(CODE_PATHS) == set(OTHER_USES)


@pytest.mark.parametrize("role", sorted(CODE_PATHS))
def test_each_role_is_granted_exactly_what_its_code_uses(
    expanded: dict[str, Any], role: str
) -> None:
    # Given what the function's code path does (its adapters' boto3 calls, read from code)
    used = used_by(role)
    # When the role's statements are read as the SAM transform deploys them
    granted = granted_to(expanded, role)
    # Then nothing it needs is missing, and nothing it never does is granted
    assert not used - granted, ("missing", sorted(used - granted))
    assert not granted - used, ("granted, never used", sorted(granted - used))


def test_the_report_writes_only_its_own_records_in_the_state_table(
    expanded: dict[str, Any],
) -> None:
    from hashtag_tracker.storage.state import REPORT_PK

    writes = [
        statement
        for name, statement in iam_statements(expanded)
        if name == "ReportFunctionRole"
        and canonical(statement["Resource"]) == "StateTable"
        and {"dynamodb:PutItem", "dynamodb:DeleteItem"} & set(listed(statement["Action"]))
    ]
    assert writes
    for statement in writes:
        condition = statement["Condition"]["ForAllValues:StringEquals"]
        assert listed(condition["dynamodb:LeadingKeys"]) == [REPORT_PK]
