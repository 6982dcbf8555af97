"""The report as one self-contained HTML page: inline CSS and SVG charts, opens offline."""

from __future__ import annotations

from html import escape

from hashtag_tracker.report.charts import (
    PALETTE,
    Band,
    Bar,
    ShareRow,
    bar_chart,
    compact,
    line_chart,
    share_chart,
)
from hashtag_tracker.report.model import CampaignGroup, HashtagReport, Report, Trend

TREND_COLORS = {
    Trend.RISING: "#16a34a",
    Trend.FALLING: "#dc2626",
    Trend.STABLE: "#6b7280",
    Trend.NEW: "#9ca3af",
}
TREND_ARROWS = {Trend.RISING: "▲", Trend.FALLING: "▼", Trend.STABLE: "▶", Trend.NEW: "•"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#111827;
background:#f9fafb}
h1{margin:0 0 4px}h2{margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.sub{color:#6b7280;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px}
.card b{display:block;font-size:22px}
table{border-collapse:collapse;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:right}
th:nth-child(2),td:nth-child(2){text-align:left}
.anomaly{color:#b91c1c;font-weight:600}
.tag{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px;margin:12px 0}
.charts{display:flex;flex-wrap:wrap;gap:8px}
.muted{color:#6b7280}
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}%"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _anomaly_text(row: HashtagReport) -> str:
    a = row.anomaly
    if not a.flagged:
        return ""
    return f"{a.kind.value} ({a.metric}, {a.method.value}, score {a.score})"


def _overview(report: Report) -> str:
    cards = [
        ("hashtags", str(len(report.hashtags))),
        ("anomalies this week", str(len(report.anomalies))),
        ("credits this week", f"{report.credits_week} (${report.credits_week_usd:.2f})"),
        ("credits 30 days", f"{report.credits_30d} (${report.credits_30d_usd:.2f})"),
        ("skipped", str(len(report.skipped))),
    ]
    if report.balance is not None:
        cards.append(("data-API balance", f"{report.balance:,} (at {report.balance_at})"))
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><span class="muted">{escape(k)}</span><b>{escape(v)}</b></div>'
            for k, v in cards
        )
        + "</div>"
    )


def _ranking_table(report: Report) -> str:
    head = (
        "<tr><th>#</th><th>hashtag</th><th>views</th><th>views WoW</th><th>videos</th>"
        "<th>videos WoW</th><th>avg 4w growth</th><th>trend</th><th>anomaly</th>"
        "<th>eng. mean</th><th>eng. median</th><th>shares/video</th><th>new videos</th>"
        "<th>new creators</th><th>negative</th><th>credits</th><th>missing</th></tr>"
    )
    rows = []
    for r in report.hashtags:
        color = TREND_COLORS[r.trend]
        rows.append(
            f"<tr><td>{r.rank or '–'}</td><td>#{escape(r.hashtag)} "
            f'<span class="muted">{escape(r.kind.value)}</span></td>'
            f"<td>{compact(r.views_now)}</td><td>{compact(r.views_wow)} ({_pct(r.views_wow_pct)})"
            f"</td><td>{compact(r.videos_now)}</td><td>{compact(r.videos_wow)} "
            f"({_pct(r.videos_wow_pct)})</td><td>{compact(r.views_growth_avg_4w)}</td>"
            f'<td style="color:{color}">{TREND_ARROWS[r.trend]} {r.trend.value}</td>'
            f'<td class="anomaly">{escape(_anomaly_text(r))}</td>'
            f"<td>{_ratio(r.engagement_mean)}</td><td>{_ratio(r.engagement_median)}</td>"
            f"<td>{compact(r.shares_per_video)}</td><td>{r.new_videos_week}</td>"
            f"<td>{r.new_creators_week}</td><td>{_ratio(r.negative_share)}</td>"
            f"<td>{r.credits_week}</td><td>{r.missing_cycles_week}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _wow_chart(report: Report) -> str:
    bars = [
        Bar(
            label=f"#{r.hashtag}",
            value=r.views_wow_pct,
            color=TREND_COLORS[r.trend],
            note=f"⚠ {r.anomaly.kind.value}" if r.anomaly.flagged else "",
        )
        for r in report.hashtags
    ]
    return bar_chart(bars, title="Views growth this week (week over week, %)")


def _group_section(group: CampaignGroup) -> str:
    now = [(m.hashtag, m.share) for m in group.members if m.share is not None]
    before = [(m.hashtag, m.previous_share) for m in group.members if m.previous_share is not None]
    rows = [ShareRow("this week", [(n, s) for n, s in now if s is not None])]
    if before:
        rows.append(ShareRow("last week", [(n, s) for n, s in before if s is not None]))
    chart = share_chart(rows, title=f"Share of voice: {group.campaign}")
    table = "".join(
        f"<tr><td>{escape(m.kind.value)}</td><td>#{escape(m.hashtag)}</td>"
        f"<td>{compact(m.views_growth)}</td><td>{_ratio(m.share)}</td>"
        f"<td>{_ratio(m.previous_share)}</td></tr>"
        for m in group.members
    )
    return (
        f"<h3>{escape(group.campaign)} — campaign share {_ratio(group.campaign_share)}</h3>"
        f"{chart}<table><tr><th>kind</th><th>hashtag</th><th>views growth</th>"
        f"<th>share</th><th>last week</th></tr>{table}</table>"
    )


def _hashtag_section(row: HashtagReport, index: int) -> str:
    bands = [
        Band(w.start, w.end, f"{w.anomaly.kind.value} week ({w.anomaly.metric})")
        for w in row.flagged_weeks
    ]
    views = [(p.cycle, float(p.views)) for p in row.series]
    videos = [(p.cycle, float(p.videos)) for p in row.series]
    color = PALETTE[index % len(PALETTE)]
    weekly = bar_chart(
        [
            Bar(
                f"{w.end:%b %d}",
                None if w.views_growth is None else float(w.views_growth),
                "#dc2626" if w.anomaly.flagged else color,
                f"⚠ {w.anomaly.kind.value}" if w.anomaly.flagged else "",
            )
            for w in row.weeks
        ],
        title=f"#{row.hashtag}: views growth per week",
        unit="",
        width=520,
    )
    tops = "".join(
        f"<li>{escape(v.video_id)} by {escape(v.author_id)}: {compact(v.plays)} plays, "
        f"engagement {_ratio(v.engagement_rate)}</li>"
        for v in row.top_videos
    )
    creators = "".join(
        f"<li>{escape(c.nickname or c.author_id)}: {c.videos} video(s), {compact(c.plays)} plays"
        "</li>"
        for c in row.top_creators
    )
    flagged = ", ".join(
        f"{w.end:%b %d} ({w.anomaly.kind.value}, {w.anomaly.metric})" for w in row.flagged_weeks
    )
    s7, s30 = row.summary_7d, row.summary_30d
    return (
        f'<div class="tag" id="tag-{escape(row.hashtag)}"><h3>#{escape(row.hashtag)} '
        f'<span class="muted">{escape(row.kind.value)} {escape(row.campaign or "")}</span></h3>'
        f"<p>7 days: views {compact(s7.views_delta)} ({_pct(s7.views_pct)}), "
        f"{compact(s7.views_per_hour)}/h; videos {compact(s7.videos_delta)}; "
        f"{s7.new_videos} new videos, {s7.new_creators} new creators. "
        f"30 days: views {compact(s30.views_delta)} ({_pct(s30.views_pct)}); videos "
        f"{compact(s30.videos_delta)}; {s30.new_videos} new videos. Ledger: "
        f"{row.videos_total} videos, {row.creators_total} creators ever seen. Reach "
        f"(latest sample): {compact(row.reach)} plays. Sentiment: negative "
        f"{_ratio(row.negative_share)} (change {_ratio(row.negative_share_change)}).</p>"
        + (f'<p class="anomaly">Anomalous weeks: {escape(flagged)}</p>' if flagged else "")
        + '<div class="charts">'
        + line_chart(views, title=f"#{row.hashtag}: views", color=color, bands=bands)
        + line_chart(videos, title=f"#{row.hashtag}: videos", color=color, bands=bands)
        + weekly
        + "</div>"
        + (f"<p><b>Top new videos</b></p><ol>{tops}</ol>" if tops else "")
        + (f"<p><b>Top creators</b></p><ol>{creators}</ol>" if creators else "")
        + "</div>"
    )


def report_html(report: Report) -> str:
    """The whole page; every chart is inline SVG, so it opens from disk or S3 alike."""
    day = f"{report.as_of:%Y-%m-%d}"
    skipped = "".join(f"<li>#{escape(s.hashtag)}: {escape(s.reason)}</li>" for s in report.skipped)
    groups = "".join(_group_section(g) for g in report.groups) or (
        '<p class="muted">No campaign groups (set the same campaign on a campaign and its '
        "competitors).</p>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Weekly hashtag report {day}</title><style>{_CSS}</style></head><body>"
        f"<h1>Weekly hashtag report {day}</h1>"
        f'<p class="sub">Week {report.week_start:%Y-%m-%d %H:%M} → {report.as_of:%Y-%m-%d %H:%M}'
        f" UTC · generated {report.generated_at:%Y-%m-%d %H:%M} UTC · anomalies judged "
        f"against up to {report.window_weeks} weeks of each hashtag's own history</p>"
        + _overview(report)
        + "<h2>Ranking by views growth</h2>"
        + _wow_chart(report)
        + _ranking_table(report)
        + "<h2>Share of voice</h2>"
        + groups
        + "<h2>Hashtags</h2>"
        + "".join(_hashtag_section(r, i) for i, r in enumerate(report.hashtags))
        + (f"<h2>Skipped</h2><ul>{skipped}</ul>" if skipped else "")
        + "</body></html>"
    )
