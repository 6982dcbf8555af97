"""The emulated AWS stack: template.yaml expanded by the SAM translator, created in moto server.

moto builds the real resources of the template (tables, queues with their redrive policy,
topic, bucket, functions, event-source mappings) on 127.0.0.1. What moto cannot do here is
run Lambda code (no Docker) and it ignores TTL settings made through CloudFormation, so this
module applies the TTL specifications itself, disables the event-source mappings and the
Lambda topic subscriptions (the local runner invokes the handlers in-process instead), and
subscribes a tap queue to the alert topic so every published alert can be read back.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

REGION = "us-east-1"
STACK_NAME = "hashtag-tracker"
ARTIFACT_BUCKET = "local-sam-artifacts"
DEFAULT_STATE_DIR = Path(".tracker-local")
# A child moto server imports moto and werkzeug first: a few seconds on a loaded machine.
MOTO_START_SECONDS = 60.0
# Dummy credentials: moto accepts any, and they keep boto3 from looking for real ones.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


class LocalStackError(RuntimeError):
    """The emulated stack could not be made; the message says which step failed."""


def project_root() -> Path:
    """The repository holding template.yaml (the package is installed in editable mode)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "template.yaml").is_file():
            return parent
    raise LocalStackError("template.yaml not found above the package; run from a checkout")


def _packaged(template: dict[str, Any]) -> dict[str, Any]:
    """What `sam package` does to code locations: local folders become S3 URIs."""
    packaged = copy.deepcopy(template)
    for name, resource in packaged.get("Resources", {}).items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in props:
                props[key] = f"s3://{ARTIFACT_BUCKET}/{name}.zip"
    return packaged


def expand_template(template_text: str, parameters: Mapping[str, str]) -> dict[str, Any]:
    """template.yaml through the SAM transform, as CloudFormation would see it."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class _NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    try:
        expanded: dict[str, Any] = transform(
            _packaged(yaml_parse(template_text)),
            {"AWS::Region": REGION, **parameters},
            _NoManagedPolicies(),
        )
    except Exception as exc:  # the translator raises its own family of errors
        raise LocalStackError(f"the SAM transform of template.yaml failed: {exc}") from exc
    return expanded


def resources_of_type(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == kind
    }


@dataclass
class StackInfo:
    """What clients and handlers need to reach the emulated stack."""

    endpoint_url: str
    region: str
    outputs: dict[str, str]
    physical_ids: dict[str, str]
    alert_tap_url: str
    parameters: dict[str, str] = field(default_factory=dict)
    # Function logical id -> the environment the template gives it, resolved.
    function_env: dict[str, dict[str, str]] = field(default_factory=dict)
    # Resources moto's CloudFormation does not create (e.g. alarms); listed, not hidden.
    not_emulated: list[str] = field(default_factory=list)

    def handler_environment(self, function: str = "WorkerFunction") -> dict[str, str]:
        """The template's environment for `function`, pointed at the emulated stack."""
        if function not in self.function_env:
            raise LocalStackError(f"the stack has no function {function!r}")
        return {
            **self.function_env[function],
            **LOCAL_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "outputs": self.outputs,
            "physical_ids": self.physical_ids,
            "alert_tap_url": self.alert_tap_url,
            "parameters": self.parameters,
            "not_emulated": self.not_emulated,
        }


def _client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto's dummy credentials
    )


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "code runs in-process in the local runner\n")
    return buffer.getvalue()


def provision(
    endpoint_url: str,
    parameters: Mapping[str, str],
    *,
    secrets: Mapping[str, str] = {},
    template_path: Path | None = None,
) -> StackInfo:
    """Create the stack from template.yaml in the moto server at `endpoint_url`."""
    path = template_path or project_root() / "template.yaml"
    template = expand_template(path.read_text(encoding="utf-8"), parameters)
    s3 = _client("s3", endpoint_url)
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    code = _placeholder_zip()
    for name in {
        **resources_of_type(template, "AWS::Lambda::Function"),
        **resources_of_type(template, "AWS::Lambda::LayerVersion"),
    }:
        s3.put_object(Bucket=ARTIFACT_BUCKET, Key=f"{_source_name(name)}.zip", Body=code)
    secretsmanager = _client("secretsmanager", endpoint_url)
    for name, value in secrets.items():
        secretsmanager.create_secret(Name=name, SecretString=value)

    cfn = _client("cloudformation", endpoint_url)
    cfn.create_stack(
        StackName=STACK_NAME,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    stack = cfn.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        failures = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
            for e in cfn.describe_stack_events(StackName=STACK_NAME)["StackEvents"]
            if "FAILED" in e["ResourceStatus"]
        ]
        raise LocalStackError(f"stack creation ended {stack['StackStatus']}: {failures}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=STACK_NAME)["StackResources"]
        if "LogicalResourceId" in r and "PhysicalResourceId" in r
    }
    _apply_ttl(template, physical, endpoint_url)
    _detach_lambda_triggers(endpoint_url)
    tap = _tap_alert_topic(outputs["AlertTopicArn"], endpoint_url)
    return StackInfo(
        endpoint_url=endpoint_url,
        region=REGION,
        outputs=outputs,
        physical_ids=physical,
        alert_tap_url=tap,
        parameters=dict(parameters),
        function_env={
            name: function_environment(template, name, parameters, physical)
            for name in resources_of_type(template, "AWS::Lambda::Function")
        },
        not_emulated=sorted(set(template.get("Resources", {})) - set(physical)),
    )


