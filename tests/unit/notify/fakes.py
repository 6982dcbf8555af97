"""In-memory fakes of the alert store and the SNS publisher, with the real cooldown decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from hashtag_tracker.rules.alert import Alert
from hashtag_tracker.rules.cooldown import Claim, ClaimOutcome, CooldownState, decide


class FakeAlertStore:
    """Same contract as DynamoAlertStore: published/claimed records and cooldown states."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {}  # key -> "claimed" | "published"
        self.cooldowns: dict[str, CooldownState] = {}
        self.released: list[str] = []
        self._tokens = 0

    def claim(self, alert: Alert, now: datetime) -> Claim:
        if alert.key in self.records:
            return Claim(alert, ClaimOutcome.DUPLICATE)
        rule_key = f"{alert.hashtag}#{alert.rule.value}"
        previous = self.cooldowns.get(rule_key)
        outcome, written = decide(previous, alert)
        if not outcome.publish:
            return Claim(alert, outcome, previous=previous)
        self._tokens += 1
        self.records[alert.key] = "claimed"
        if written is not None:
            self.cooldowns[rule_key] = written
        return Claim(alert, outcome, str(self._tokens), previous, written)

    def confirm(self, claim: Claim, message_id: str, now: datetime) -> None:
        self.records[claim.alert.key] = "published"

    def release(self, claim: Claim) -> None:
        self.released.append(claim.alert.key)
        self.records.pop(claim.alert.key, None)
        rule_key = f"{claim.alert.hashtag}#{claim.alert.rule.value}"
        if claim.written is not None:
            if claim.previous is None:
                self.cooldowns.pop(rule_key, None)
            else:
                self.cooldowns[rule_key] = replace(claim.previous)


class FakeTopic:
    """Records what was published; `fail_next` makes the next publishes raise."""

    def __init__(self) -> None:
        self.published: list[Alert] = []
        self.fail_next = 0

    def publish(self, alert: Alert) -> str:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("SNS is unreachable")
        self.published.append(alert)
        return f"msg-{len(self.published)}"
