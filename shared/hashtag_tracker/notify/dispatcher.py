"""The worker's alert hook: evaluate the rules, claim each alert once, publish it to SNS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hashtag_tracker.clock import Clock
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.snapshot import Snapshot
from hashtag_tracker.notify.ports import AlertSink, AlertStore
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.rules.alert import Alert
from hashtag_tracker.rules.cooldown import ClaimOutcome
from hashtag_tracker.rules.engine import Assessment, assess

Assess = Callable[[TrackedHashtag, Snapshot, Sequence[Snapshot]], Assessment]


@dataclass
class DispatchResult:
    published: list[Alert] = field(default_factory=list)
    suppressed: list[tuple[Alert, ClaimOutcome]] = field(default_factory=list)
    decreased: tuple[str, ...] = ()


class AlertDispatcher:
    """Callable as the worker's AlertHook. Raises when a publish fails (after releasing its
    claim), so the worker's message is retried and the redelivery publishes the alert."""

    def __init__(
        self, store: AlertStore, sink: AlertSink, clock: Clock, rules: Assess = assess
    ) -> None:
        self._store = store
        self._sink = sink
        self._clock = clock
        self._rules = rules

    def __call__(
        self, hashtag: TrackedHashtag, snapshot: Snapshot, history: Sequence[Snapshot]
    ) -> DispatchResult:
        found = self._rules(hashtag, snapshot, history)
        result = DispatchResult(decreased=found.decreased)
        if found.decreased:
            metrics.add_metric(name="AlertDataQuality", unit="Count", value=1)
            logger.warning(
                "counters went backwards: a data-quality event, not growth",
                extra={"hashtag": hashtag.hashtag, "counters": list(found.decreased)},
            )
        for alert in found.alerts:
            self._dispatch(alert, result)
        return result

    def _dispatch(self, alert: Alert, result: DispatchResult) -> None:
        claim = self._store.claim(alert, self._clock.now())
        if not claim.publish:
            result.suppressed.append((alert, claim.outcome))
            metrics.add_metric(name="AlertsSuppressed", unit="Count", value=1)
            logger.info(
                "alert suppressed",
                extra={"alert": alert.key, "outcome": claim.outcome.value},
            )
            return
        to_send = (
            claim.alert.escalate() if claim.outcome is ClaimOutcome.ESCALATION else claim.alert
        )
        try:
            message_id = self._sink.publish(to_send)
        except Exception:
            # Give the window back so the retry publishes it: never lost, never doubled.
            self._store.release(claim)
            metrics.add_metric(name="AlertPublishFailed", unit="Count", value=1)
            logger.exception(
                "publishing an alert failed; released for retry", extra={"alert": alert.key}
            )
            raise
        self._store.confirm(claim, message_id, self._clock.now())
        result.published.append(to_send)
        metrics.add_metric(name="AlertsPublished", unit="Count", value=1)
        logger.info(
            "alert published",
            extra={
                "alert": to_send.key,
                "severity": to_send.severity.value,
                "outcome": claim.outcome.value,
                "message_id": message_id,
            },
        )
