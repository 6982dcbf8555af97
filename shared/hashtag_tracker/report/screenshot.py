"""Screenshot a report page with headless Chromium: `python -m hashtag_tracker.report.screenshot
report.html out.png` (checks that the page renders its charts offline)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = "1280,2400"
TIMEOUT_SECONDS = 120


class ScreenshotError(RuntimeError):
    """No browser, or the browser did not produce the picture; the message says which."""


def find_browser() -> str | None:
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_command(browser: str, page: Path, out: Path, profile: Path) -> list[str]:
    # Every network-touching background feature is off: the page must render from disk alone.
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--screenshot={out}",
        f"--window-size={WINDOW}",
        page.resolve().as_uri(),
    ]


def screenshot(page: Path, out: Path, browser: str | None = None) -> Path:
    """Render `page` to the PNG `out`; raise ScreenshotError if that did not happen."""
    browser = browser or find_browser()
    if browser is None:
        raise ScreenshotError(f"no Chromium found on PATH (tried {', '.join(BINARIES)})")
    if not page.is_file():
        raise ScreenshotError(f"{page} does not exist")
    out = out.resolve()
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-shot-") as profile:
        try:
            done = subprocess.run(  # noqa: S603 - a fixed argv, no shell
                browser_command(browser, page, out, Path(profile)),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ScreenshotError(f"running {browser} failed: {exc}") from exc
    if not out.is_file() or out.stat().st_size == 0:
        raise ScreenshotError(
            f"{browser} wrote no screenshot (exit {done.returncode}): {done.stderr[-500:]}"
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        sys.stderr.write("usage: python -m hashtag_tracker.report.screenshot PAGE.html OUT.png\n")
        return 2
    try:
        written = screenshot(Path(args[0]), Path(args[1]))
    except ScreenshotError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    sys.stdout.write(f"wrote {written}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
