"""The polling planner (pure): how often each hashtag is polled, and which go out at a tick.

Two decisions, both pure functions of what they are given (README, "Polling"):

- `next_plan`, after each reading of a tag: its interval moves between the tag's minimum and
  maximum with what the data shows. Velocity near the viral threshold (`heat` ≥ 0.8), a viral
  alert, or acceleration (the last interval's pace ≥ 2× the one before, with heat ≥ 0.1)
  sends it to its minimum at once. Otherwise a steady pace deserves an interval between the
  bounds (the maximum at heat ≤ 0.2, geometric in between): a warmer tag goes there at once,
  a calmer one relaxes toward it step by step (doubling). Falling counts or a lost or
  suspect reading halve it.
- `plan_tick`, at each tick of the schedule: the due tags, most urgent first (heat × how
  overdue), as many as the tick's call capacity and credit allowance allow; the rest are
  carried to the next tick. Daily samples (a video page, comment pages) ride on polls in
  ticks with spare capacity, spread over the day.

This follows the shape of freshness-optimal crawling under a politeness constraint (probe
sources whose content changes faster more often, space a source's probes evenly, never starve
one: Cho & Garcia-Molina, "Effective page refresh policies for web crawlers", ACM TODS 2003;
Kolobov et al., "Optimal freshness crawl under politeness constraints", SIGIR 2019): here the
politeness constraint is the plan's rate limit (calls at least δ apart), the crawl budget the
month's credits, and "change" the tag's velocity against its own viral threshold, which is
what an alert needs. It is a heuristic of that shape, not the papers' optimal schedule: our
value of a poll is detection lag, which the heat measures directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hashtag_tracker.collection.policy import FetchPolicy
from hashtag_tracker.models.hashtag import HashtagKind, TrackedHashtag
from hashtag_tracker.models.plan import MAX_REASON_LENGTH, MIN_INTERVAL_HOURS, PlanEntry
from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus
from hashtag_tracker.rules.engine import MIN_PCT_BASE_VIDEOS, MIN_PCT_BASE_VIEWS, viral_alert
from hashtag_tracker.rules.growth import (
    VIRAL_WINDOW,
    usable_before,
)

# The default interval bounds per kind, in hours (README, "Polling").
# Measured (bench/RESULTS.md, section 1): with 12 h for calm competitors and trends, a step
# onset on one waited up to 10 h (a spike can fade before it is read); with 6 h every kind
# is read at least as often as the fixed 6-hour cadence, and hot tags far more often.
DEFAULT_BOUNDS: dict[HashtagKind, tuple[float, float]] = {
    HashtagKind.CAMPAIGN: (1.0, 6.0),
    HashtagKind.COMPETITOR: (2.0, 6.0),
    HashtagKind.TREND: (2.0, 6.0),
}
# At this heat and above a tag is polled at its minimum; at COLD and below it relaxes to its
# maximum; in between, a steady pace settles between the two (heat_interval).
HOT = 0.8
COLD = 0.2
ACCELERATION = 2.0
ACCELERATION_MIN_HEAT = 0.1
# Velocity is measured over the last readings within this span (the oldest one in it).
VELOCITY_SPAN = timedelta(hours=8)
# Missing readings that a sooner poll cannot mend: back off instead.
QUIET_MISSING = frozenset({"budget_exhausted", "not_found", "out_of_credits"})
# A tag never polled yet goes first.
NEW_TAG_URGENCY = float("inf")
# A tick may spend up to this many times its even share of the month's remaining credits.
ALLOWANCE_BURST = 3.0
# What the heat says of a first reading (nothing to measure a pace against).
NO_BASE = "no earlier reading"
# Share of a tick's calls kept free (deferred retries, a campaign's extra video page).
CAPACITY_MARGIN = 0.10


@dataclass(frozen=True, slots=True)
class Bounds:
    min_hours: float
    max_hours: float

    def clamp(self, hours: float) -> float:
        return min(self.max_hours, max(self.min_hours, hours))


def bounds_for(hashtag: TrackedHashtag, fixed_hours: float | None = None) -> Bounds:
    """The tag's interval bounds: a fixed cadence for every tag when set, else the tag's own
    overrides, else its kind's defaults."""
    if fixed_hours:
        fixed = max(MIN_INTERVAL_HOURS, fixed_hours)
        return Bounds(fixed, fixed)
    low, high = DEFAULT_BOUNDS[hashtag.kind]
    limits = hashtag.thresholds
    if limits.max_interval_hours is not None:
        high = limits.max_interval_hours
        low = min(low, high)  # a longest interval below the kind's shortest wins
    if limits.min_interval_hours is not None:
        low = limits.min_interval_hours
    return Bounds(low, max(low, high))


