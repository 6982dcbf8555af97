"""Scheduler ticks with the polling plan: due tags only, in-flight tags held, the tick's
calls and credits, and one notice when the account cannot follow every tag (issue 15)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.scheduler import FanOutResult, TickSettings, fan_out
from hashtag_tracker.models.codec import decode_json
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.plan import InFlight, PlanEntry
from tests.unit.collection.fakes import FakeClaims, FakePlanBook, FakeSink, tick_ports

TICK = datetime(2026, 11, 22, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
SETTINGS = TickSettings()
NOTICE_SUBJECT = "More hashtags than the plan can poll at their longest intervals"


class FakeNotices:
    """Ops notices, published once per key like OpsNotices; every call is kept."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.published: list[tuple[str, str, str]] = []
        self.fail = fail

    def once(self, key: str, subject: str, text: str) -> None:
        self.calls.append(key)
        if self.fail:
            raise RuntimeError("SNS InternalError")
        if key not in {k for k, _, _ in self.published}:
            self.published.append((key, subject, text))


class Ticks:
    """Ticks of one schedule over one plan book, as the Scheduler function runs them."""

    def __init__(
        self,
        *names: str,
        book: FakePlanBook | None = None,
        settings: TickSettings = SETTINGS,
        notices: FakeNotices | None = None,
    ) -> None:
        self.items = [TrackedHashtag.parse({"hashtag": name}) for name in names]
        self.book = book or FakePlanBook()
        self.settings = settings
        self.notices = notices
        self.claims = FakeClaims()
        self.sinks: list[FakeSink] = []

    def run(self, tick: datetime = TICK) -> FanOutResult:
        sink = FakeSink()
        self.sinks.append(sink)
        ports = tick_ports(self.items, self.claims, sink, self.book)
        ports.notices = self.notices
        return fan_out(tick, settings=self.settings, ports=ports, now=tick + timedelta(seconds=5))

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The last tick's messages."""
        return [json.loads(body) for body in self.sinks[-1].bodies]

    @property
    def sent(self) -> list[str]:
        return [body["hashtag"]["hashtag"] for body in self.bodies]


def _entry(name: str, last_poll: datetime, interval: float, **extra: Any) -> PlanEntry:
    return PlanEntry(
        hashtag=name,
        interval_hours=interval,
        next_due=last_poll + timedelta(hours=interval),
        reason="calm: 3 new videos/6 h of 200",
        last_poll=last_poll,
        **extra,
    )


def test_due_and_new_tags_go_out_the_rest_wait_for_their_tick() -> None:
    # Given a tag due at 11:00, one due at 15:00, and one never polled
    ticks = Ticks("brand", "rival", "fresh")
    ticks.book.put_entries(
        [_entry("brand", TICK - 3 * HOUR, 2.0), _entry("rival", TICK - HOUR, 4.0)]
    )
    # When the 12:00 tick runs
    result = ticks.run()
    # Then the due one and the new one go out, the new one first (never polled: most urgent)
    assert ticks.sent == ["fresh", "brand"]
    assert (result.sent, result.due, result.carried, result.in_flight) == (2, 2, 0, 0)
    # and the one due at 15:00 goes out at 15:00, not before
    for hour in (13, 14):
        ticks.run(TICK.replace(hour=hour))
        assert "rival" not in ticks.sent
    ticks.run(TICK.replace(hour=15))
    assert "rival" in ticks.sent


def test_messages_carry_the_plan_they_were_sent_with_and_their_page_calls() -> None:
    # Given a tag sampled today and one not sampled yet
    ticks = Ticks("brand", "rival")
    brand = _entry("brand", TICK - 6 * HOUR, 6.0, heat=0.2, sampled_on=TICK.date())
    rival = _entry("rival", TICK - 6 * HOUR, 6.0)
    ticks.book.put_entries([brand, rival])
    # When the tick runs with room to spare
    ticks.run()
    messages = {
        m.hashtag.hashtag: m for m in (decode_json(b, FetchMessage) for b in ticks.sinks[0].bodies)
    }
    # Then each message holds its tag's plan, and the calls budgeted beyond the stats call:
    # the day's sample (1 video page, 2 comment pages) or, once sampled, a jump page
    assert messages["brand"].plan == brand and messages["rival"].plan == rival
    assert messages["brand"].page_calls == 1 and messages["rival"].page_calls == 3
    assert messages["brand"].cycle == TICK


