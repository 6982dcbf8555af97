"""One report per window: a redelivered run rewrites its own folder and publishes nothing
more; another window of the same day is stored apart; a failed publish gives its mark back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hashtag_tracker.report.run import MarkedSink, make_report
from hashtag_tracker.storage.errors import StorageError
from tests.unit.report.fakes import FakeSources, MemoryMarks, MemoryPublisher, MemorySink, tracked

AS_OF = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _sources() -> FakeSources:
    sources = FakeSources()
    sources.add(tracked("brand", "campaign", "B"))
    return sources


def test_a_second_run_of_the_same_window_publishes_nothing_more() -> None:
    marks, sink, topic = MemoryMarks(), MemorySink(), MemoryPublisher()
    first = make_report(AS_OF, _sources(), MarkedSink(sink, marks), topic)
    again = make_report(
        AS_OF, _sources(), MarkedSink(sink, marks), topic, generated_at=AS_OF + timedelta(hours=1)
    )
    assert (first.published, again.published, again.already_published) == (True, False, True)
    assert len(topic.messages) == 1
    assert list(sink.files) == ["2026-11-23"]


def test_another_window_of_the_same_day_is_stored_apart_with_its_own_summary() -> None:
    marks, sink, topic = MemoryMarks(), MemorySink(), MemoryPublisher()
    make_report(AS_OF, _sources(), MarkedSink(sink, marks), topic)
    later = AS_OF + timedelta(hours=6, microseconds=250)
    result = make_report(later, _sources(), MarkedSink(sink, marks), topic, generated_at=later)
    assert sorted(sink.files) == ["2026-11-23", "2026-11-23T150000Z"]
    assert result.published and len(topic.messages) == 2
    assert "2026-11-23T150000Z" in topic.messages[1][1]


def test_a_failed_publish_gives_the_mark_back_so_the_retry_publishes() -> None:
    class Down(MemoryPublisher):
        def publish_summary(self, subject: str, message: str) -> None:
            raise StorageError("publishing the report summary failed: throttled")

    marks, sink, topic = MemoryMarks(), MemorySink(), MemoryPublisher()
    with pytest.raises(StorageError):
        make_report(AS_OF, _sources(), MarkedSink(sink, marks), Down())
    retried = make_report(AS_OF, _sources(), MarkedSink(sink, marks), topic)
    assert retried.published and len(topic.messages) == 1
