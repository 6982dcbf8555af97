"""`make local-stack` lives: on a machine with no AWS credentials, a tag added with
`hashtag-tracker --local add` after the stack started is collected on simulated time, and
`status` shows its reading (the simulator's own figures for it), as the README walks through."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hashtag_tracker.clock import from_iso
from hashtag_tracker_tools.simulator import procedural_profile

pytestmark = pytest.mark.e2e

START = datetime(2026, 12, 7, tzinfo=UTC)
SPEED = 3600  # a simulated hour per real second: an hourly tick every second
STARTUP_SECONDS = 120
COLLECT_SECONDS = 90


def no_credentials_env(home: Path) -> dict[str, str]:
    """This environment without any AWS setting, and a home without ~/.aws."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
        AWS_CONFIG_FILE=str(home / "no-config"),
        COLUMNS="250",
    )
    return env


@pytest.fixture
def live_stack(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], Path]]:
    """(working folder, environment, stack's stdout): the live stack running there."""
    home = tmp_path / "home"
    home.mkdir()
    env = no_credentials_env(home)
    out = tmp_path / "stack.out"
    command = [
        sys.executable, "-m", "hashtag_tracker_tools.local.live",
        "--port", "0", "--simulator-port", "0", "--speed", str(SPEED),
        "--start", START.isoformat(), "--no-report",
    ]  # fmt: skip
    with out.open("w") as stdout:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=stdout, stderr=subprocess.STDOUT
        )
    try:
        # Ready once its first tick is done (and printed)
        deadline = time.monotonic() + STARTUP_SECONDS
        while "tick:" not in out.read_text():
            assert process.poll() is None, out.read_text()
            assert time.monotonic() < deadline, "the stack did not tick: " + out.read_text()
            time.sleep(0.2)
        yield tmp_path, env, out
    finally:
        process.terminate()
        try:
            assert process.wait(timeout=60) == 0, out.read_text()
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def hashtag_tracker(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hashtag_tracker_tools.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def status_of(cwd: Path, env: dict[str, str], name: str) -> dict[str, Any]:
    result = hashtag_tracker(cwd, env, "--local", "status", "--json")
    assert result.returncode == 0, result.stderr
    (row,) = [r for r in json.loads(result.stdout)["hashtags"] if r["hashtag"] == name]
    return row  # type: ignore[no-any-return]


def test_a_tag_added_to_the_live_stack_is_collected_without_aws_credentials(
    live_stack: tuple[Path, dict[str, str], Path],
) -> None:
    cwd, env, out = live_stack
    assert not any(k.startswith("AWS_ACCESS") or k == "AWS_PROFILE" for k in env)
    # Given the stack has ticked already, with nothing tracked
    assert "tick: 0 hashtag(s) polled" in out.read_text()
    # When the user adds a tag (no AWS credentials anywhere)
    added = hashtag_tracker(cwd, env, "--local", "add", "#MyLaunch", "--kind", "campaign")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "tracking #mylaunch (campaign)"
    # Then within a few simulated hours `status` shows its reading
    deadline = time.monotonic() + COLLECT_SECONDS
    row = status_of(cwd, env, "mylaunch")
    while row["last_reading"] is None:
        assert time.monotonic() < deadline, out.read_text()
        time.sleep(0.5)
        row = status_of(cwd, env, "mylaunch")
    reading = row["last_reading"]
    cycle = from_iso(reading["cycle"])
    # collected at a tick after the first one (the tag did not exist then) ...
    assert cycle > START
    # ... with the simulator's own figures for the tag at that time
    profile = procedural_profile("mylaunch")
    hours = (cycle - START).total_seconds() / 3600
    assert (reading["views"], reading["videos"]) == (
        profile.views_at(hours),
        profile.videos_at(hours),
    )
    assert reading["taken_at"] == reading["cycle"]
    assert "tick: 1 hashtag(s) polled" in out.read_text()
    # And the table, history and alerts read the same stack in its simulated time
    table = hashtag_tracker(cwd, env, "--local", "status")
    assert table.returncode == 0 and "#mylaunch" in table.stdout
    assert (
        f"{reading['views']:,}"
        in hashtag_tracker(cwd, env, "--local", "history", "mylaunch").stdout
    )
    alerts = hashtag_tracker(cwd, env, "--local", "alerts", "--since", "1d", "--json")
    assert alerts.returncode == 0, alerts.stderr
    since = from_iso(json.loads(alerts.stdout)["since"])
    # "1d" back from the stack's simulated now (at or after its reading), not the wall clock
    assert since + timedelta(days=1) >= cycle
