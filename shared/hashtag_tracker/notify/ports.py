"""What alert dispatch needs: the claim store that makes an alert exactly-once per rule and
window, and the sink that publishes it (the State table and the SNS topic in storage/)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from hashtag_tracker.rules.alert import Alert
from hashtag_tracker.rules.cooldown import Claim


class AlertStore(Protocol):
    def claim(self, alert: Alert, now: datetime) -> Claim: ...

    def confirm(self, claim: Claim, message_id: str, now: datetime) -> None: ...

    def release(self, claim: Claim) -> None: ...


class AlertSink(Protocol):
    def publish(self, alert: Alert) -> str:
        """Publish one alert and return its message id; raise when it was not taken."""
        ...
