"""CLI arguments and report events: any input gives a result or one clear refusal."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.collection.scheduler import SchedulerEventError, tick_time_from_event
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.report.compute import HashtagInputs, build_report, hashtag_report
from hashtag_tracker.report.render import report_csv
from hashtag_tracker.report.run import ReportEventError, as_of_from_event
from hashtag_tracker_tools.cli import cli
from hashtag_tracker_tools.cli.app import THRESHOLD_KEYS, CliState
from tests.property.conftest import STABLE
from tests.property.strategies import ANY_TEXT, WORD_CHARS, json_values
from tests.unit.hashtag_fakes import InMemoryHashtagStore
from tests.unit.report.fakes import ok

pytestmark = pytest.mark.property

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
CLI_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=120
)


def add_arguments() -> st.SearchStrategy[list[str]]:
    hashtag = st.one_of(CLI_TEXT, st.text(WORD_CHARS, min_size=1, max_size=150))
    threshold = st.one_of(
        st.builds(
            lambda k, v: f"{k}={v}",
            st.sampled_from(THRESHOLD_KEYS),
            st.one_of(CLI_TEXT, st.integers(-5, 10**12).map(str), st.floats().map(str)),
        ),
        CLI_TEXT,
    )
    date = st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        CLI_TEXT,
    )
    options = st.lists(
        st.one_of(
            st.tuples(
                st.just("--kind"), st.one_of(st.sampled_from(["campaign", "trend"]), CLI_TEXT)
            ),
            st.tuples(st.just("--campaign"), CLI_TEXT),
            st.tuples(st.just("--threshold"), threshold),
            st.tuples(st.just("--start"), date),
            st.tuples(st.just("--end"), date),
        ),
        max_size=5,
    )
    return st.builds(
        lambda tag, opts: ["add", *(x for pair in opts for x in pair), "--", tag], hashtag, options
    )


@STABLE
@given(add_arguments())
def test_cli_add_with_any_arguments_stores_a_valid_item_or_refuses_in_one_line(
    args: list[str],
) -> None:
    """CLI arguments: `hashtag-tracker add` with any tag (any script, 150 characters, control
    characters), any kind, threshold, campaign and dates.
    Asserted: exit 0 and one valid, normalised item stored; or a non-zero exit with an
    `Error: ...` line, no traceback, and nothing written."""
    store = InMemoryHashtagStore()
    state = CliState(lambda: store, ManualClock(NOW))

    result = CliRunner().invoke(cli, args, obj=state)

    if result.exit_code == 0:
        [(name, item)] = store.items.items()
        assert TrackedHashtag.parse(item).hashtag == name
        return
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert any(line.startswith("Error:") for line in result.output.splitlines()), result.output
    assert store.items == {}


def events() -> st.SearchStrategy[Any]:
    offsets = st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
    times = st.builds(
        lambda when, tz: when.replace(tzinfo=tz).isoformat(),
        st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
        offsets,
    )
    naive = st.datetimes().map(lambda d: d.isoformat())
    value = st.one_of(times, naive, ANY_TEXT, json_values(max_leaves=3))
    return st.one_of(
        json_values(max_leaves=6),
        st.builds(lambda v: {"as_of": v}, value),
        st.builds(lambda v: {"time": v, "detail-type": "Scheduled Event"}, value),
    )


@STABLE
@given(events())
def test_any_report_event_gives_a_week_end_or_a_clear_refusal(event: Any) -> None:
    """Report events: any JSON event, `as_of` / `time` of any type, naive, zoned, future or
    garbage timestamps.
    Asserted: an aware UTC time no later than now (+5 min), or a one-line ReportEventError
    saying what to send; never another exception."""
    try:
        as_of = as_of_from_event(event, NOW)
    except ReportEventError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert as_of.tzinfo is not None and as_of.utcoffset() == timedelta(0)
    assert as_of <= NOW + timedelta(minutes=5)


@STABLE
@example("0001-01-01T00:00:00+01:00")
@given(
    st.builds(
        lambda minute, offset: f"0001-01-01T00:{minute:02d}:00+{offset:02d}:00",
        st.integers(0, 59),
        st.integers(1, 23),
    )
)
def test_a_report_event_at_the_edge_of_time_is_refused_clearly(as_of: str) -> None:
    """Report events at the edge of time.
    Input: `as_of` at the start of year 1 with a positive offset.
    Asserted: a ReportEventError (the Lambda answers with a clear message)."""
    with pytest.raises(ReportEventError):
        as_of_from_event({"as_of": as_of}, NOW)


@STABLE
@example({"detail-type": "Scheduled Event"})
@example({"time": (NOW + timedelta(days=3)).isoformat()})
@given(events())
def test_any_scheduler_event_gives_a_tick_near_now_or_a_clear_refusal(event: Any) -> None:
    """Scheduler events: any JSON event, `time` missing or of any type, naive, zoned, days
    ahead or behind, garbage.
    Asserted: an aware UTC tick no more than 15 minutes ahead of now and no more than 6
    hours behind it, or a one-line SchedulerEventError saying what to send; never a KeyError
    or another exception."""
    try:
        when = tick_time_from_event(event, NOW)
    except SchedulerEventError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
    assert NOW - timedelta(hours=6) <= when <= NOW + timedelta(minutes=15)


FORMULA_TEXT = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from(["=", "+", "-", "@", "\t", "\r", "", "'", " ="]),
    st.text(st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=40),
)


@STABLE
@example('=HYPERLINK("http://evil.example","click")')
@given(FORMULA_TEXT)
def test_no_csv_cell_starts_a_formula(campaign: str) -> None:
    """Report CSV cells (formula injection).
    Input: a campaign starting with `=`, `+`, `-`, `@`, a tab, a carriage return, a quote or
    anything else, on a tag whose views fell (negative numbers in its row).
    Asserted: read back, no text cell starts a formula: such a campaign reads as `'` plus the
    campaign; numbers are written unquoted."""
    item = TrackedHashtag(hashtag="tag", campaign=campaign)
    snaps = [
        ok("tag", NOW - timedelta(days=7), 2_000, 20),
        ok("tag", NOW - timedelta(hours=1), 1_000, 10),
    ]
    row = hashtag_report(HashtagInputs(item, snaps, [], [], (0, 0)), NOW)

    [cells] = list(csv.DictReader(io.StringIO(report_csv(build_report(NOW, NOW, [row])))))

    for column, cell in cells.items():
        if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
            float(cell)  # only a number may: -5 is a number, never a formula
            assert column != "campaign", cell
    expected = item.campaign or ""
    if expected.startswith(("=", "+", "-", "@", "\t", "\r")):
        expected = "'" + expected
    assert cells["campaign"] == expected
