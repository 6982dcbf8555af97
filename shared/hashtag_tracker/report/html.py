"""The report as one self-contained HTML page: inline CSS and SVG charts, opens offline."""

from __future__ import annotations

from html import escape

from hashtag_tracker.report.charts import (
    PALETTE,
    Band,
    Bar,
    Line,
    ShareRow,
    bar_chart,
    compact,
    line_chart,
    share_chart,
    share_lines_chart,
)
from hashtag_tracker.report.model import (
    CampaignGroup,
    Direction,
    HashtagReport,
    Pace,
    RankBy,
    Report,
    TopCreator,
    TopVideo,
)
from hashtag_tracker.report.render import RANK_TITLES, anomaly_words, pace_words

# Red is kept for anomalies: a slowing pace is amber; the count itself has its arrow.
PACE_COLORS = {
    Pace.ACCELERATING: "#16a34a",
    Pace.SLOWING: "#d97706",
    Pace.STEADY: "#6b7280",
    Pace.NEW: "#9ca3af",
}
ARROWS = {Direction.RISING: "▲", Direction.FALLING: "▼", Direction.FLAT: "▶", Direction.UNKNOWN: ""}
POSITIVE_COLOR = "#16a34a"
NEGATIVE_COLOR = "#d97706"

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
td.desc{text-align:left;max-width:420px}
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}%"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _signed(value: float | None) -> str:
    return "–" if value is None else ("+" if value >= 0 else "") + compact(value)


def _anomaly_text(row: HashtagReport) -> str:
    a = row.anomaly
    if not a.flagged:
        return ""
    return f"{anomaly_words(a)}; {a.method.value}, score {a.score}"


