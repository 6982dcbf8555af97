"""Operational notices (budget reached, key refused): published once per key, not per message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from hashtag_tracker.clock import Clock
from hashtag_tracker.collection.ports import OnceStore
from hashtag_tracker.observability import logger

NOTICE_TTL = timedelta(days=40)


class OpsNotices:
    def __init__(self, store: OnceStore, publish: Callable[[str, str], None], clock: Clock) -> None:
        self._store = store
        self._publish = publish
        self._clock = clock

    def once(self, key: str, subject: str, text: str) -> None:
        mark = f"notice#{key}"
        if not self._store.mark_once(mark, self._clock.now(), NOTICE_TTL):
            return
        logger.warning(subject, extra={"notice": key, "text": text})
        try:
            self._publish(subject, text)
        except Exception:
            # Not sent, so not "once" yet: the retry of this message must try again.
            self._store.unmark(mark)
            raise
