"""The demo's campaign world: what is tracked, how each tag behaves, and the day things break."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hashtag_tracker_tools.simulator import (
    DEFAULT_PROFILES,
    Profile,
    ProfileKind,
    procedural_profile,
)

# A Monday, so weekly reports fall on Mondays as the default schedule has them.
DEFAULT_START = datetime(2026, 10, 5, tzinfo=UTC)
REPORT_HOUR = 9


@dataclass(frozen=True)
class Tracked:
    """One hashtag as a user would add it with the CLI, and the simulated tag behind it."""

    name: str
    kind: str
    campaign: str | None
    profile: Profile
    role: str  # what this tag shows in the demo, in a few words


@dataclass(frozen=True)
class FailureWindow:
    """Every fetch of `hashtag` answers 500 from `start` for `hours` (an upstream outage)."""

    hashtag: str
    start_day: float
    hours: float

    def active(self, start: datetime, when: datetime) -> bool:
        begin = start + timedelta(days=self.start_day)
        return begin <= when < begin + timedelta(hours=self.hours)


@dataclass(frozen=True)
class Scenario:
    tracked: tuple[Tracked, ...]
    invalid_items: tuple[dict[str, object], ...]
    failures: tuple[FailureWindow, ...] = field(default_factory=tuple)
    start: datetime = DEFAULT_START

    def profiles(self) -> dict[str, Profile]:
        return {t.name: t.profile for t in self.tracked}


# A summer campaign that burns bright in its first week and is dead by the third.
SUMMER_DROP = Profile(
    ProfileKind.DECAYING,
    base_videos=400,
    base_views=1_500_000,
    rate=25.0,
    decay_tau=40.0,
    views_per_video=2_500.0,
    tail_views_per_hour=50.0,
    creators=50,
)


# A launch that warms up over half a day on day 5: its rate ramps up logistically, so the
# planner tightens its interval step by step before the viral rule is met.
SLOW_BURN = Profile(
    ProfileKind.VIRAL,
    base_videos=600,
    base_views=2_000_000,
    rate=2.0,
    spike_at_hours=4 * 24 + 7.5,
    spike_rate=90.0,
    spike_tau=16.0,
    spike_ramp_hours=10.0,
    creators=45,
)


def default_scenario(extra_hashtags: int = 0, start: datetime = DEFAULT_START) -> Scenario:
    """The README's demo: a brand campaign with a viral moment and its competitors, a steady
    trend tag, a campaign that dies, a launch that heats up gradually, a tag whose fetches
    fail for a day, one invalid item."""
    p = DEFAULT_PROFILES
    tracked = [
        Tracked("trybrandx", "campaign", "BrandX", p["trybrandx"], "brand campaign, goes viral"),
        Tracked("rivalfizz", "competitor", "BrandX", p["rivalfizz"], "competitor, steady"),
        Tracked("colacrew", "competitor", "BrandX", p["colacrew"], "competitor, fading"),
        Tracked("steadytag", "trend", None, p["steadytag"], "category trend, steady"),
        Tracked("viraltag", "trend", None, p["viraltag"], "trend with a spike"),
        Tracked("summerdrop", "campaign", "SummerDrop", SUMMER_DROP, "campaign that dies"),
        Tracked("slowburn", "campaign", "Growth", SLOW_BURN, "launch that heats up gradually"),
        Tracked("growingtag", "campaign", "Growth", p["growingtag"], "fetches fail for a day"),
    ]
    tracked.extend(
        Tracked(f"tag{i:04d}", "trend", None, procedural_profile(f"tag{i:04d}"), "filler")
        for i in range(extra_hashtags)
    )
    return Scenario(
        tracked=tuple(tracked),
        # Written straight to the table, as a console user might: the scheduler reports it.
        invalid_items=({"hashtag": "Summer Sale!", "kind": "campaign"},),
        failures=(FailureWindow("growingtag", start_day=9.0, hours=24.0),),
        start=start,
    )
