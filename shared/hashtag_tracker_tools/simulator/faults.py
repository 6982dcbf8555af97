"""Fault knobs of the simulator and its plan rate limit (a sliding window on real time).

A knob's value is how many of the next matching answers it spoils (ALWAYS = every one).
Knobs are set globally or per hashtag; a per-hashtag knob is used first. A few settings
shape what a knob does (`slow_seconds`; the headers of a scripted 429).

A `slow` answer hangs until the client hangs up (its timeout) or the simulator stops, so it
outlasts any client timeout however loaded the machine is; `slow_seconds` caps the hang
for a client meant to get the late answer.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from email.utils import formatdate
from typing import Any

ALWAYS = -1

# Every knob, and the endpoints it applies to (None = all).
KNOBS: dict[str, frozenset[str] | None] = {
    "unauthorized": None,  # 401
    "forbidden": None,  # 403
    "out_of_credits": None,  # 402
    "server_errors": None,  # 500 (a burst of N)
    # Hang until the client gives up or the simulator stops (`slow_seconds`: answer at most
    # that late instead): a timeout whatever the client's timeout and the machine's load.
    "slow": None,
    "drop": None,  # read the request, then hang up without answering (an answer lost)
    "rate_limited": None,  # 429 whatever the plan, with the scripted headers below
    "malformed_json": None,  # 200 with a body that is not JSON
    "missing_fields": None,  # 200 with a documented field removed
    "zero_videos": frozenset({"hashtag"}),  # the upstream glitch: videoCount 0
    "zero_views": frozenset({"hashtag"}),  # viewCount 0
    # The glitch on a hashtag's first stats answer: videoCount 0 and viewCount 0. Used up
    # only by a first answer (the simulator has not answered that hashtag's stats before).
    "zero_first": frozenset({"hashtag"}),
    "counts_down": frozenset({"hashtag"}),  # videos/views lower than before (deleted videos)
}


@dataclass
class Faults:
    unauthorized: int = 0
    forbidden: int = 0
    out_of_credits: int = 0
    server_errors: int = 0
    slow: int = 0
    drop: int = 0
    rate_limited: int = 0
    malformed_json: int = 0
    missing_fields: int = 0
    zero_videos: int = 0
    zero_views: int = 0
    zero_first: int = 0
    counts_down: int = 0
    # A `slow` answer's longest hang in real seconds; None: until the client hangs up or the
    # simulator stops.
    slow_seconds: float | None = None
    # The headers of a scripted 429 (`rate_limited`). Retry-After: seconds to ask for (None:
    # no header), sent as delta-seconds or as an HTTP date (`retry_after_form`).
    retry_after_seconds: float | None = 1.0
    retry_after_form: str = "seconds"
    # X-RateLimit-Reset: seconds from now, negative for a reset already past (a clock
    # skewed behind the client's); None: no header.
    reset_in_seconds: float | None = 1.0

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _checked(knobs: Mapping[str, Any]) -> dict[str, Any]:
    allowed = {f.name for f in fields(Faults)}
    unknown = set(knobs) - allowed
    if unknown:
        raise ValueError(f"unknown fault knobs: {', '.join(sorted(unknown))}")
    for name, value in knobs.items():
        if name in SETTINGS:
            SETTINGS[name](value)
        elif isinstance(value, bool) or not isinstance(value, int) or value < ALWAYS:
            raise ValueError(f"{name} must be a count of answers, or {ALWAYS} for always")
    return dict(knobs)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_slow(value: Any) -> None:
    if value is not None and (not _number(value) or value < 0):
        raise ValueError("slow_seconds must be a number >= 0, or null to hang until hung up")


def _check_retry_after(value: Any) -> None:
    if value is not None and (not _number(value) or value < 0):
        raise ValueError("retry_after_seconds must be a number >= 0, or null for no header")


def _check_form(value: Any) -> None:
    if value not in RETRY_AFTER_FORMS:
        raise ValueError(f"retry_after_form must be one of {', '.join(RETRY_AFTER_FORMS)}")


def _check_reset(value: Any) -> None:
    if value is not None and not _number(value):
        raise ValueError("reset_in_seconds must be a number (< 0: past), or null for no header")


RETRY_AFTER_FORMS = ("seconds", "date")
# Fields of Faults that are settings, not counts of answers, and how each is checked.
SETTINGS: dict[str, Callable[[Any], None]] = {
    "slow_seconds": _check_slow,
    "retry_after_seconds": _check_retry_after,
    "retry_after_form": _check_form,
    "reset_in_seconds": _check_reset,
}


class FaultBook:
    """Global and per-hashtag knobs; not thread-safe on its own (the simulator locks)."""

    def __init__(self) -> None:
        self.global_faults = Faults()
        self.per_hashtag: dict[str, Faults] = {}

    def set(self, hashtag: str | None, knobs: Mapping[str, Any]) -> None:
        values = _checked(knobs)
        target = (
            self.global_faults
            if hashtag is None
            else self.per_hashtag.setdefault(hashtag, Faults())
        )
        for name, value in values.items():
            setattr(target, name, value)

    def clear(self) -> None:
        self.global_faults = Faults()
        self.per_hashtag.clear()

    def take(self, knob: str, endpoint: str, hashtag: str | None) -> Faults | None:
        """Use up one answer of `knob` if it is armed for this call; returns the knob's owner."""
        applies = KNOBS[knob]
        if applies is not None and endpoint not in applies:
            return None
        scoped = self.per_hashtag.get(hashtag) if hashtag is not None else None
        for owner in (scoped, self.global_faults):
            if owner is None:
                continue
            left: int = getattr(owner, knob)
            if left == ALWAYS:
                return owner
            if left > 0:
                setattr(owner, knob, left - 1)
                return owner
        return None

    def snapshot(self) -> dict[str, Any]:
        return {
            "global": self.global_faults.as_dict(),
            "hashtags": {name: f.as_dict() for name, f in sorted(self.per_hashtag.items())},
        }


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_in_seconds: float