# -- after a reading: the tag's next interval ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Heat:
    """The tag's pace against its viral rule, projected to the rule's 6-hour window."""

    value: float
    text: str


def measure_heat(hashtag: TrackedHashtag, snapshot: Snapshot, history: Sequence[Snapshot]) -> Heat:
    """Heat of a usable reading: the largest of (new videos, views %, videos %) per 6 h at the
    pace since the oldest reading of the last VELOCITY_SPAN (else the previous one), over the
    rule's threshold. 0 with no earlier reading."""
    earlier = usable_before(snapshot, history)
    if not earlier or snapshot.views is None or snapshot.videos is None:
        return Heat(0.0, NO_BASE)
    recent = [s for s in earlier if s.cycle >= snapshot.cycle - VELOCITY_SPAN]
    base = recent[0] if recent else earlier[-1]
    hours = (snapshot.cycle - base.cycle).total_seconds() / 3600
    if hours <= 0 or base.views is None or base.videos is None:
        return Heat(0.0, NO_BASE)
    scale = VIRAL_WINDOW.total_seconds() / 3600 / hours
    limits = hashtag.thresholds
    new_videos = max(0, snapshot.videos - base.videos) * scale
    options = [
        (
            new_videos / limits.viral_new_videos,
            f"{new_videos:,.0f} new videos/6 h of {limits.viral_new_videos:,}",
        )
    ]
    for name, start, end, floor in (
        ("views", base.views, snapshot.views, MIN_PCT_BASE_VIEWS),
        ("videos", base.videos, snapshot.videos, MIN_PCT_BASE_VIDEOS),
    ):
        if start >= floor:
            pct = 100.0 * max(0, end - start) / start * scale
            options.append(
                (
                    pct / limits.viral_growth_pct,
                    f"{name} +{pct:.1f} %/6 h of +{limits.viral_growth_pct:g} %",
                )
            )
    value, text = max(options, key=lambda option: option[0])
    return Heat(round(value, 4), text)


def acceleration(snapshot: Snapshot, history: Sequence[Snapshot]) -> float | None:
    """The last interval's pace of new videos and views over the interval's before (the
    larger of the two ratios); None without three readings or a still earlier pace of 0."""
    earlier = usable_before(snapshot, history)
    if len(earlier) < 2:
        return None
    first, middle = earlier[-2], earlier[-1]
    ratios: list[float] = []
    for counter in ("videos", "views"):
        a, b, c = (getattr(s, counter) for s in (first, middle, snapshot))
        if a is None or b is None or c is None:
            continue
        before = max(0, b - a) / _hours(first, middle)
        last = max(0, c - b) / _hours(middle, snapshot)
        if before > 0:
            ratios.append(last / before)
    return max(ratios) if ratios else None


def _hours(a: Snapshot, b: Snapshot) -> float:
    return max((b.cycle - a.cycle).total_seconds() / 3600, 1 / 60)


