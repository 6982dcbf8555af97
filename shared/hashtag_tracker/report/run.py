"""Making the weekly report: read per hashtag, compute, render, store, announce on the topic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hashtag_tracker.clock import event_time, to_iso
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.report_files import ReportFile, WrittenReport
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.report.compute import (
    DEFAULT_TOLERANCE,
    HashtagInputs,
    build_report,
    hashtag_report,
    ledger_since,
    lookback,
)
from hashtag_tracker.report.html import report_html
from hashtag_tracker.report.model import HashtagReport, RankBy, Report, SkippedHashtag
from hashtag_tracker.report.ports import ReportMarks, ReportSink, ReportSources, SummaryPublisher
from hashtag_tracker.report.render import (
    RANK_TITLES,
    anomaly_words,
    pace_words,
    report_csv,
    report_json,
)
from hashtag_tracker.storage.errors import StorageError

SUMMARY_MOVERS = 3
# How long the marks that keep one report per window are kept (the bucket keeps reports 365
# days by default): a window re-run months later still finds its folder and its summary sent.
REPORT_MARK_TTL = timedelta(days=400)
# The summary's lists (anomalies, skipped tags) name at most this many, then "+N more": SNS
# refuses a message over 256 KiB, and 2,600 skipped tags once failed the publish after the
# report was stored (issue 17). The whole text is kept under SUMMARY_MAX_BYTES.
SUMMARY_LIST = 20
SNS_MAX_BYTES = 256 * 1024
SUMMARY_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class ReportResult:
    report: Report
    written: WrittenReport
    published: bool
    invalid_items: list[str] = field(default_factory=list)
    # An earlier run of the same window (a second delivery of its event) published its summary.
    already_published: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": to_iso(self.report.as_of),
            "rank_by": self.report.rank_by.value,
            "hashtags": len(self.report.hashtags),
            "anomalies": [r.hashtag for r in self.report.anomalies],
            "skipped": [s.hashtag for s in self.report.skipped],
            "invalid_items": len(self.invalid_items),
            "files": self.written.locations,
            "published": self.published,
            "already_published": self.already_published,
        }


@dataclass(frozen=True)
class MarkedSink:
    """The Report function's sink: where the files go, and the State-table marks that keep one
    report per window (make_report uses them when its sink is one of these)."""

    sink: ReportSink
    marks: ReportMarks

    def write(self, day: str, files: Sequence[ReportFile]) -> WrittenReport:
        return self.sink.write(day, files)


def report_folder(as_of: datetime, marks: ReportMarks | None, now: datetime) -> str:
    """The folder of the report whose window ends at `as_of`: its day (YYYY-MM-DD) unless
    another window's report of that day holds it (an on-demand run after the Monday one, or
    before it), then its end time (YYYY-MM-DDTHHMMSSZ), so neither overwrites the other."""
    day = f"{as_of:%Y-%m-%d}"
    if marks is None or marks.claim_report_day(day, to_iso(as_of), now, REPORT_MARK_TTL):
        return day
    return f"{as_of:%Y-%m-%dT%H%M%SZ}"


def render_files(report: Report) -> list[ReportFile]:
    return [
        ReportFile("report.json", report_json(report), "application/json"),
        ReportFile("report.csv", report_csv(report), "text/csv; charset=utf-8"),
        ReportFile("report.html", report_html(report), "text/html; charset=utf-8"),
    ]


def read_hashtag(
    sources: ReportSources, tracked: TrackedHashtag, as_of: datetime, tolerance: timedelta
) -> HashtagInputs:
    """The bounded reads for one hashtag: a snapshot window, new ledger entries, totals."""
    snapshots = sources.snapshots(tracked.hashtag, lookback(as_of, tolerance), as_of)
    videos, creators = sources.first_seen_since(tracked.hashtag, ledger_since(as_of))
    totals = sources.ledger_totals(tracked.hashtag)
    return HashtagInputs(tracked, snapshots, videos, creators, totals)


def collect_rows(
    sources: ReportSources, as_of: datetime, tolerance: timedelta = DEFAULT_TOLERANCE
) -> tuple[list[HashtagReport], list[SkippedHashtag], list[str]]:
    """A row per tracked hashtag; one that cannot be read is skipped with its reason."""
    rows: list[HashtagReport] = []
    skipped: list[SkippedHashtag] = []
    invalid: list[str] = []
    for item in sources.tracked():
        if not isinstance(item, TrackedHashtag):
            invalid.append(item.reason)
            logger.warning("invalid hashtag item skipped", extra={"reason": item.reason})
            continue
        try:
            inputs = read_hashtag(sources, item, as_of, tolerance)
            rows.append(hashtag_report(inputs, as_of, tolerance))
        except (StorageError, ValueError) as exc:
            # One unreadable hashtag (a storage fault, a malformed stored item) is named in
            # the report and counted; the others still get their report.
            skipped.append(SkippedHashtag(hashtag=item.hashtag, reason=str(exc)[:300]))
            logger.warning(
                "hashtag skipped in report", extra={"hashtag": item.hashtag, "error": str(exc)}
            )
    return rows, skipped, invalid


def _mover(row: HashtagReport, by: RankBy) -> str:
    pct = "n/a" if row.views_wow_pct is None else f"{row.views_wow_pct:+.1f}%"
    growth = f"views {row.views_direction.value} {pct}, {pace_words(row)}"
    if by is RankBy.ENGAGEMENT and row.engagement_pooled is not None:
        return f"#{row.hashtag} engagement {row.engagement_pooled:.2%} ({growth})"
    if by is RankBy.VIEWS and row.views_now is not None:
        return f"#{row.hashtag} {row.views_now:,} views ({growth})"
    return f"#{row.hashtag} {pct} views ({pace_words(row)})"


def summary_subject(report: Report) -> str:
    return f"Weekly hashtag report {report.as_of:%Y-%m-%d}"


def summary_text(report: Report, link: str | None, stored_at: str | None = None) -> str:
    """The short message for the alert topic: top movers, anomalies, the link."""
    by = report.rank_by
    ranked = [r for r in report.hashtags if r.rank is not None]
    title = "Top movers:" if by is RankBy.GROWTH else f"Top by {RANK_TITLES[by]}:"
    lines = [
        f"{summary_subject(report)} (week {report.week_start:%Y-%m-%d} to "
        f"{report.as_of:%Y-%m-%d}), {len(report.hashtags)} hashtags, "
        f"{report.credits_week} credits (${report.credits_week_usd:.2f})"
        + (
            f"; data-API balance {report.balance:,} credits." if report.balance is not None else "."
        ),
        "",
        title,
        *(f"  {r.rank}. {_mover(r, by)}" for r in ranked[:SUMMARY_MOVERS]),
    ]
    bottom = ranked[SUMMARY_MOVERS:][-SUMMARY_MOVERS:]
    if bottom:
        lines += ["Bottom:", *(f"  {r.rank}. {_mover(r, by)}" for r in bottom)]
    lines.append("Anomalies this week:" if report.anomalies else "Anomalies this week: none")
    for row in report.anomalies[:SUMMARY_LIST]:
        a = row.anomaly
        lines.append(
            f"  #{row.hashtag}: {anomaly_words(a)}, views {row.views_direction.value} "
            f"{'n/a' if row.views_wow_pct is None else f'{row.views_wow_pct:+.1f}%'} "
            f"({a.method.value}, score {a.score}, typical week {a.reference:,.0f})"
        )
    if len(report.anomalies) > SUMMARY_LIST:
        lines.append(f"  +{len(report.anomalies) - SUMMARY_LIST} more (see the report)")
    if report.skipped:
        named = ", ".join(f"#{s.hashtag}" for s in report.skipped[:SUMMARY_LIST])
        more = len(report.skipped) - SUMMARY_LIST
        lines.append(f"Skipped: {named}" + (f", +{more} more (see the report)" if more > 0 else ""))
    footer = ["", f"Report: {link}" if link else "Report: (no link)"]
    if stored_at:
        # A presigned link lasts only as long as the function's session credentials (hours).
        footer.append(f"Stored at {stored_at} (a fresh link: aws s3 presign {stored_at})")
    return _bounded("\n".join(lines), "\n".join(footer))


def _bounded(body: str, footer: str) -> str:
    """body + footer in at most SUMMARY_MAX_BYTES UTF-8 bytes; the body is cut (marked) when
    needed, the footer (the link) always kept."""
    text = body + "\n" + footer
    if len(text.encode("utf-8")) <= SUMMARY_MAX_BYTES:
        return text
    mark = "\n... (cut; the full report is at the link)\n"
    room = max(0, SUMMARY_MAX_BYTES - len((mark + footer).encode("utf-8")))
    cut = body.encode("utf-8")[:room].decode("utf-8", "ignore")
    return (cut + mark + footer).encode("utf-8")[:SUMMARY_MAX_BYTES].decode("utf-8", "ignore")


def make_report(
    as_of: datetime,
    sources: ReportSources,
    sink: ReportSink,
    publisher: SummaryPublisher | None = None,
    *,
    generated_at: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
    rank_by: RankBy = RankBy.GROWTH,
) -> ReportResult:
    """Compute the week ending at `as_of`, ranked by `rank_by`, write JSON/CSV/HTML, publish
    the summary.

    With marks (a MarkedSink), one report per window: a second run of the same window (a
    redelivered event) rewrites its own folder and publishes nothing more; a report of
    another window ending the same day is stored apart (report_folder) with its own summary.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    # The window's end, to the second: it names the window in keys and marks.
    as_of = as_of.astimezone(UTC).replace(microsecond=0)
    marks = sink.marks if isinstance(sink, MarkedSink) else None
    now = generated_at or as_of
    rows, skipped, invalid = collect_rows(sources, as_of, tolerance)
    balance = sources.account_balance(f"{as_of:%Y-%m}")
    report = build_report(as_of, now, rows, skipped, balance, rank_by)
    written = sink.write(report_folder(as_of, marks, now), render_files(report))
    metrics.add_metric(name="ReportHashtags", unit="Count", value=len(report.hashtags))
    metrics.add_metric(name="ReportAnomalies", unit="Count", value=len(report.anomalies))
    metrics.add_metric(name="ReportSkippedHashtags", unit="Count", value=len(skipped))
    metrics.add_metric(name="InvalidHashtagItems", unit="Count", value=len(invalid))
    published = already = False
    if publisher is not None:
        text = summary_text(report, written.html_link, written.html_stored_at)
        published = _publish_once(publisher, marks, summary_subject(report), text, as_of, now)
        already = not published
    result = ReportResult(report, written, published, invalid, already)
    logger.info("weekly report made", extra=result.as_dict())
    return result


