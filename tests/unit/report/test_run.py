"""make_report with in-memory sources: files, summary on the topic, skips, the event's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hashtag_tracker.models.hashtag import InvalidItem
from hashtag_tracker.report.run import ReportEventError, as_of_from_event, make_report
from tests.unit.report.fakes import (
    FakeSources,
    MemoryPublisher,
    MemorySink,
    ok,
    tracked,
)

AS_OF = datetime(2026, 11, 23, 9, tzinfo=UTC)
WEEK = timedelta(days=7)


def steady(name: str, weekly_views: int, last_week: int | None = None) -> list:  # type: ignore[type-arg]
    """Six weeks of snapshots at 06:00 on each boundary; the last week's growth can differ."""
    growths = [weekly_views] * 5 + [last_week if last_week is not None else weekly_views]
    start = AS_OF - timedelta(hours=3) - 6 * WEEK
    views, videos = 1_000_000, 1_000
    snaps = [ok(name, start, views, videos)]
    for i, growth in enumerate(growths, start=1):
        views += growth
        videos += growth // 1_000
        snaps.append(ok(name, start + i * WEEK, views, videos))
    return snaps


@pytest.fixture
def sources() -> FakeSources:
    src = FakeSources()
    src.add(tracked("brand", "campaign", "B"), steady("brand", 100_000, 900_000))
    src.add(tracked("rival", "competitor", "B"), steady("rival", 100_000))
    src.add(tracked("quiet", "trend"), steady("quiet", 50_000, 1_000))
    src.add(tracked("broken", "trend"), steady("broken", 50_000))
    src.failing.add("broken")
    src.items.append(InvalidItem(key="Bad Tag", reason="hashtag item 'Bad Tag' is invalid"))
    return src


def test_the_report_is_written_and_its_summary_names_movers_anomalies_and_the_link(
    sources: FakeSources,
) -> None:
    sink, topic = MemorySink(), MemoryPublisher()
    # When the weekly report is made
    result = make_report(AS_OF, sources, sink, topic, generated_at=AS_OF + timedelta(minutes=1))
    # Then three files are written under the report's day
    assert set(sink.files["2026-11-23"]) == {"report.json", "report.csv", "report.html"}
    assert sink.files["2026-11-23"]["report.csv"].content_type.startswith("text/csv")
    # and one summary goes to the topic with the subject people filter on
    [(subject, text)] = topic.messages
    assert subject == "Weekly hashtag report 2026-11-23"
    assert "1. #brand +" in text  # the top mover first
    assert "#brand: growth spike in views (9× its usual), views rising" in text
    assert "#quiet: growth stopped in views (0.02× its usual), views rising +0.1%" in text
    assert "Report: https://example.invalid/2026-11-23/report.html" in text
    assert "Skipped: #broken" in text
    assert result.published
    assert [r.hashtag for r in result.report.anomalies] == ["brand", "quiet"]


def test_one_unreadable_hashtag_and_one_invalid_item_do_not_stop_the_report(
    sources: FakeSources,
) -> None:
    result = make_report(AS_OF, sources, MemorySink(), None)
    # the others are reported; the broken one is named with its reason, never zero-filled
    assert {r.hashtag for r in result.report.hashtags} == {"brand", "rival", "quiet"}
    [skipped] = result.report.skipped
    assert skipped.hashtag == "broken" and "throttled" in skipped.reason
    assert result.invalid_items == ["hashtag item 'Bad Tag' is invalid"]
    assert not result.published
    assert result.as_dict()["skipped"] == ["broken"]


def test_reads_per_hashtag_are_three_bounded_queries(sources: FakeSources) -> None:
    make_report(AS_OF, sources, MemorySink(), None)
    per_tag = {
        name: [kind for kind, tag in sources.reads if tag == name] for name in ("brand", "rival")
    }
    assert per_tag == {
        "brand": ["snapshots", "ledger", "totals"],
        "rival": ["snapshots", "ledger", "totals"],
    }


def test_as_of_comes_from_the_on_demand_event_or_the_schedule() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert as_of_from_event({"as_of": "2026-11-23T09:00:00Z"}, now) == AS_OF
    assert as_of_from_event({"time": "2026-11-23T09:00:00Z", "detail": {}}, now) == AS_OF
    assert as_of_from_event({}, now) == now
    for bad in ({"as_of": "last monday"}, {"as_of": "2026-11-23T09:00:00"}, {"as_of": 5},
                {"as_of": "2027-01-01T00:00:00Z"}, ["not", "an", "object"]):  # fmt: skip
        with pytest.raises(ReportEventError):
            as_of_from_event(bad, now)


def test_a_naive_as_of_is_refused(sources: FakeSources) -> None:
    with pytest.raises(ValueError, match="timezone"):
        make_report(datetime(2026, 11, 23, 9), sources, MemorySink(), None)


def test_the_report_shows_the_providers_balance_when_one_was_reported(
    sources: FakeSources,
) -> None:
    """Issue 16: the balance of record (the provider's credits_remaining) is in the report's
    JSON, its HTML overview and the summary; without one, nothing is invented."""
    # Given a balance the workers kept for the report's month
    sources.balances["2026-11"] = (12_345, "2026-11-23T08:00:00Z")
    sink, publisher = MemorySink(), MemoryPublisher()

    # When the report is made
    result = make_report(AS_OF, sources, sink, publisher)

    # Then every reader sees it
    assert (result.report.balance, result.report.balance_at) == (12_345, "2026-11-23T08:00:00Z")
    files = sink.files["2026-11-23"]
    assert '"balance":12345' in files["report.json"].body.replace(" ", "")
    assert "data-API balance" in files["report.html"].body and "12,345" in files["report.html"].body
    assert "data-API balance 12,345 credits" in publisher.messages[0][1]

    # And a month with no reported balance shows none
    quiet = make_report(AS_OF + 10 * WEEK, FakeSources(), MemorySink(), None)
    assert quiet.report.balance is None