def _count(value: int | None, wow: int | None, pct: float | None, way: Direction) -> str:
    """Two cells: the count, and which way it moved this week ('▲ +200.0k (+20.0%)')."""
    return f"<td>{compact(value)}</td><td>{ARROWS[way]} {_signed(wow)} ({_pct(pct)})</td>"


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
        "<tr><th>#</th><th>hashtag</th><th>views</th><th>views this week</th><th>videos</th>"
        "<th>videos this week</th><th>avg 4w growth</th><th>growth pace</th><th>anomaly</th>"
        "<th>eng. mean</th><th>eng. median</th><th>eng. pooled</th><th>shares/video</th>"
        "<th>reach</th><th>new videos</th><th>new creators</th><th>ledger coverage</th>"
        "<th>negative</th><th>credits</th><th>missing</th></tr>"
    )
    rows = []
    for r in report.hashtags:
        color = PACE_COLORS[r.growth_pace]
        rows.append(
            f"<tr><td>{r.rank or '–'}</td><td>#{escape(r.hashtag)} "
            f'<span class="muted">{escape(r.kind.value)}</span></td>'
            + _count(r.views_now, r.views_wow, r.views_wow_pct, r.views_direction)
            + _count(r.videos_now, r.videos_wow, r.videos_wow_pct, r.videos_direction)
            + f"<td>{compact(r.views_growth_avg_4w)}</td>"
            f'<td style="color:{color}">{escape(pace_words(r))}</td>'
            f'<td class="anomaly">{escape(_anomaly_text(r))}</td>'
            f"<td>{_ratio(r.engagement_mean)}</td><td>{_ratio(r.engagement_median)}</td>"
            f"<td>{_ratio(r.engagement_pooled)}</td><td>{compact(r.shares_per_video)}</td>"
            f"<td>{compact(r.reach)}</td><td>{r.new_videos_week}</td>"
            f"<td>{r.new_creators_week}</td><td>{_ratio(r.ledger_coverage)}</td>"
            f"<td>{_ratio(r.negative_share)}</td>"
            f"<td>{r.credits_week}</td><td>{r.missing_cycles_week}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _rank_chart(report: Report) -> str:
    """Bars of the ranking's own key, in rank order."""
    by = report.rank_by
    bars = []
    for r in report.hashtags:
        if by is RankBy.ENGAGEMENT:
            value = None if r.engagement_pooled is None else 100 * r.engagement_pooled
        elif by is RankBy.VIEWS:
            value = None if r.views_now is None else float(r.views_now)
        else:
            value = r.views_wow_pct
        bars.append(
            Bar(
                label=f"#{r.hashtag}",
                value=value,
                color=PACE_COLORS[r.growth_pace],
                note=f"⚠ {r.anomaly.kind.label}" if r.anomaly.flagged else "",
            )
        )
    title = RANK_TITLES[by] + (" (week over week, %)" if by is RankBy.GROWTH else "")
    return bar_chart(
        bars,
        title=title[:1].upper() + title[1:],
        unit="" if by is RankBy.VIEWS else "%",
        signed=by is RankBy.GROWTH,
    )


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


def _video_rows(videos: list[TopVideo]) -> str:
    return "".join(
        f"<tr><td>{escape(v.video_id)}</td><td>{escape(v.author_id)}</td>"
        f"<td>{compact(v.plays)}</td><td>{compact(v.likes)}</td><td>{compact(v.comments)}</td>"
        f"<td>{compact(v.shares)}</td><td>{_ratio(v.engagement_rate)}</td>"
        f'<td class="desc">{escape(v.description or "")}</td></tr>'
        for v in videos
    )


def _videos_table(title: str, videos: list[TopVideo]) -> str:
    if not videos:
        return ""
    return (
        f"<p><b>{escape(title)}</b></p><table><tr><th>video</th><th>creator</th><th>plays</th>"
        "<th>likes</th><th>comments</th><th>shares</th><th>engagement</th><th>description</th>"
        f"</tr>{_video_rows(videos)}</table>"
    )


def _creators_table(title: str, creators: list[TopCreator]) -> str:
    if not creators:
        return ""
    rows = "".join(
        f"<tr><td>{escape(c.author_id)}</td><td>{escape(c.nickname or '')}</td>"
        f"<td>{c.videos}</td><td>{compact(c.plays)}</td><td>{compact(c.followers)}</td></tr>"
        for c in creators
    )
    return (
        f"<p><b>{escape(title)}</b></p><table><tr><th>creator</th><th>nickname</th>"
        f"<th>videos</th><th>plays</th><th>followers</th></tr>{rows}</table>"
    )


def _sentiment_chart(row: HashtagReport) -> str:
    days = row.sentiment_days
    return share_lines_chart(
        [
            Line("positive", [(d.day, d.positive) for d in days], POSITIVE_COLOR),
            Line("negative", [(d.day, d.negative) for d in days], NEGATIVE_COLOR),
        ],
        title=f"#{row.hashtag}: comment sentiment per day",
    )


def _sample_text(row: HashtagReport) -> str:
    if row.sample_videos is None:
        return "Video sample: none this week."
    return (
        f"Video sample ({row.sample_videos} videos, {row.unique_creators} creators): "
        f"{compact(row.reach)} plays, {compact(row.sample_likes)} likes, "
        f"{compact(row.sample_comments)} comments, {compact(row.sample_shares)} shares; "
        f"engagement mean {_ratio(row.engagement_mean)}, median {_ratio(row.engagement_median)}"
        f", pooled {_ratio(row.engagement_pooled)}; {compact(row.shares_per_video)} shares per "
        "video."
    )


def _coverage_text(row: HashtagReport) -> str:
    week = (
        f" This week it saw {row.new_videos_week} of the {compact(row.videos_wow)} videos the "
        f"tag gained ({_ratio(row.new_videos_coverage)})."
        if row.new_videos_coverage is not None
        else ""
    )
    return (
        f"Ledger: {row.videos_total} videos, {row.creators_total} creators ever seen, "
        f"{_ratio(row.ledger_coverage)} of the tag's {compact(row.videos_now)} videos.{week} "
        "New videos and new creators count only what the sampled pages showed."
    )


def _hashtag_section(row: HashtagReport, index: int) -> str:
    bands = [
        Band(w.start, w.end, f"{w.anomaly.kind.label} week ({w.anomaly.metric})")
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
                f"⚠ {w.anomaly.kind.label}" if w.anomaly.flagged else "",
            )
            for w in row.weeks
        ],
        title=f"#{row.hashtag}: views growth per week",
        unit="",
        width=520,
    )
    flagged = ", ".join(f"{w.end:%b %d} ({anomaly_words(w.anomaly)})" for w in row.flagged_weeks)
    s7, s30 = row.summary_7d, row.summary_30d
    per_video_note = (
        '<p class="muted">Comment sentiment is scored once a day over the comments of that '
        "day's most-played sampled videos together, so it is shown per day (the chart above), "
        "not per video.</p>"
    )
    return (
        f'<div class="tag" id="tag-{escape(row.hashtag)}"><h3>#{escape(row.hashtag)} '
        f'<span class="muted">{escape(row.kind.value)} {escape(row.campaign or "")}</span></h3>'
        f"<p>Views {row.views_direction.value} {_signed(row.views_wow)} this week "
        f"({_pct(row.views_wow_pct)}); {escape(pace_words(row))}.</p>"
        f"<p>7 days: views {compact(s7.views_delta)} ({_pct(s7.views_pct)}), "
        f"{compact(s7.views_per_hour)}/h; videos {compact(s7.videos_delta)}; "
        f"{s7.new_videos} new videos, {s7.new_creators} new creators. "
        f"30 days: views {compact(s30.views_delta)} ({_pct(s30.views_pct)}); videos "
        f"{compact(s30.videos_delta)}; {s30.new_videos} new videos. "
        f"{escape(_coverage_text(row))}</p>"
        f"<p>{escape(_sample_text(row))} Sentiment this week: positive "
        f"{_ratio(row.positive_share)}, negative {_ratio(row.negative_share)} (change "
        f"{_ratio(row.negative_share_change)}).</p>"
        + (f'<p class="anomaly">Anomalous weeks: {escape(flagged)}</p>' if flagged else "")
        + '<div class="charts">'
        + line_chart(views, title=f"#{row.hashtag}: views", color=color, bands=bands)
        + line_chart(videos, title=f"#{row.hashtag}: videos", color=color, bands=bands)
        + weekly
        + _sentiment_chart(row)
        + "</div>"
        + _videos_table("Top new videos by plays", row.top_videos)
        + _videos_table("Top new videos by engagement rate", row.top_videos_by_engagement)
        + (per_video_note if row.top_videos else "")
        + _creators_table("Top creators by plays", row.top_creators)
        + _creators_table("Top creators by videos", row.top_creators_by_videos)
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
        + f"<h2>Ranking by {escape(RANK_TITLES[report.rank_by])}</h2>"
        + _rank_chart(report)
        + _ranking_table(report)
        + "<h2>Share of voice</h2>"
        + groups
        + "<h2>Hashtags</h2>"
        + "".join(_hashtag_section(r, i) for i, r in enumerate(report.hashtags))
        + (f"<h2>Skipped</h2><ul>{skipped}</ul>" if skipped else "")
        + "</body></html>"
    )
