"""Rendering the report as JSON (machines) and CSV (spreadsheets); HTML lives in report.html."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from hashtag_tracker.models.codec import to_json
from hashtag_tracker.report.model import Anomaly, HashtagReport, Pace, RankBy, Report

# The CSV's columns, in order (documented in the README, "Weekly report"). An empty cell
# means "unknown" (no usable snapshot, no sample): never a zero in place of a failure.
CSV_COLUMNS: tuple[str, ...] = (
    "rank",
    "hashtag",
    "kind",
    "campaign",
    "views_now",
    "views_week_ago",
    "views_wow",
    "views_wow_pct",
    "videos_now",
    "videos_week_ago",
    "videos_wow",
    "videos_wow_pct",
    "views_growth_avg_4w",
    "views_direction",
    "videos_direction",
    "growth_pace",
    "growth_vs_usual",
    "anomaly",
    "anomaly_metric",
    "anomaly_method",
    "anomaly_score",
    "anomaly_vs_usual",
    "views_per_hour_7d",
    "views_growth_30d",
    "views_growth_30d_pct",
    "videos_growth_30d",
    "share_of_voice",
    "engagement_mean",
    "engagement_median",
    "engagement_pooled",
    "shares_per_video",
    "reach",
    "sample_videos",
    "sample_likes",
    "sample_comments",
    "sample_shares",
    "unique_creators",
    "new_videos_week",
    "new_creators_week",
    "videos_total",
    "creators_total",
    "ledger_coverage",
    "new_videos_coverage",
    "negative_share",
    "positive_share",
    "negative_share_change",
    "credits_week",
    "credits_30d",
    "missing_cycles_week",
    "suspect_cycles_week",
)

Cell = str | int | float | None

# A text cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (`=HYPERLINK(...)` in a campaign name would be live): such cells get a leading `'`, which
# the spreadsheet shows as text (OWASP "CSV injection"). Numbers are written as numbers.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Cell) -> Cell:
    """A cell no spreadsheet runs: text that would start a formula is prefixed with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _shares(report: Report) -> dict[str, float | None]:
    return {m.hashtag: m.share for group in report.groups for m in group.members}


def _cells(row: HashtagReport, share: float | None) -> dict[str, Cell]:
    getters: dict[str, Callable[[HashtagReport], Cell]] = {
        "anomaly": lambda r: r.anomaly.kind.value,
        "anomaly_metric": lambda r: r.anomaly.metric if r.anomaly.flagged else None,
        "anomaly_method": lambda r: r.anomaly.method.value,
        "anomaly_score": lambda r: r.anomaly.score,
        "anomaly_vs_usual": lambda r: r.anomaly.ratio if r.anomaly.flagged else None,
        "views_per_hour_7d": lambda r: r.summary_7d.views_per_hour,
        "views_growth_30d": lambda r: r.summary_30d.views_delta,
        "views_growth_30d_pct": lambda r: r.summary_30d.views_pct,
        "videos_growth_30d": lambda r: r.summary_30d.videos_delta,
        "share_of_voice": lambda r: share,
        "kind": lambda r: r.kind.value,
        "views_direction": lambda r: r.views_direction.value,
        "videos_direction": lambda r: r.videos_direction.value,
        "growth_pace": lambda r: r.growth_pace.value,
    }
    cells: dict[str, Cell] = {}
    for column in CSV_COLUMNS:
        getter = getters.get(column)
        cells[column] = getter(row) if getter else getattr(row, column)
    return cells


def report_csv(report: Report) -> str:
    """One row per hashtag, in rank order (whatever the ranking key), with every one of
    CSV_COLUMNS."""
    shares = _shares(report)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in report.hashtags:
        cells = _cells(row, shares.get(row.hashtag))
        writer.writerow({k: "" if v is None else neutralise(v) for k, v in cells.items()})
    return buffer.getvalue()


def report_json(report: Report) -> str:
    return to_json(report, indent=2)


def times(ratio: float) -> str:
    """0.3 -> '0.3×', 5.12 -> '5.1×', 12.4 -> '12×': a ratio a reader takes in at a glance."""
    return f"{ratio:.0f}×" if abs(ratio) >= 10 else f"{ratio:.2g}×"


def pace_words(row: HashtagReport) -> str:
    """'growth slowing, 0.64× its usual': the pace of the views growth, never 'falling' for a
    tag whose views rose (issue 18)."""
    if row.growth_pace is Pace.NEW:
        return "new (no earlier week to compare)"
    words = f"growth {row.growth_pace.value}"
    if row.growth_vs_usual is not None:
        return f"{words}, {times(row.growth_vs_usual)} its usual"
    return words + " (from none)" if row.growth_pace is Pace.ACCELERATING else words


def anomaly_words(anomaly: Anomaly) -> str:
    """'growth slowdown in views (0.2× its usual)'; empty when nothing was flagged."""
    if not anomaly.flagged:
        return ""
    words = f"{anomaly.kind.label} in {anomaly.metric}"
    return words + (f" ({times(anomaly.ratio)} its usual)" if anomaly.ratio is not None else "")


RANK_TITLES = {
    RankBy.GROWTH: "views growth this week",
    RankBy.ENGAGEMENT: "engagement rate (pooled over the latest video sample)",
    RankBy.VIEWS: "total views",
}