@dataclass(frozen=True, slots=True)
class Reading:
    """What one poll learned: the snapshot stored (or found) and the history before it."""

    snapshot: Snapshot
    history: Sequence[Snapshot]
    # A daily sample (videos page) was fetched.
    sampled: bool = False
    # Counters below their previous high.
    counts_decreased: bool = False


def _alerted(hashtag: TrackedHashtag, snapshot: Snapshot, history: Sequence[Snapshot]) -> bool:
    return viral_alert(hashtag, snapshot, history) is not None


def _unusable(snapshot: Snapshot, previous: float, bounds: Bounds) -> tuple[float, str]:
    """A lost or suspect reading: poll sooner, unless a sooner poll cannot mend it."""
    reason = snapshot.reason or "unknown"
    if snapshot.status is SnapshotStatus.SUSPECT:
        return previous / 2, f"suspect reading ({reason}): checking sooner"
    if reason in QUIET_MISSING:
        return bounds.max_hours, f"missing reading ({reason}): backing off"
    return previous / 2, f"missing reading ({reason}): polling sooner"


def heat_interval(heat: float, bounds: Bounds) -> float:
    """The interval a steady pace deserves: the minimum at HOT and above, the maximum at COLD
    and below, geometric in between (heat 0.5: the geometric mean of the bounds)."""
    if heat >= HOT:
        return bounds.min_hours
    if heat <= COLD:
        return bounds.max_hours
    share = (HOT - heat) / (HOT - COLD)
    return bounds.min_hours * math.pow(bounds.max_hours / bounds.min_hours, share)


@dataclass(frozen=True, slots=True)
class _Move:
    hours: float
    why: str
    # The viral rule fired on this reading, outside an earlier alert's cooldown.
    alerted: bool = False


def _recently_alerted(
    hashtag: TrackedHashtag, snapshot: Snapshot, previous: PlanEntry | None
) -> float | None:
    """Hours since the tag's last viral alert when inside its cooldown, else None."""
    if previous is None or previous.alerted_at is None:
        return None
    since = (snapshot.cycle - previous.alerted_at).total_seconds() / 3600
    return since if 0 <= since < hashtag.thresholds.cooldown_hours else None


def _move(
    hashtag: TrackedHashtag,
    reading: Reading,
    heat: Heat,
    entry: PlanEntry | None,
    previous: float,
    bounds: Bounds,
) -> _Move:
    """The next interval after a usable reading, and why."""
    snapshot, history = reading.snapshot, reading.history
    speedup = acceleration(snapshot, history)
    accelerating = (
        speedup is not None and speedup >= ACCELERATION and heat.value >= ACCELERATION_MIN_HEAT
    )
    lowest = bounds.min_hours
    if heat.text == NO_BASE:
        return _Move(lowest, "new: learning its pace")
    if accelerating:
        return _Move(lowest, f"accelerating ({speedup or 0:.1f}× the pace before): {heat.text}")
    alerted = _alerted(hashtag, snapshot, history)
    since = _recently_alerted(hashtag, snapshot, entry)
    if since is not None and (alerted or heat.value >= HOT):
        # The moment is alerted: more readings of it cannot page again (its cooldown), only
        # a second surge can (acceleration, above). Watch it at half the maximum.
        watch = max(lowest, bounds.max_hours / 2)
        return _Move(watch, f"alerted {since:.0f} h ago, watching: {heat.text}")
    if alerted:
        return _Move(lowest, f"viral alert: {heat.text}", alerted=True)
    if heat.value >= HOT:
        return _Move(lowest, f"hot: {heat.text}")
    return _by_heat(reading, heat, previous, bounds)


def _by_heat(reading: Reading, heat: Heat, previous: float, bounds: Bounds) -> _Move:
    """Below hot: halve on falling counts, else toward what a steady pace deserves."""
    if reading.counts_decreased:
        return _Move(previous / 2, f"sharp change (counts fell): {heat.text}")
    deserved = round(bounds.clamp(heat_interval(heat.value, bounds)), 4)
    if math.isclose(deserved, previous, abs_tol=1e-3):
        return _Move(previous, f"{'calm' if heat.value <= COLD else 'steady'}: {heat.text}")
    if deserved < previous:
        return _Move(deserved, f"warm: {heat.text}")
    return _Move(min(previous * 2, deserved), f"calm: {heat.text}")