class SlidingWindowLimit:
    """At most `limit` accepted calls in any window of 60/time_scale real seconds.

    Refused calls do not use up the window, as with the real API's 429s.
    """

    def __init__(
        self, limit: int, time_scale: float = 1.0, monotonic: Callable[[], float] | None = None
    ) -> None:
        if limit < 1 or time_scale <= 0:
            raise ValueError("limit must be >= 1 and time_scale > 0")
        self.limit = limit
        self.window = 60.0 / time_scale
        self._monotonic = monotonic or time.monotonic
        self._accepted: deque[float] = deque()

    def check(self) -> Verdict:
        now = self._monotonic()
        while self._accepted and self._accepted[0] <= now - self.window:
            self._accepted.popleft()
        if len(self._accepted) >= self.limit:
            reset = self._accepted[0] + self.window - now
            return Verdict(False, self.limit, 0, reset)
        self._accepted.append(now)
        reset = self._accepted[0] + self.window - now
        return Verdict(True, self.limit, self.limit - len(self._accepted), reset)


def unix_header(at: float) -> str:
    """A unix time for a header: whole seconds when whole, else millisecond precision."""
    return str(int(at)) if float(at).is_integer() else f"{at:.3f}"


def seconds_header(seconds: float) -> str:
    """Delta-seconds for Retry-After: whole when whole, else millisecond precision."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.3f}"


def scripted_429_headers(faults: Faults, wall_now: float, limit: int | None) -> dict[str, str]:
    """The headers of a scripted 429 (`rate_limited`), as its owner's settings say."""
    headers = {"X-RateLimit-Limit": str(limit or 10), "X-RateLimit-Remaining": "0"}
    if faults.reset_in_seconds is not None:
        headers["X-RateLimit-Reset"] = unix_header(wall_now + faults.reset_in_seconds)
    if faults.retry_after_seconds is not None:
        if faults.retry_after_form == "date":
            at = math.ceil(wall_now + faults.retry_after_seconds)
            headers["Retry-After"] = formatdate(at, usegmt=True)
        else:
            headers["Retry-After"] = seconds_header(faults.retry_after_seconds)
    return headers


def reset_header(wall_now: float, reset_in_seconds: float, time_scale: float) -> str:
    """X-RateLimit-Reset as unix time: whole seconds on the real time scale, with millisecond
    precision when a scaled minute lasts about a second. Always rounded up: a client that
    waits until the reset must never come back before the window frees."""
    at = wall_now + max(0.0, reset_in_seconds)
    if time_scale == 1:
        return str(math.ceil(at))
    return f"{math.ceil(at * 1000) / 1000:.3f}"