def test_a_new_tags_message_has_no_plan() -> None:
    ticks = Ticks("fresh")
    ticks.run()
    [body] = ticks.bodies
    assert "plan" not in body and body["page_calls"] == 3


def test_sent_tags_are_in_flight_until_answered() -> None:
    # Given a tag sent at 12:00 (its lease runs 3 hours)
    ticks = Ticks("brand")
    ticks.book.put_entries([_entry("brand", TICK - 3 * HOUR, 1.0)])
    ticks.run()
    assert ticks.book.flights == {"brand": InFlight(TICK, TICK + 3 * HOUR)}
    # When the 13:00 tick runs before any reading (still due by its old plan)
    held = ticks.run(TICK + HOUR)
    # Then it is not sent again
    assert ticks.sent == [] and (held.in_flight, held.due) == (1, 0)
    # When the reading of 12:00 is answered with a plan due at 13:00
    ticks.book.put_entries([_entry("brand", TICK, 1.0)])
    released = ticks.run(TICK + 2 * HOUR)
    # Then the 14:00 tick sends it again
    assert ticks.sent == ["brand"] and released.in_flight == 0


def test_an_older_reading_does_not_release_a_later_flight() -> None:
    # Given a tag sent at 12:00 whose plan was last set by the 11:00 reading
    ticks = Ticks("brand")
    ticks.book.put_entries([_entry("brand", TICK - HOUR, 1.0)])
    ticks.run()
    # When the next tick runs
    result = ticks.run(TICK + HOUR)
    # Then the flight of 12:00 still holds it
    assert ticks.sent == [] and result.in_flight == 1


def test_an_unanswered_tag_is_sent_again_when_its_lease_ends() -> None:
    # Given a tag sent at 12:00 whose message is lost (never answered)
    ticks = Ticks("brand")
    ticks.book.put_entries([_entry("brand", TICK - 3 * HOUR, 1.0)])
    ticks.run()
    # When the ticks run up to the lease's end (15:00)
    for hour in (13, 14):
        assert ticks.run(TICK.replace(hour=hour)).in_flight == 1 and ticks.sent == []
    ticks.run(TICK.replace(hour=15))
    # Then the 15:00 tick sends it again, with a new lease
    assert ticks.sent == ["brand"]
    assert ticks.book.flights["brand"] == InFlight(TICK + 3 * HOUR, TICK + 6 * HOUR)


def test_a_two_hour_schedule_holds_a_flight_for_three_ticks() -> None:
    ticks = Ticks("brand", settings=TickSettings(tick_minutes=120))
    ticks.run()
    assert ticks.book.flights["brand"] == InFlight(TICK, TICK + 6 * HOUR)


def test_what_a_short_tick_cannot_send_is_carried_to_the_next() -> None:
    # Given eight new tags and 0.1 calls a minute: 5 calls a tick (6 less 10 %)
    names = [f"tag{i}" for i in range(8)]
    ticks = Ticks(*names, settings=TickSettings(rate_per_window=0.1))
    # When the 12:00 tick runs
    first = ticks.run()
    # Then five go out (stats only: no room for samples), three are carried
    assert ticks.sent == names[:5] and {b["page_calls"] for b in ticks.bodies} == {0}
    assert (first.call_capacity, first.due, first.carried, first.sent) == (5, 8, 3, 5)
    assert first.samples == 0
    # And the 13:00 tick sends the three carried, the five still in flight
    second = ticks.run(TICK + HOUR)
    assert ticks.sent == names[5:]
    assert (second.due, second.carried, second.in_flight) == (3, 0, 5)


def test_the_reported_rate_limit_lowers_the_ticks_calls() -> None:
    # Given the provider's headers said 2 calls a minute (the setting says 10)
    ticks = Ticks("brand", book=FakePlanBook(header_limit=2))
    result = ticks.run()
    # Then the tick paces at 2: 120 calls an hour less 10 %
    assert result.rate_per_minute == 2.0 and result.call_capacity == 108


def test_a_reported_limit_above_the_setting_changes_nothing() -> None:
    result = Ticks("brand", book=FakePlanBook(header_limit=50)).run()
    assert result.rate_per_minute == 10.0 and result.call_capacity == 540