def _decide(
    hashtag: TrackedHashtag,
    reading: Reading,
    entry: PlanEntry | None,
    previous: float,
    bounds: Bounds,
) -> tuple[_Move, float]:
    """The move for `reading` and its heat; `previous` is the interval before."""
    if not reading.snapshot.usable:
        return _Move(*_unusable(reading.snapshot, previous, bounds)), 0.0
    heat = measure_heat(hashtag, reading.snapshot, reading.history)
    return _move(hashtag, reading, heat, entry, previous, bounds), heat.value


def next_plan(
    hashtag: TrackedHashtag, reading: Reading, previous: PlanEntry | None, bounds: Bounds
) -> PlanEntry:
    """The tag's plan after `reading`: its interval, next due tick and why."""
    before = previous.interval_hours if previous is not None else bounds.min_hours
    move, heat = _decide(hashtag, reading, previous, bounds.clamp(before), bounds)
    hours = round(bounds.clamp(move.hours), 4)
    cycle = reading.snapshot.cycle
    sampled_on = previous.sampled_on if previous is not None else None
    if reading.sampled:
        sampled_on = cycle.date()
    alerted_at = previous.alerted_at if previous is not None else None
    if move.alerted:
        alerted_at = cycle
    return PlanEntry(
        hashtag=hashtag.hashtag,
        interval_hours=hours,
        next_due=cycle + timedelta(hours=hours),
        reason=move.why[:MAX_REASON_LENGTH],
        last_poll=cycle,
        heat=heat,
        sampled_on=sampled_on,
        alerted_at=alerted_at,
    )


# -- at a tick: which tags go out ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """An active tracked tag at a tick: its plan (None: never polled) and whether a poll of
    it is still queued or running (sent at an earlier tick, not read yet)."""

    hashtag: TrackedHashtag
    entry: PlanEntry | None
    in_flight: bool = False

    def due(self, tick: datetime) -> bool:
        return not self.in_flight and (self.entry is None or self.entry.due(tick))

    def urgency(self, tick: datetime) -> float:
        """Heat × how overdue: (1 + heat) × intervals since the last poll. A tag never
        polled goes before every polled one: one poll gives it a plan, and a fixed urgency
        would lose for ever to polled tags' growing ones when the account is short."""
        if self.entry is None:
            return NEW_TAG_URGENCY
        return (1 + self.entry.heat) * self.entry.overdue(tick)

    def sampled_on_day_of(self, tick: datetime) -> bool:
        return self.entry is not None and self.entry.sampled_on == tick.date()


@dataclass(frozen=True, slots=True)
class TickBudget:
    """What one tick may use: data-API calls (rate limit) and credits (monthly allowance)."""

    calls: int
    credits: int


@dataclass(frozen=True, slots=True)
class Poll:
    hashtag: TrackedHashtag
    entry: PlanEntry | None
    # Calls budgeted beyond the stats call: the daily sample's pages, or a campaign's jump page.
    page_calls: int = 0


@dataclass
class TickPlan:
    polls: list[Poll] = field(default_factory=list)
    due: int = 0
    # Due but left for the next tick: the tick's calls or credits ran out.
    carried: int = 0
    in_flight: int = 0
    calls: int = 0
    credits: int = 0
    samples: int = 0


def sample_calls(policy: FetchPolicy, kind: HashtagKind) -> int:
    """Calls (and credits) of a daily sample: the video pages and the comment pages."""
    return policy.video_pages + policy.comments_for(kind)


