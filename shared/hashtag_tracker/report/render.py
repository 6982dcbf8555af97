"""Rendering the report as JSON (machines) and CSV (spreadsheets); HTML lives in report.html."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from hashtag_tracker.models.codec import to_json
from hashtag_tracker.report.model import HashtagReport, Report

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
    "trend",
    "anomaly",
    "anomaly_metric",
    "anomaly_method",
    "anomaly_score",
    "views_per_hour_7d",
    "views_growth_30d",
    "views_growth_30d_pct",
    "videos_growth_30d",
    "share_of_voice",
    "engagement_mean",
    "engagement_median",
    "shares_per_video",
    "reach",
    "unique_creators",
    "new_videos_week",
    "new_creators_week",
    "videos_total",
    "creators_total",
    "negative_share",
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
        "views_per_hour_7d": lambda r: r.summary_7d.views_per_hour,
        "views_growth_30d": lambda r: r.summary_30d.views_delta,
        "views_growth_30d_pct": lambda r: r.summary_30d.views_pct,
        "videos_growth_30d": lambda r: r.summary_30d.videos_delta,
        "share_of_voice": lambda r: share,
        "kind": lambda r: r.kind.value,
        "trend": lambda r: r.trend.value,
    }
    cells: dict[str, Cell] = {}
    for column in CSV_COLUMNS:
        getter = getters.get(column)
        cells[column] = getter(row) if getter else getattr(row, column)
    return cells


def report_csv(report: Report) -> str:
    """One row per hashtag, in rank order, with CSV_COLUMNS."""
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
