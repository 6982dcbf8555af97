"""Where weekly reports go: the Reports bucket (with a presigned link), a local folder, SNS.

Both writers use the same layout, ``reports/<folder>/report.{json,csv,html}``: the folder is
the report's day (YYYY-MM-DD), or its end time (YYYY-MM-DDTHHMMSSZ) for another window ending
on a day whose folder is taken (report/run.py report_folder).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import boto3

from hashtag_tracker.models.report_files import ReportFile, WrittenReport
from hashtag_tracker.storage.aws_errors import storage_errors
from hashtag_tracker.storage.errors import StorageError
from hashtag_tracker.storage.topic import SnsTopic

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sns.client import SNSClient

REPORTS_PREFIX = "reports"
HTML_NAME = "report.html"
# Asked for a week, but a presigned link dies with the Lambda role's session credentials
# (hours), so the summary also names the object's s3:// location.
PRESIGN_SECONDS = 7 * 24 * 3600
RULE = "weekly_report"


def report_key(day: str, name: str) -> str:
    return f"{REPORTS_PREFIX}/{day}/{name}"


class S3ReportStore:
    def __init__(
        self, bucket: str, client: S3Client | None = None, presign_seconds: int = PRESIGN_SECONDS
    ) -> None:
        if not bucket:
            raise StorageError("no reports bucket configured (REPORTS_BUCKET is empty)")
        self.bucket = bucket
        self._client = client or boto3.client("s3")
        self._presign_seconds = presign_seconds

    def write(self, day: str, files: Sequence[ReportFile]) -> WrittenReport:
        """Put every file under reports/<day>/ (the folder make_report chose) with its
        content type; link the HTML."""
        locations: dict[str, str] = {}
        for file in files:
            key = report_key(day, file.name)
            with storage_errors(f"writing s3://{self.bucket}/{key}"):
                self._client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=file.body.encode("utf-8"),
                    ContentType=file.content_type,
                )
            locations[file.name] = key
        html = locations.get(HTML_NAME)
        return WrittenReport(
            locations=locations,
            html_link=self.presigned_url(html) if html else None,
            html_stored_at=f"s3://{self.bucket}/{html}" if html else None,
        )

    def presigned_url(self, key: str) -> str:
        with storage_errors(f"presigning s3://{self.bucket}/{key}"):
            return self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=self._presign_seconds,
            )


class LocalReportWriter:
    """The same layout in a local folder (CLI, local runner)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def write(self, day: str, files: Sequence[ReportFile]) -> WrittenReport:
        folder = self.root / REPORTS_PREFIX / day
        locations: dict[str, str] = {}
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for file in files:
                path = folder / file.name
                path.write_text(file.body, encoding="utf-8")
                locations[file.name] = str(path)
        except OSError as exc:
            raise StorageError(f"writing the report to {folder} failed: {exc}") from exc
        html = locations.get(HTML_NAME)
        return WrittenReport(
            locations=locations, html_link=Path(html).resolve().as_uri() if html else None
        )


class SnsReportTopic:
    """Publishes the report's summary to the alert topic (message attribute rule=weekly_report)."""

    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self._topic = SnsTopic(topic_arn, client)

    def publish_summary(self, subject: str, message: str) -> None:
        self._topic.publish(
            subject,
            message,
            {"rule": RULE, "severity": "info"},
            what="publishing the report summary",
        )