class _Meter:
    def __init__(self, budget: TickBudget) -> None:
        self.calls = budget.calls
        self.credits = budget.credits

    def take(self, cost: int) -> bool:
        if cost > self.calls or cost > self.credits:
            return False
        self.calls -= cost
        self.credits -= cost
        return True


def plan_tick(
    candidates: Iterable[Candidate],
    tick: datetime,
    tick_length: timedelta,
    budget: TickBudget,
    policy: FetchPolicy,
) -> TickPlan:
    """The polls of one tick: due tags by urgency within the budget, then the daily samples.

    Never plans more calls or credits than `budget`. Samples go first to polled tags not
    sampled today; a tag that will not be due again before the UTC day ends is polled for its
    sample, at most its share of the ticks left in the day (so they spread out)."""
    tags = list(candidates)
    plan = TickPlan(in_flight=sum(1 for c in tags if c.in_flight))
    due = sorted(
        (c for c in tags if c.due(tick)),
        key=lambda c: (-c.urgency(tick), c.hashtag.hashtag),
    )
    plan.due = len(due)
    meter = _Meter(budget)
    polled: list[Candidate] = []
    for candidate in due:
        if not meter.take(1):
            break
        polled.append(candidate)
    plan.carried = len(due) - len(polled)
    pages = {c.hashtag.hashtag: 0 for c in polled}
    for candidate in polled:
        cost = sample_calls(policy, candidate.hashtag.kind)
        if not candidate.sampled_on_day_of(tick) and meter.take(cost):
            pages[candidate.hashtag.hashtag] = cost
            plan.samples += 1
    extra = _sample_polls(tags, polled, tick, tick_length, policy, meter)
    plan.samples += len(extra)
    for candidate in polled:  # spare calls: a campaign's video page when its count jumps
        name = candidate.hashtag.hashtag
        if (
            pages[name] == 0
            and candidate.sampled_on_day_of(tick)  # else its page would be the day's sample
            and candidate.hashtag.kind in policy.jump_kinds
            and meter.take(policy.video_pages)
        ):
            pages[name] = policy.video_pages
    plan.polls = [Poll(c.hashtag, c.entry, pages[c.hashtag.hashtag]) for c in polled]
    plan.polls += [Poll(c.hashtag, c.entry, sample_calls(policy, c.hashtag.kind)) for c in extra]
    plan.calls = budget.calls - meter.calls
    plan.credits = budget.credits - meter.credits
    return plan


def _sample_polls(
    tags: list[Candidate],
    polled: list[Candidate],
    tick: datetime,
    tick_length: timedelta,
    policy: FetchPolicy,
    meter: _Meter,
) -> list[Candidate]:
    """Extra polls for the day's samples of tags not due again before the day ends: their
    share of the ticks left today, within what the tick has left."""
    day_end = tick.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    taken = {c.hashtag.hashtag for c in polled}
    waiting = sorted(
        (
            c
            for c in tags
            if c.hashtag.hashtag not in taken
            and not c.in_flight
            and not c.sampled_on_day_of(tick)
            and c.entry is not None
            and c.entry.next_due >= day_end
        ),
        key=lambda c: c.hashtag.hashtag,
    )
    if not waiting:
        return []
    ticks_left = max(1, math.ceil((day_end - tick) / tick_length))
    quota = math.ceil(len(waiting) / ticks_left)
    chosen: list[Candidate] = []
    for candidate in waiting[:quota]:
        if not meter.take(1 + sample_calls(policy, candidate.hashtag.kind)):
            break
        chosen.append(candidate)
    return chosen


# -- the tick's budget -----------------------------------------------------------------------


def tick_calls(rate_per_minute: float, tick_length: timedelta, queued: int) -> int:
    """Calls one tick may plan: the plan's rate over the tick, less a margin, less the calls
    still queued from earlier ticks (never below 0)."""
    minutes = tick_length.total_seconds() / 60
    return max(0, math.floor(rate_per_minute * minutes * (1 - CAPACITY_MARGIN)) - queued)


