"""Secrets never leak: a whole collection cycle and a report, searched for the key and webhook.

The real handlers run on the emulated stack (moto from template.yaml, the offline simulator,
the loopback Slack receiver) through an upstream outage and a failing Slack post, so the
error paths run too. Everything the run lets out is then searched: the Powertools logs and
anything else printed (stdout and stderr at the file-descriptor level, the root logger),
the alerts the topic delivered, the Slack payloads, the report files in the bucket, the
handlers' results and the items stored in every table.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import boto3
import pytest

from hashtag_tracker_tools.local.scenario import FailureWindow, default_scenario
from hashtag_tracker_tools.local.session import SLACK_WEBHOOK_URL, LocalSession, SessionOptions

pytestmark = pytest.mark.e2e

DAYS = 1.5  # six collection cycles: the daily video and comment pages run twice


@contextmanager
def root_log_records() -> Iterator[io.StringIO]:
    """Every record any stdlib logger emits at INFO or above, formatted with its arguments."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _bucket_objects(bucket: str) -> dict[str, str]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"]
        .read()
        .decode("utf-8", errors="replace")
        for item in listed
    }


def _table_items(table_names: list[str]) -> str:
    dynamodb = boto3.client("dynamodb")
    return "\n".join(
        str(item)
        for name in table_names
        for page in dynamodb.get_paginator("scan").paginate(TableName=name)
        for item in page["Items"]
    )


def test_a_whole_cycle_and_report_never_reveal_the_api_key_or_the_webhook(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # Given the demo scenario with an upstream outage on day 1, Slack failing once, and
    # every output of the run captured
    scenario = dataclasses.replace(
        default_scenario(),
        failures=(FailureWindow("growingtag", start_day=0.75, hours=12.0),),
    )
    handler_logs = io.StringIO()
    options = SessionOptions(time_scale=3000, log_stream=handler_logs)
    outputs: dict[str, str] = {}
    with root_log_records() as records, LocalSession(scenario, options) as session:
        assert session.slack is not None
        session.slack.fail_next = 1
        session.seed()
        key = session.simulator.api_key
        alerts: list[str] = []
        results: list[str] = []

        # When the collection cycles and a report run through the real handlers
        for when in session.cycle_times(DAYS):
            published = session.run_cycle(when)
            alerts += [f"{p.subject}\n{p.message}\n{p.attributes}" for p in published]
        report, reported = session.run_report(scenario.start + timedelta(days=DAYS))
        alerts += [f"{p.subject}\n{p.message}\n{p.attributes}" for p in reported]
        results.append(str(report))

        reports = _bucket_objects(session.info.outputs["ReportsBucketName"])
        outputs["report files"] = "\n".join(f"{k}\n{v}" for k, v in reports.items())
        outputs["stored items"] = _table_items(
            [
                session.info.outputs[name]
                for name in (
                    "HashtagsTableName",
                    "SnapshotsTableName",
                    "VideosTableName",
                    "StateTableName",
                )
            ]
        )
        outputs["slack payloads"] = "\n".join(str(p) for p in session.slack.payloads)
        slack_posts = len(session.slack.payloads)
        outputs["root logger"] = records.getvalue()
    captured = capfd.readouterr()
    outputs["handler logs"] = handler_logs.getvalue()
    outputs["stdout"] = captured.out
    outputs["stderr"] = captured.err
    outputs["alerts"] = "\n".join(alerts)
    outputs["handler results"] = "\n".join(results)

    # Then the run did exercise the paths that could leak: logs, alerts, Slack, reports,
    # the outage's error handling and a Slack retry
    assert outputs["handler logs"].count("\n") > 50
    assert alerts and slack_posts >= len(alerts)
    assert any(name.endswith(".html") for name in reports), sorted(reports)
    assert "growingtag" in outputs["stored items"]
    assert "missing" in outputs["stored items"]

    # And neither the API key nor the webhook URL (nor its secret path) appears anywhere
    webhook_path = urlsplit(SLACK_WEBHOOK_URL).path
    for secret in (key, SLACK_WEBHOOK_URL, webhook_path):
        leaked = [where for where, text in outputs.items() if secret in text]
        assert leaked == [], f"a secret appears in: {leaked}"
