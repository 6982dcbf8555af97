"""The hashtag CLI against an in-memory store: every bad value is one line and a non-zero exit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from hashtag_tracker.clock import ManualClock
from hashtag_tracker_tools.cli import cli
from hashtag_tracker_tools.cli.app import CliState
from tests.unit.hashtag_fakes import InMemoryHashtagStore


@pytest.fixture
def store() -> InMemoryHashtagStore:
    return InMemoryHashtagStore()


def run(store: InMemoryHashtagStore, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    state = CliState(lambda: store, ManualClock(datetime(2026, 11, 22, tzinfo=UTC)))
    return CliRunner().invoke(cli, list(args), obj=state, input=input)


def test_add_normalises_and_stores_the_documented_item(store: InMemoryHashtagStore) -> None:
    # When
    result = run(
        store,
        "add",
        "#TryBrandX",
        "--kind",
        "campaign",
        "--campaign",
        "BrandX",
        "--threshold",
        "viral_new_videos=50",
        "--start",
        "2026-11-01",
    )
    # Then
    assert result.exit_code == 0, result.output
    assert "tracking #trybrandx" in result.output
    item = store.items["trybrandx"]
    assert item["campaign"] == "BrandX"
    assert item["thresholds"]["viral_new_videos"] == 50
    assert item["start_date"] == "2026-11-01"
    assert item["created_at"] == "2026-11-22T00:00:00Z"
    assert item["active"] is True


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["add", "two words"], "space"),
        (["add", "brand", "--threshold", "viral_new_videos=abc"], "viral_new_videos"),
        (["add", "brand", "--threshold", "bogus=1"], "unknown threshold"),
        (["add", "brand", "--threshold", "novalue"], "KEY=VALUE"),
        (["add", "brand", "--kind", "rival"], "rival"),
        (["add", "brand", "--start", "2026-02-01", "--end", "2026-01-01"], "before"),
        (["add", "brand", "--start", "01/02/2026"], "01/02/2026"),
    ],
)
def test_bad_values_fail_with_one_line_and_write_nothing(
    store: InMemoryHashtagStore, args: list[str], fragment: str
) -> None:
    result = run(store, *args)
    assert result.exit_code != 0
    assert fragment in result.output
    assert store.items == {}


def test_add_twice_is_refused(store: InMemoryHashtagStore) -> None:
    assert run(store, "add", "brand").exit_code == 0
    result = run(store, "add", "#BRAND")
    assert result.exit_code == 1
    assert "already tracked" in result.output


def test_update_pause_resume_remove_cycle(store: InMemoryHashtagStore) -> None:
    run(store, "add", "brand", "--threshold", "viral_new_videos=50")
    # update merges thresholds instead of replacing them
    result = run(store, "update", "brand", "--threshold", "cooldown_hours=6", "--kind", "trend")
    assert result.exit_code == 0, result.output
    assert store.items["brand"]["thresholds"]["viral_new_videos"] == 50
    assert store.items["brand"]["thresholds"]["cooldown_hours"] == 6
    assert store.items["brand"]["kind"] == "trend"
    assert run(store, "pause", "brand").exit_code == 0
    assert store.items["brand"]["active"] is False
    assert run(store, "resume", "#Brand").exit_code == 0
    assert store.items["brand"]["active"] is True
    assert run(store, "remove", "brand", "--yes").exit_code == 0
    assert store.items == {}


def test_update_of_unknown_or_with_bad_value_changes_nothing(store: InMemoryHashtagStore) -> None:
    run(store, "add", "brand")
    before = dict(store.items["brand"])
    bad = run(store, "update", "brand", "--threshold", "cooldown_hours=0")
    assert bad.exit_code == 1
    assert store.items["brand"] == before
    missing = run(store, "pause", "ghost")
    assert missing.exit_code == 1
    assert "not tracked" in missing.output
    assert run(store, "update", "brand").exit_code == 2  # nothing to update


def test_list_reports_invalid_items_and_exits_non_zero(store: InMemoryHashtagStore) -> None:
    # Given one good item and one a user broke by hand in the console
    run(store, "add", "brand", "--campaign", "BrandX")
    store.items["bad item"] = {"hashtag": "bad item", "kind": "campaign"}
    # When
    result = run(store, "list")
    # Then the good one is listed and the bad one named on stderr
    assert "#brand" in result.output
    assert "bad item" in result.output and "space" in result.output
    assert "1 hashtag(s), 1 invalid item(s) skipped" in result.output
    assert result.exit_code == 3


def test_list_json_and_show(store: InMemoryHashtagStore) -> None:
    run(store, "add", "brand", "--campaign", "BrandX")
    run(store, "add", "rival", "--kind", "competitor", "--campaign", "BrandX")
    run(store, "add", "other", "--campaign", "Other")
    lines = run(store, "list", "--json", "--campaign", "BrandX").output.strip().splitlines()
    assert sorted(json.loads(line)["hashtag"] for line in lines) == ["brand", "rival"]
    shown = run(store, "show", "#Rival")
    assert shown.exit_code == 0
    assert "competitor" in shown.output and "viral_new_videos" in shown.output


def test_remove_asks_first(store: InMemoryHashtagStore) -> None:
    run(store, "add", "brand")
    result = run(store, "remove", "brand", input="n\n")
    assert result.exit_code == 1
    assert "brand" in store.items


def test_add_and_update_take_the_same_change_options() -> None:
    def options(name: str) -> list[tuple[tuple[str, ...], str | None]]:
        command = cli.commands[name]  # type: ignore[attr-defined]
        return [(tuple(p.opts), p.help) for p in command.params if p.opts[0].startswith("--")]

    shared = [
        (("--kind",), "campaign, competitor, trend"),
        (("--campaign",), "campaign group (shared with its competitors)"),
    ]
    assert options("add")[:2] == options("update")[:2] == shared
    assert [o for o, _ in options("add")] == [
        ("--kind",),
        ("--campaign",),
        ("--threshold",),
        ("--start",),
        ("--end",),
        ("--paused",),
    ]
    assert options("add")[:5] == options("update")


def test_add_with_only_dates_and_an_empty_campaign(store: InMemoryHashtagStore) -> None:
    result = run(store, "add", "brand", "--campaign", "", "--start", "2026-11-01", "--paused")
    assert result.exit_code == 0, result.output
    item = store.items["brand"]
    assert item["start_date"] == "2026-11-01" and item["active"] is False
    assert "campaign" not in item or item["campaign"] is None


def test_remove_raw_key_removes_exactly_the_stored_key(store: InMemoryHashtagStore) -> None:
    # Given the tracked hashtag and a hand-written alias keyed '#TryBrandX' (issue 17)
    run(store, "add", "trybrandx")
    store.items["#TryBrandX"] = {"hashtag": "#TryBrandX"}
    # When the alias is removed by its raw key
    result = run(store, "remove", "--raw-key", "#TryBrandX", "--yes")
    # Then only the alias is gone
    assert result.exit_code == 0, result.output
    assert "removed the item keyed '#TryBrandX'" in result.output
    assert list(store.items) == ["trybrandx"]


def test_remove_raw_key_asks_first_naming_the_key(store: InMemoryHashtagStore) -> None:
    store.items["#TryBrandX"] = {"hashtag": "#TryBrandX"}
    result = run(store, "remove", "--raw-key", "#TryBrandX", input="n\n")
    assert result.exit_code == 1
    assert "the item keyed '#TryBrandX'" in result.output
    assert "#TryBrandX" in store.items


def test_remove_of_a_name_only_an_alias_holds_points_at_raw_key(
    store: InMemoryHashtagStore,
) -> None:
    store.items["#TryBrandX"] = {"hashtag": "#TryBrandX"}
    result = run(store, "remove", "#TryBrandX", "--yes")
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: hashtag 'trybrandx' is not tracked") and "--raw-key" in line


def test_fix_key_moves_an_alias_to_its_normalised_name_with_its_settings(
    store: InMemoryHashtagStore,
) -> None:
    store.items["ＴｒｙＢｒａｎｄＸ"] = {
        "hashtag": "ＴｒｙＢｒａｎｄＸ",
        "kind": "competitor",
        "thresholds": {"viral_new_videos": 9},
    }
    result = run(store, "fix-key", "ＴｒｙＢｒａｎｄＸ")
    assert result.exit_code == 0, result.output
    assert list(store.items) == ["trybrandx"]
    item = store.items["trybrandx"]
    assert item["kind"] == "competitor" and item["thresholds"]["viral_new_videos"] == 9
    assert item["updated_at"] == "2026-11-22T00:00:00Z"


def test_fix_key_refuses_when_the_name_is_tracked(store: InMemoryHashtagStore) -> None:
    run(store, "add", "trybrandx")
    store.items["#TryBrandX"] = {"hashtag": "#TryBrandX"}
    result = run(store, "fix-key", "#TryBrandX")
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert "already tracked" in line and "remove --raw-key" in line
    assert sorted(store.items) == ["#TryBrandX", "trybrandx"]


def test_fix_key_of_a_normalised_key_changes_nothing(store: InMemoryHashtagStore) -> None:
    run(store, "add", "brand")
    before = dict(store.items)
    result = run(store, "fix-key", "brand")
    assert result.exit_code == 0 and "nothing to fix" in result.output
    assert store.items == before


@pytest.mark.parametrize("value", ["inf", "1e200", "nan", "-1", "1e-300"])
def test_an_unbounded_threshold_is_one_line(store: InMemoryHashtagStore, value: str) -> None:
    result = run(store, "add", "brand", "--threshold", f"viral_growth_pct={value}")
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error:") and "viral_growth_pct" in line
    assert store.items == {}


def test_a_campaign_with_a_line_break_is_refused(store: InMemoryHashtagStore) -> None:
    result = run(store, "add", "brand", "--campaign", "BrandX\n#forged")
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error:") and "campaign" in line
    assert store.items == {}


def test_a_status_with_a_line_break_stays_on_its_row(store: InMemoryHashtagStore) -> None:
    run(store, "add", "brand")
    store.items["brand"]["status"] = "not_found\n#forged row"
    result = run(store, "list")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("#brand")
    assert len(result.output.splitlines()) == 2  # the row and the count