def tick_allowance(
    remaining: int, tick: datetime, month_end: datetime, tick_length: timedelta
) -> int:
    """Credits one tick may plan: up to ALLOWANCE_BURST × its even share of what the month
    has left over its remaining ticks, never more than is left. Recomputed every tick from
    what is left, so unspent allowance rolls forward and the month is never overspent."""
    if remaining <= 0:
        return 0
    ticks_left = max(1, math.ceil((month_end - tick) / tick_length))
    return min(remaining, math.floor(ALLOWANCE_BURST * remaining / ticks_left))


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the account can sustain against what the tags need: calls (= credits) an hour
    for every tag's stats at its longest interval and for its daily sample, and what the
    plan's rate and the month's even credit share allow. Stats go first (detection); daily
    samples take the calls to spare."""

    stats_per_hour: float
    samples_per_hour: float
    allowed_per_hour: float
    tags: int
    # Means over the tags: the longest interval, and the calls of a daily sample.
    longest_hours: float
    sample_calls: float

    @property
    def needed_per_hour(self) -> float:
        return self.stats_per_hour + self.samples_per_hour

    @property
    def enough(self) -> bool:
        return self.allowed_per_hour >= self.needed_per_hour

    @property
    def effective_hours(self) -> float | None:
        """The longest intervals, stretched evenly when the stats alone need more than is
        allowed; None: nothing is allowed."""
        if self.allowed_per_hour <= 0:
            return None
        stretch = max(1.0, self.stats_per_hour / self.allowed_per_hour)
        return round(self.longest_hours * stretch, 2)

    @property
    def sampled_per_day(self) -> float:
        """Daily samples the calls left after the stats pay for, a day."""
        spare = max(0.0, self.allowed_per_hour - self.stats_per_hour) * 24
        return min(float(self.tags), spare / self.sample_calls) if self.sample_calls else 0.0

    def followable(self, hours: float) -> int:
        """How many tags the account can poll every `hours` hours, daily samples included."""
        return math.floor(self.allowed_per_hour / (1 / hours + self.sample_calls / 24))

    def text(self, resolution_hours: float) -> str:
        effective = self.effective_hours
        if effective is None:
            shortfall = "Nothing can be polled until the month's credits reset."
        elif self.allowed_per_hour < self.stats_per_hour:
            shortfall = (
                f"Intervals stretch evenly, to about {effective:.1f} h on average, and the "
                f"daily samples (video pages, comments) wait for calls to spare."
            )
        else:
            shortfall = (
                f"Every tag keeps its longest interval, but the daily samples (video pages, "
                f"comments) go out only with calls to spare: about "
                f"{self.sampled_per_day:.0f} of {self.tags} tags a day."
            )
        return (
            f"{self.tags} tracked hashtags need {self.needed_per_hour:.1f} calls an hour at "
            f"their longest intervals (daily samples included); the plan's rate limit and the "
            f"month's credit allowance allow {self.allowed_per_hour:.1f}. {shortfall} At "
            f"{resolution_hours:g}-hour resolution this account can follow about "
            f"{self.followable(resolution_hours)} hashtags: raise the plan or the budget, or "
            f"track fewer tags."
        )


def resolution(
    bounds: Sequence[Bounds],
    samples: Sequence[int],
    *,
    calls_per_hour: float,
    credits_per_hour: float,
) -> Resolution:
    """Calls an hour the tags need at their longest intervals (stats) and for one daily
    sample each, against the lower of the rate's calls and the credit share an hour."""
    count = max(1, len(bounds))
    return Resolution(
        stats_per_hour=sum(1 / b.max_hours for b in bounds),
        samples_per_hour=sum(samples) / 24,
        allowed_per_hour=min(calls_per_hour, credits_per_hour),
        tags=len(bounds),
        longest_hours=sum(b.max_hours for b in bounds) / count,
        sample_calls=sum(samples) / count,
    )