def _publish_once(
    publisher: SummaryPublisher,
    marks: ReportMarks | None,
    subject: str,
    text: str,
    as_of: datetime,
    now: datetime,
) -> bool:
    """Publish the window's summary unless an earlier run did (False); a failed publish
    gives the mark back, so the retried run publishes it, and fails the run."""
    window = to_iso(as_of)
    if marks is not None and not marks.mark_report_summary(window, now, REPORT_MARK_TTL):
        metrics.add_metric(name="ReportSummaryRepeated", unit="Count", value=1)
        logger.info("report summary already published for this window", extra={"window": window})
        return False
    try:
        publisher.publish_summary(subject, text)
    except Exception:
        if marks is not None:
            try:
                marks.unmark_report_summary(window)
            except StorageError as exc:
                logger.error(
                    "report summary mark not given back; this window's summary will not be "
                    "published by a retry",
                    extra={"window": window, "error": str(exc)[:300]},
                )
        raise
    return True


class ReportEventError(ValueError):
    """The Report function's event names no usable time; the message says what to send."""


def as_of_from_event(event: Any, now: datetime) -> datetime:
    """`{"as_of": ISO}` (on demand), an EventBridge event's `time` (schedule), else `now`."""
    if not isinstance(event, dict):
        raise ReportEventError('the event must be a JSON object, e.g. {"as_of": "...Z"}')
    raw = event.get("as_of", event.get("time"))
    if raw is None:
        return now
    as_of = event_time(raw, "as_of", ReportEventError)
    if as_of > now + timedelta(minutes=5):
        raise ReportEventError(f"as_of {raw!r} is in the future")
    return as_of


def rank_by_from_event(event: Any, default: RankBy | str = RankBy.GROWTH) -> RankBy:
    """`{"rank_by": "growth" | "engagement" | "views"}` on demand, else `default` (the
    function's REPORT_RANK_BY); anything else is a ReportEventError naming the choices."""
    raw = event.get("rank_by") if isinstance(event, dict) else None
    if raw is None:
        return RankBy(default)
    try:
        return RankBy(raw)
    except (ValueError, TypeError):
        choices = ", ".join(k.value for k in RankBy)
        raise ReportEventError(f"rank_by {raw!r} is not one of: {choices}") from None
