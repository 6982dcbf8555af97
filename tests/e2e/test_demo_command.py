"""The README's main command, shortened: it runs, exits 0 and shows what it did."""

from __future__ import annotations

from pathlib import Path

import pytest

from hashtag_tracker_tools.local.demo import main as demo_main

pytestmark = pytest.mark.e2e


def test_demo_command_runs_a_short_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The README's main command, shortened: exits 0 and writes its log
    code = demo_main(["--days", "1", "--out", str(tmp_path), "--time-scale", "3000"])
    assert code == 0
    assert (tmp_path / "handler-logs.jsonl").stat().st_size > 0
    shown = capsys.readouterr().out
    assert "#trybrandx" in shown and "credits" in shown


def test_scavio_provider_polls_the_given_api_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an API that speaks Scavio's protocol (the simulator stands in for the real one)
    from hashtag_tracker_tools.simulator import Simulator

    with Simulator() as api:
        monkeypatch.setenv("SCAVIO_API_KEY", api.api_key)
        # When the runner polls it for two hashtags
        code = demo_main(
            [
                "--provider", "scavio", "--api-base-url", api.base_url, "--rate-limit", "600",
                "--hashtag", "#TryBrandX", "--hashtag", "nosuchtag", "--out", str(tmp_path),
            ]
        )  # fmt: skip
        truth = api.truth()
    # Then one snapshot each is shown, the unknown tag as missing, and calls were really made
    assert code == 0
    shown = capsys.readouterr().out
    assert "#trybrandx" in shown and "ok" in shown
    assert "not_found" in shown
    assert truth.calls["hashtag"] == 2


def test_scavio_provider_without_a_key_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCAVIO_API_KEY", raising=False)
    code = demo_main(["--provider", "scavio", "--hashtag", "x", "--out", str(tmp_path)])
    assert code == 2
    assert "SCAVIO_API_KEY" in capsys.readouterr().out


@pytest.mark.parametrize("workers", ["0", "-2", "17", "two"])
def test_a_bad_worker_count_is_refused_before_anything_starts(
    workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from hashtag_tracker_tools.local.demo import parse_args

    with pytest.raises(SystemExit) as stopped:
        parse_args(["--workers", workers])
    assert stopped.value.code == 2
    assert "--workers" in capsys.readouterr().err
