"""The headless-Chromium screenshot of a report page (skipped where no Chromium is installed)."""

from __future__ import annotations

import os
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from hashtag_tracker.report.charts import PALETTE
from hashtag_tracker.report.compute import HashtagInputs, build_report, hashtag_report
from hashtag_tracker.report.html import report_html
from hashtag_tracker.report.screenshot import (
    ScreenshotError,
    browser_command,
    find_browser,
    main,
    screenshot,
)
from hashtag_tracker_tools.simulator.world import World
from tests.unit.report.fakes import tracked, world_snapshots

PAGE = (
    "<!DOCTYPE html><html><body><h1>report</h1>"
    '<svg class="chart" width="200" height="100"><rect x="0" y="0" width="200" height="100" '
    'fill="#2563eb"/></svg></body></html>'
)


def test_the_browser_runs_offline_headless_with_a_throwaway_profile(tmp_path: Path) -> None:
    argv = browser_command("chromium", tmp_path / "r.html", tmp_path / "o.png", tmp_path / "p")
    assert argv[0] == "chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-background-networking", "--disable-sync"):
        assert flag in argv
    assert f"--user-data-dir={tmp_path / 'p'}" in argv
    assert "--window-size=1280,2400" in argv
    assert argv[-1].startswith("file://")


def test_without_a_browser_it_says_so(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    page.write_text(PAGE)
    with pytest.raises(ScreenshotError, match="does not exist"):
        screenshot(tmp_path / "missing.html", tmp_path / "o.png", browser="/bin/true")
    # a "browser" that writes nothing is an error, not a silent success
    with pytest.raises(ScreenshotError, match="wrote no screenshot"):
        screenshot(page, tmp_path / "o.png", browser="/bin/true")
    assert main(["only-one-arg"]) == 2


# CI installs Chromium and sets REQUIRE_CHROMIUM=1, so there these tests run, never skip.
needs_chromium = pytest.mark.skipif(
    find_browser() is None and not os.environ.get("REQUIRE_CHROMIUM"),
    reason="Chromium is not installed",
)


@needs_chromium
def test_chromium_renders_the_page_to_a_png(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(PAGE)
    out = screenshot(page, tmp_path / "report.png")
    header = out.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 2400)


def _chart_pixels(png: Path) -> int:
    """Pixels painted in the charts' palette colours (bars, lines, share-of-voice bands)."""
    colours = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in PALETTE[:3]}
    image = Image.open(png).convert("RGB")
    return sum(n for n, rgb in image.getcolors(maxcolors=1 << 24) or [] if rgb in colours)


@needs_chromium
def test_the_weekly_report_page_shows_its_charts_in_chromium(tmp_path: Path) -> None:
    # Given a report page made from five weeks of a campaign and its competitor
    epoch = datetime(2026, 10, 26, tzinfo=UTC)
    as_of = epoch + timedelta(weeks=5, hours=9)
    world = World(epoch=epoch)
    rows = [
        hashtag_report(
            HashtagInputs(
                tracked(name, kind, "BrandX"),
                world_snapshots(world, name, epoch, as_of),
                [],
                [],
                (0, 0),
            ),
            as_of,
        )
        for name, kind in (("trybrandx", "campaign"), ("rivalfizz", "competitor"))
    ]
    page = tmp_path / "report.html"
    page.write_text(report_html(build_report(as_of, as_of, rows)), encoding="utf-8")
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body><h1>no charts</h1></body></html>")
    # When headless Chromium renders it, offline
    shot = screenshot(page, tmp_path / "report.png")
    control = screenshot(blank, tmp_path / "blank.png")
    # Then the charts are painted: thousands of pixels in the chart colours, none on a blank page
    assert _chart_pixels(shot) > 5_000
    assert _chart_pixels(control) == 0
