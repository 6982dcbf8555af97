"""JSON, CSV and HTML renderings: documented columns, unknown is empty, page is self-contained."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from hashtag_tracker.models.codec import decode_json
from hashtag_tracker.report.compute import HashtagInputs, build_report, hashtag_report
from hashtag_tracker.report.html import report_html
from hashtag_tracker.report.model import Report
from hashtag_tracker.report.render import CSV_COLUMNS, Cell, neutralise, report_csv, report_json
from hashtag_tracker_tools.simulator.world import World
from tests.unit.report.fakes import ok, tracked, world_snapshots

EPOCH = datetime(2026, 10, 26, tzinfo=UTC)
AS_OF = EPOCH + timedelta(weeks=5, hours=9)
DOCUMENTED = (
    "rank,hashtag,kind,campaign,views_now,views_week_ago,views_wow,views_wow_pct,videos_now,"
    "videos_week_ago,videos_wow,videos_wow_pct,views_growth_avg_4w,views_direction,"
    "videos_direction,growth_pace,growth_vs_usual,anomaly,anomaly_metric,anomaly_method,"
    "anomaly_score,anomaly_vs_usual,views_per_hour_7d,views_growth_30d,views_growth_30d_pct,"
    "videos_growth_30d,share_of_voice,engagement_mean,engagement_median,engagement_pooled,"
    "shares_per_video,reach,sample_videos,sample_likes,sample_comments,sample_shares,"
    "unique_creators,new_videos_week,new_creators_week,videos_total,creators_total,"
    "ledger_coverage,new_videos_coverage,negative_share,positive_share,negative_share_change,"
    "credits_week,credits_30d,missing_cycles_week,suspect_cycles_week"
)


@pytest.fixture(scope="module")
def report() -> Report:
    world = World(epoch=EPOCH)
    rows = []
    for name, kind, campaign in (
        ("trybrandx", "campaign", "BrandX"),
        ("rivalfizz", "competitor", "BrandX"),
        ("viraltag", "trend", None),
    ):
        snaps = world_snapshots(world, name, EPOCH, AS_OF)
        rows.append(
            hashtag_report(
                HashtagInputs(tracked(name, kind, campaign), snaps, [], [], (0, 0)), AS_OF
            )
        )
    # a tag with a name that needs escaping in HTML is impossible (normalised), but a
    # campaign name is free text
    odd = tracked("fresh", "campaign", "<b>&Co</b>")
    rows.append(
        hashtag_report(
            HashtagInputs(odd, [ok("fresh", AS_OF - timedelta(hours=3), 10, 1)], [], [], (0, 0)),
            AS_OF,
        )
    )
    return build_report(AS_OF, AS_OF, rows)


def test_csv_has_the_documented_columns_one_row_per_hashtag_in_rank_order(
    report: Report,
) -> None:
    text = report_csv(report)
    lines = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == DOCUMENTED == ",".join(CSV_COLUMNS)
    assert [r["hashtag"] for r in lines] == [r.hashtag for r in report.hashtags]
    assert [r["rank"] for r in lines] == ["1", "2", "3", ""]
    brand = next(r for r in lines if r["hashtag"] == "trybrandx")
    assert float(brand["share_of_voice"]) > 0.5
    assert brand["views_direction"] == "rising"
    assert brand["growth_pace"] in {"accelerating", "slowing", "steady"}


def test_unknown_values_are_empty_cells_never_zero(report: Report) -> None:
    fresh = next(
        r for r in csv.DictReader(io.StringIO(report_csv(report))) if r["hashtag"] == "fresh"
    )
    for column in ("views_wow", "views_wow_pct", "views_week_ago", "engagement_mean", "reach"):
        assert fresh[column] == "", column
    assert fresh["views_now"] == "10"
    assert fresh["anomaly"] == "none"


def test_json_round_trips_to_the_same_report(report: Report) -> None:
    text = report_json(report)
    assert decode_json(text, Report) == report
    assert json.loads(text)["hashtags"][0]["rank"] == 1


def test_html_page_has_its_charts_inline_and_nothing_external(report: Report) -> None:
    page = report_html(report)
    svgs = re.findall(r"<svg class=\"chart\"", page)
    # ranking bars + a share-of-voice chart per group + (views, videos, weekly growth,
    # sentiment per day) per hashtag
    assert len(report.groups) == 2
    assert len(svgs) == 1 + 2 + 4 * len(report.hashtags)
    assert "Share of voice: BrandX" in page
    assert "#viraltag: views" in page and "#viraltag: videos" in page
    assert "#viraltag: comment sentiment per day" in page
    assert "anomaly-band" in page  # viraltag's spike week is shaded
    assert '<path d="M' in page  # a drawn line, not an empty chart
    # self-contained: no scripts, no stylesheets or images from anywhere, no URLs at all
    lowered = page.lower()
    for forbidden in ("<script", "<link", "<img", "<iframe", "http://", "https://", "url("):
        assert forbidden not in lowered, forbidden
    # free text is escaped
    assert "&lt;b&gt;&amp;Co&lt;/b&gt;" in page and "<b>&Co</b>" not in page


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("BrandX", "BrandX"),
        ("a=b", "a=b"),
        (-5, -5),
        (-0.5, -0.5),
        (None, None),
    ],
)
def test_a_text_cell_that_would_start_a_formula_is_quoted(value: Cell, cell: Cell) -> None:
    # Issue 17: a campaign '=HYPERLINK(...)' was a live formula in the CSV
    assert neutralise(value) == cell


def test_the_csv_quotes_a_formula_campaign_and_keeps_numbers() -> None:
    odd = tracked("fresh", "campaign", "=1+2")
    row = hashtag_report(
        HashtagInputs(odd, [ok("fresh", AS_OF - timedelta(hours=3), 10, 1)], [], [], (0, 0)),
        AS_OF,
    )
    [line] = csv.DictReader(io.StringIO(report_csv(build_report(AS_OF, AS_OF, [row]))))
    assert line["campaign"] == "'=1+2"
    assert line["views_now"] == "10"
