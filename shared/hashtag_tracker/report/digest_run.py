"""Making the daily digest: bounded reads per hashtag, compute, publish once a day on the topic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.report.digest import (
    SNAPSHOT_LOOKBACK,
    Digest,
    DigestInputs,
    DigestTag,
    build_digest,
    day_bounds,
    digest_attributes,
    digest_credits,
    digest_message,
    month_of,
    tag_digest,
)
from hashtag_tracker.report.ports import ReportMarks, ReportSources
from hashtag_tracker.storage.errors import StorageError

# The once-a-day mark lives beside the weekly report's summary marks (the Report role may
# write only the State table's "report" partition): summary#digest#<day>.
DIGEST_MARK_TTL = timedelta(days=30)


class DigestSources(ReportSources, Protocol):
    def month_credits(self, month: str) -> tuple[int, int] | None:
        """(reserved-or-spent, used) credits of `month` (YYYY-MM); None when not kept."""
        ...


class DigestTopic(Protocol):
    """The alert topic (storage.topic.SnsTopic): one message with attributes, its id back."""

    def publish(
        self,
        subject: str,
        text: str,
        attributes: Mapping[str, str | None] | None = None,
        *,
        what: str = ...,
        message_structure: Literal["json"] | None = None,
    ) -> str: ...


@dataclass(frozen=True)
class DigestDeps:
    sources: DigestSources
    topic: DigestTopic
    # None: no State table, so nothing keeps the digest to one a day.
    marks: ReportMarks | None
    monthly_credit_budget: int


@dataclass(frozen=True)
class DigestResult:
    digest: Digest
    published: bool
    # An earlier run the same UTC day published the day's digest.
    already_published: bool = False
    message_id: str | None = None
    invalid_items: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "digest": self.digest.day,
            "until": to_iso(self.digest.until),
            "hashtags": self.digest.hashtags,
            "listed": [t.hashtag for t in self.digest.tags],
            "skipped": self.digest.skipped_count,
            "invalid_items": len(self.invalid_items),
            "credits_today": self.digest.credits.today,
            "published": self.published,
            "already_published": self.already_published,
        }


def digest_mark(day: str) -> str:
    return f"digest#{day}"


def is_digest_event(event: Any) -> bool:
    """The daily schedule's event ({"digest": true, "time": ...}) or an on-demand one."""
    return isinstance(event, dict) and event.get("digest") is True


def read_tag(
    sources: DigestSources, tracked: TrackedHashtag, since: datetime, until: datetime
) -> DigestInputs:
    """The bounded reads for one hashtag: one key query of snapshots (about two days), one
    first-seen query of the ledger (the day's new videos)."""
    snapshots = sources.snapshots(tracked.hashtag, until - SNAPSHOT_LOOKBACK, until)
    videos, _ = sources.first_seen_since(tracked.hashtag, since)
    return DigestInputs(tracked, snapshots, videos)


def collect_tags(
    sources: DigestSources, since: datetime, until: datetime
) -> tuple[list[DigestTag], list[str], list[str]]:
    """(a digest line per tracked hashtag due that day, unreadable tags, invalid items)."""
    tags: list[DigestTag] = []
    skipped: list[str] = []
    invalid: list[str] = []
    for item in sources.tracked():
        if not isinstance(item, TrackedHashtag):
            invalid.append(item.reason)
            continue
        if not (item.is_due(since.date()) or item.is_due(until.date())):
            continue  # paused or outside its dates: nothing was collected, nothing to read
        try:
            tags.append(tag_digest(read_tag(sources, item, since, until), since, until))
        except (StorageError, ValueError) as exc:
            # One unreadable tag is named in the digest; the others still get theirs.
            skipped.append(item.hashtag)
            logger.warning(
                "hashtag skipped in digest", extra={"hashtag": item.hashtag, "error": str(exc)}
            )
    return tags, skipped, invalid


def make_digest(
    as_of: datetime, deps: DigestDeps, *, generated_at: datetime | None = None
) -> DigestResult:
    """Digest the 24 hours before `as_of` and publish it, once per UTC day of `as_of`: a
    second run that day (a redelivered event, an on-demand run) publishes nothing more, and a
    failed publish gives the day back, so the retried run publishes it."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    since, until = day_bounds(as_of)
    now = generated_at or until
    tags, skipped, invalid = collect_tags(deps.sources, since, until)
    month = month_of(until)
    month_credits = deps.sources.month_credits(month)
    balance = deps.sources.account_balance(month)
    credits = digest_credits(
        sum(t.credits for t in tags),
        until,
        deps.monthly_credit_budget,
        month_credits[1] if month_credits is not None else None,
        balance[0] if balance is not None else None,
    )
    digest = build_digest(tags, until, now, credits, skipped, len(invalid))
    metrics.add_metric(name="DigestHashtags", unit="Count", value=digest.hashtags)
    metrics.add_metric(name="DigestSkippedHashtags", unit="Count", value=len(skipped))
    metrics.add_metric(name="InvalidHashtagItems", unit="Count", value=len(invalid))
    message_id = _publish_once(deps, digest, now)
    result = DigestResult(
        digest,
        published=message_id is not None,
        already_published=message_id is None,
        message_id=message_id,
        invalid_items=invalid,
    )
    logger.info("daily digest made", extra=result.as_dict())
    return result


def _publish_once(deps: DigestDeps, digest: Digest, now: datetime) -> str | None:
    """The message id, or None when the day's digest was published already."""
    mark = digest_mark(digest.day)
    marks = deps.marks
    if marks is not None and not marks.mark_report_summary(mark, now, DIGEST_MARK_TTL):
        metrics.add_metric(name="DigestRepeated", unit="Count", value=1)
        logger.info("daily digest already published for this day", extra={"day": digest.day})
        return None
    try:
        message_id = deps.topic.publish(
            digest.title,
            digest_message(digest),
            digest_attributes(),
            what=f"publishing the daily digest of {digest.day}",
            message_structure="json",
        )
    except Exception:
        if marks is not None:
            try:
                marks.unmark_report_summary(mark)
            except StorageError as exc:
                logger.error(
                    "digest mark not given back; this day's digest will not be published by a "
                    "retry",
                    extra={"day": digest.day, "error": str(exc)[:300]},
                )
        raise
    metrics.add_metric(name="DigestsPublished", unit="Count", value=1)
    return message_id