def test_messages_still_queued_lower_the_ticks_calls() -> None:
    # Given 500 messages still queued from earlier ticks
    ticks = Ticks("brand", "rival")
    ticks.book.queued = 500
    assert ticks.run().call_capacity == 40
    # and a queue deeper than a tick's calls sends nothing (it never piles up)
    deep = Ticks("brand", "rival")
    deep.book.queued = 600
    result = deep.run()
    assert result.call_capacity == 0 and result.sent == 0 and result.carried == 2


def test_the_months_credits_cap_the_tick() -> None:
    # Given 100 credits left in the month, 204 hourly ticks before it ends: 3 × 100 / 204
    ticks = Ticks("a", "b", "c", book=FakePlanBook(credits_spent=19_900))
    result = ticks.run()
    # Then one credit, one poll
    assert result.credit_allowance == 1 and result.credits_planned == 1
    assert (result.sent, result.carried) == (1, 2)
    assert result.as_dict()["credit_allowance"] == 1


def test_a_budget_already_spent_sends_nothing() -> None:
    result = Ticks("a", book=FakePlanBook(credits_spent=20_000)).run()
    assert (result.credit_allowance, result.sent, result.carried) == (0, 0, 1)


def test_more_tags_than_the_account_can_follow_stretch_and_notify_once() -> None:
    # Given four campaigns (1.17 calls an hour at 6 h with their samples) and 204 credits
    # for the 204 hours left in the month (1 an hour)
    notices = FakeNotices()
    ticks = Ticks("a", "b", "c", "d", settings=TickSettings(monthly_budget=204), notices=notices)
    # When two ticks run
    first = ticks.run()
    second = ticks.run(TICK + HOUR)
    # Then the stats keep 6 h (the metric) while the samples wait, and ops hear of it once
    assert first.stretched_hours == 6.0 and second.stretched_hours is not None
    assert first.as_dict()["stretched_hours"] == 6.0
    assert notices.calls == ["capacity#2026-11", "capacity#2026-11"]
    [(_, subject, text)] = notices.published
    assert subject == NOTICE_SUBJECT
    assert text.startswith("4 tracked hashtags need 1.2 calls an hour")
    assert "allow 1.0" in text and "about 3 of 4 tags a day" in text
    assert "At 6-hour resolution this account can follow about 3 hashtags" in text
    # And the tick still sends what it can: 3 credits (3 × 204 / 204) for the 4 new tags
    assert (first.credit_allowance, first.sent, first.carried) == (3, 3, 1)


def test_a_failed_notice_never_fails_the_tick() -> None:
    notices = FakeNotices(fail=True)
    ticks = Ticks("a", "b", "c", "d", settings=TickSettings(monthly_budget=204), notices=notices)
    result = ticks.run()
    assert result.sent == 3 and ticks.claims.claims == {"2026-11-22T12:00:00Z": "done"}
    assert notices.calls == ["capacity#2026-11"]


def test_an_account_that_can_follow_every_tag_stretches_nothing() -> None:
    notices = FakeNotices()
    result = Ticks("a", "b", "c", "d", notices=notices).run()
    assert result.stretched_hours is None and notices.calls == []


def test_no_notice_port_still_reports_the_stretch() -> None:
    result = Ticks("a", "b", "c", "d", settings=TickSettings(monthly_budget=204)).run()
    assert result.stretched_hours == 6.0


def test_a_spent_budget_reports_the_stretch_it_notifies() -> None:
    # Given the month's budget spent before its end
    notices = FakeNotices()
    ticks = Ticks("a", book=FakePlanBook(credits_spent=20_000), notices=notices)
    # When a tick runs
    result = ticks.run()
    # Then ops hear that nothing can be polled, and the result does not say "can"
    [(_, _, text)] = notices.published
    assert "Nothing can be polled until the month's credits reset." in text
    assert result.stretched_hours is not None


def test_a_per_second_plans_header_is_read_per_second() -> None:
    from hashtag_tracker.collection.scheduler import tick_budget
    from hashtag_tracker.models.plan import TickFigures

    # Given a 50-a-second plan whose answers say X-RateLimit-Limit: 40 (a second)
    settings = TickSettings(rate_per_window=50, window_seconds=1.0)
    budget, rate = tick_budget(settings, TICK, TickFigures(0, 40), queued=0)
    # Then the tick paces at 40 a second: 2,400 a minute, 129,600 calls in an hour less 10 %
    assert rate == 2_400 and budget.calls == 129_600
