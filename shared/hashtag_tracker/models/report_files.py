"""A report's files and where they were stored: what the report writes and storage keeps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportFile:
    name: str
    body: str
    content_type: str


@dataclass(frozen=True)
class WrittenReport:
    """Where the files went (S3 keys or local paths) and a link a person can open."""

    locations: dict[str, str]
    html_link: str | None = None
    # Where the HTML lives for good (s3://bucket/key), when a link may expire before it does.
    html_stored_at: str | None = None