def _resolve(
    value: Any,
    template: Mapping[str, Any],
    parameters: Mapping[str, str],
    physical: Mapping[str, str],
) -> str:
    """A Ref as CloudFormation resolves it: a parameter's value, else a resource's id."""
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        if ref in parameters:
            return str(parameters[ref])
        declared = template.get("Parameters", {}).get(ref)
        if declared is not None:
            return str(declared.get("Default", ""))
        if ref in physical:
            return physical[ref]
    raise LocalStackError(f"cannot resolve {value!r} in a function's environment")


def function_environment(
    template: Mapping[str, Any],
    logical_id: str,
    parameters: Mapping[str, str],
    physical: Mapping[str, str],
) -> dict[str, str]:
    """The environment variables the template gives one function, resolved."""
    props = template["Resources"][logical_id]["Properties"]
    variables = props.get("Environment", {}).get("Variables", {})
    return {k: _resolve(v, template, parameters, physical) for k, v in variables.items()}


def _source_name(logical_id: str) -> str:
    """The translator suffixes layer ids with a hash; the artifact keeps the template's name."""
    return "SharedLayer" if logical_id.startswith("SharedLayer") else logical_id


def _apply_ttl(template: Mapping[str, Any], physical: Mapping[str, str], endpoint: str) -> None:
    """moto's CloudFormation ignores TimeToLiveSpecification; set it as the template says."""
    dynamodb = _client("dynamodb", endpoint)
    for name, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        ttl = resource["Properties"].get("TimeToLiveSpecification")
        if ttl and name in physical:
            dynamodb.update_time_to_live(
                TableName=physical[name],
                TimeToLiveSpecification={
                    "AttributeName": ttl["AttributeName"],
                    "Enabled": bool(ttl["Enabled"]),
                },
            )


def _detach_lambda_triggers(endpoint: str) -> None:
    """moto would try to run Lambda code in Docker on every SQS message or SNS publish."""
    lambda_client = _client("lambda", endpoint)
    for mapping in lambda_client.list_event_source_mappings()["EventSourceMappings"]:
        lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    sns = _client("sns", endpoint)
    for subscription in sns.list_subscriptions()["Subscriptions"]:
        if subscription["Protocol"] == "lambda":
            sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])


def _tap_alert_topic(topic_arn: str, endpoint: str) -> str:
    """An SQS queue subscribed to the alert topic: what every subscriber would receive."""
    sqs = _client("sqs", endpoint)
    url: str = sqs.create_queue(QueueName="local-alert-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    _client("sns", endpoint).subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def _atomic_dynamodb(app: Any) -> Any:
    """WSGI middleware: one DynamoDB request at a time, as DynamoDB's per-item atomicity has it.

    moto checks a ConditionExpression and then writes, with no lock between: two threads of
    the threaded server can both pass the check. Concurrent worker containers compare-and-swap
    the shared rate-limit slot, so the emulated stack must decide those writes one by one.
    """
    lock = threading.Lock()

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))

    return wrapped


def _threaded_moto_server(port: int) -> Any:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class _Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = _atomic_dynamodb(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return _Server(ip_address="127.0.0.1", port=port, verbose=False)


class _MotoProcess:
    """The same server (app and DynamoDB lock) in a child process: its threads then never
    wait for the GIL behind the caller's (the simulator's, the runner's), and the caller's
    never wait behind moto's."""

    def __init__(self, port: int) -> None:
        if not port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
        self._port = port
        self._child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        code = (
            "import logging, threading, warnings\n"
            "logging.getLogger('werkzeug').setLevel(logging.ERROR)\n"
            "logging.getLogger('moto').setLevel(logging.ERROR)\n"
            "warnings.filterwarnings('ignore', module='moto.cloudformation')\n"
            "from hashtag_tracker_tools.local.stack import _threaded_moto_server\n"
            f"_threaded_moto_server({self._port}).start()\n"
            "threading.Event().wait()\n"
        )
        self._child = subprocess.Popen([sys.executable, "-c", code])  # noqa: S603
        deadline = time.monotonic() + MOTO_START_SECONDS
        while time.monotonic() < deadline:
            if self._child.poll() is not None:
                raise LocalStackError(f"the moto server process exited ({self._child.returncode})")
            try:
                socket.create_connection(("127.0.0.1", self._port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise LocalStackError(f"the moto server process did not listen in {MOTO_START_SECONDS} s")

    def get_host_and_port(self) -> tuple[str, int]:
        return "127.0.0.1", self._port

    def stop(self) -> None:
        if self._child is not None:
            self._child.terminate()
            self._child.wait(timeout=10)
            self._child = None


class MotoServer:
    """moto's threaded server on loopback; `endpoint_url` once started.

    In this process by default (tests and the bench reach moto's backends directly), or with
    `process=True` in a child process, for runs whose timing matters (concurrent worker
    containers against a time-scaled rate limit: tests/e2e/test_collection_cycle.py).
    """

    def __init__(self, port: int = 0, *, process: bool = False) -> None:
        self._server: Any = _MotoProcess(port) if process else _threaded_moto_server(port)
        self.endpoint_url = ""

    def start(self) -> MotoServer:
        # Request lines and "not supported by CloudFormation" notes are noise here; the
        # stack lists what it did not create in StackInfo.not_emulated instead.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        logging.getLogger("moto").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module="moto.cloudformation")
        self._server.start()
        _host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://127.0.0.1:{port}"
        # moto keeps its backends per process: a second server would see the first one's
        # resources, so every server starts from an empty account.
        import requests

        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_state(info: StackInfo, state_dir: Path = DEFAULT_STATE_DIR) -> Path:
    """Where `hashtag-tracker --local` finds the running stack."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "stack.json"
    path.write_text(json.dumps(info.as_dict(), indent=2) + "\n", encoding="utf-8")
    return path
