"""The headless-Chromium screenshot of a report page (skipped where no Chromium is installed)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from hashtag_tracker.report.screenshot import (
    ScreenshotError,
    browser_command,
    find_browser,
    main,
    screenshot,
)

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


@pytest.mark.skipif(find_browser() is None, reason="Chromium is not installed")
def test_chromium_renders_the_page_to_a_png(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(PAGE)
    out = screenshot(page, tmp_path / "report.png")
    header = out.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 2400)
