"""The account balance: counted as the provider reports it, projected over the month, and one
ops notice when it will not last (issue 16)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hashtag_tracker.collection.balance import month_bounds, outlook
from hashtag_tracker.collection.handler import WorkerRun
from hashtag_tracker.collection.meter import CallMeter, charged
from hashtag_tracker.collection.pacing import CreditBudget
from hashtag_tracker.source.base import CallRecord
from tests.unit.collection.test_worker import FakeProvider, _deps
from tests.unit.collection.test_worker_run import EVENTS, _event


def test_a_lost_answer_counts_as_spent_and_a_request_never_sent_does_not() -> None:
    # A read timeout: the request went out, the provider may have charged it
    assert charged(CallRecord("stats", None, None, 1.5, "timeout", answer_lost=True)) == 1
    # Connection refused: nothing was sent
    assert charged(CallRecord("stats", None, None, 0.01, "refused")) == 0
    # A 2xx that is not JSON: may have been charged, so it counts (never under-count)
    assert charged(CallRecord("stats", 200, None, 0.1, "not JSON")) == 1
    # An error status costs nothing; the envelope's own figure wins when it said one
    assert charged(CallRecord("stats", 500, None, 0.1, "500")) == 0
    assert charged(CallRecord("videos", 200, 3, 0.1)) == 3


def test_the_meter_keeps_the_newest_balance_the_provider_reported() -> None:
    meter = CallMeter()
    meter.record(CallRecord("stats", 200, 1, 0.1, credits_remaining=900))
    meter.record(CallRecord("stats", 500, None, 0.1, "500"))  # said nothing: keeps 900
    assert meter.balance == 900
    meter.record(CallRecord("stats", 200, 1, 0.1, credits_remaining=899))
    assert (meter.balance, meter.credits, meter.calls) == (899, 2, 3)


def test_month_bounds_roll_over_the_year() -> None:
    start, end = month_bounds(datetime(2026, 12, 31, 23, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_the_projection_uses_this_months_rate_over_the_days_left() -> None:
    # Given 10 days into a 30-day month, 1,000 credits used and 1,500 left
    now = datetime(2026, 11, 11, tzinfo=UTC)
    projection = outlook(1_500, 1_000, now)
    # Then the rate is 100 a day, the 20 days left need 2,000: the balance does not last
    assert projection is not None
    assert projection.daily_rate == pytest.approx(100.0)
    assert projection.days_left == pytest.approx(20.0)
    assert projection.needed == pytest.approx(2_000.0)
    assert not projection.lasts and projection.runs_out_in_days == pytest.approx(15.0)
    assert "1,500 credits" in projection.text() and "15.0 days" in projection.text()
    # And exactly enough lasts
    assert outlook(2_000, 1_000, now).lasts  # type: ignore[union-attr]


def test_no_projection_in_the_months_first_day() -> None:
    assert outlook(10, 500, datetime(2026, 11, 1, 20, tzinfo=UTC)) is None


class ReportingProvider(FakeProvider):
    """Answers carry the account balance, as Scavio's envelope does."""

    def __init__(self, balance: int) -> None:
        super().__init__()
        self.balance = balance

    def _charge(self, endpoint: str, status: int, credits: int | None) -> None:
        self.calls.append(endpoint)
        self.balance -= credits or 0
        self.meter.record(
            CallRecord(endpoint, status, credits, 0.01, credits_remaining=self.balance)
        )


def test_a_batch_keeps_the_balance_and_warns_once_a_month_when_it_will_not_last() -> None:
    # Given mid-month, a month that already used 3,000 credits and a balance of 100 left
    provider = ReportingProvider(balance=100)
    deps, parts = _deps(provider)
    now = datetime(2026, 11, 15, 12, tzinfo=UTC)
    deps.clock.set(now)  # type: ignore[attr-defined]
    state = parts["state"]
    state.used["2026-11"] = 3_000  # type: ignore[attr-defined]
    deps.budget = CreditBudget(state, 100_000, pool_headroom=1)  # type: ignore[arg-type]
    body = json.loads(json.loads((EVENTS / "worker_batch.json").read_text())["Records"][0]["body"])
    body["cycle"] = "2026-11-15T12:00:00Z"

    # When two batches run
    for tag in ("a", "b"):
        body["hashtag"]["hashtag"] = tag
        WorkerRun(deps).process(_event(json.dumps(body))["Records"])

    # Then the State table keeps the provider's newest balance, and one notice went out
    assert state.balances["2026-11"] == provider.balance < 100  # type: ignore[attr-defined]
    published = parts["published"]
    assert [subject for subject, _ in published] == [  # type: ignore[attr-defined]
        "Data API credits will run out before the month ends"
    ]
    assert "credits" in published[0][1] and "runs out" in published[0][1]  # type: ignore[index]
