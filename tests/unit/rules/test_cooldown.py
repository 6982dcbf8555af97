"""The cooldown decision: quiet per hashtag and rule, one escalation, re-claims after release."""

from __future__ import annotations

from hashtag_tracker.models.hashtag import HashtagKind
from hashtag_tracker.rules.alert import Alert, AlertRule, Severity
from hashtag_tracker.rules.cooldown import ClaimOutcome, decide
from tests.unit.rules.builders import at


def viral(hours: float, magnitude: float, cooldown: int = 24) -> Alert:
    return Alert(
        hashtag="trybrandx",
        rule=AlertRule.VIRAL,
        window=f"w{hours}",
        at=at(hours),
        severity=Severity.WARNING,
        kind=HashtagKind.CAMPAIGN,
        summary="s",
        magnitude=magnitude,
        cooldown_hours=cooldown,
    )


def test_first_alert_is_new_and_starts_the_cooldown() -> None:
    outcome, state = decide(None, viral(0, 1.5))
    assert outcome is ClaimOutcome.NEW
    assert state is not None and state.last_at == at(0) and state.version == 1


def test_inside_the_cooldown_a_similar_spike_is_suppressed() -> None:
    _, state = decide(None, viral(0, 1.5))
    outcome, written = decide(state, viral(6, 2.9))
    assert outcome is ClaimOutcome.COOLDOWN
    # Only the peak to beat moves; the alerted key and the cooldown's start stay
    assert written is not None and written.magnitude == 2.9
    assert (written.last_key, written.last_at, written.escalated) == (state.last_key, at(0), False)
    # A weaker one writes nothing
    assert decide(written, viral(7, 2.0)) == (ClaimOutcome.COOLDOWN, None)


def test_a_spike_twice_as_big_escalates_once() -> None:
    # Given an alert at magnitude 1.5
    _, state = decide(None, viral(0, 1.5))

    # When a spike of 3.0 (2x) comes inside the cooldown, then one of 10
    first, escalated = decide(state, viral(6, 3.0))
    second, _ = decide(escalated, viral(12, 10.0))

    # Then the first escalates, keeping the original cooldown start, and the second is quiet
    assert first is ClaimOutcome.ESCALATION
    assert escalated is not None and escalated.escalated and escalated.last_at == at(0)
    assert second is ClaimOutcome.COOLDOWN


def test_after_the_cooldown_a_new_alert_fires() -> None:
    _, state = decide(None, viral(0, 1.5))
    outcome, _ = decide(state, viral(24, 1.0))
    assert outcome is ClaimOutcome.NEW


def test_an_earlier_out_of_order_snapshot_is_inside_the_cooldown() -> None:
    _, state = decide(None, viral(24, 1.5))
    outcome, _ = decide(state, viral(18, 1.5))
    assert outcome is ClaimOutcome.COOLDOWN


def test_the_alert_that_wrote_the_cooldown_can_claim_again_after_release() -> None:
    # Given the cooldown was written by this very alert whose record is gone
    alert = viral(0, 1.5)
    _, state = decide(None, alert)

    # Then claiming it again publishes it (never lost)
    outcome, written = decide(state, alert)
    assert outcome is ClaimOutcome.NEW and written is not None and written.version == 2


def test_rules_without_cooldown_write_no_state() -> None:
    outcome, state = decide(None, viral(0, 1.0, cooldown=0))
    assert outcome is ClaimOutcome.NEW and state is None


def test_hourly_readings_of_the_same_moment_never_escalate() -> None:
    # Given a viral alert at 1.0 and a hot tag polled every hour after it
    outcome, state = decide(None, viral(0, 1.0))
    outcomes = [outcome]
    # When its magnitude keeps climbing, reading after reading, for a day
    for hour in range(1, 24):
        outcome, written = decide(state, viral(hour, 1.0 + 0.5 * hour))
        outcomes.append(outcome)
        state = written or state
    # Then one alert only: each stronger reading raised the peak to beat
    assert outcomes.count(ClaimOutcome.NEW) == 1
    assert set(outcomes[1:]) == {ClaimOutcome.COOLDOWN}
    assert state is not None and state.magnitude == 12.5 and not state.escalated


def test_a_second_surge_twice_the_peak_escalates_but_not_within_the_same_window() -> None:
    _, state = decide(None, viral(0, 1.0))
    # A reading an hour later at 2.5 is the same moment: its window overlaps the alerted one
    outcome, raised = decide(state, viral(1, 2.5))
    assert outcome is ClaimOutcome.COOLDOWN and raised is not None and raised.magnitude == 2.5
    # Six hours on, a surge at twice that peak is a moment of its own
    assert decide(raised, viral(6, 4.9))[0] is ClaimOutcome.COOLDOWN
    assert decide(raised, viral(6, 5.0))[0] is ClaimOutcome.ESCALATION
