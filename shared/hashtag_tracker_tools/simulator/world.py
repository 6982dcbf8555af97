"""The simulator's synthetic TikTok: hashtags, videos, creators and comments as pure functions
of the hashtag's profile and the time asked about, so every answer is reproducible.

A profile gives the cumulative number of new videos N(h), h hours after the world's epoch:
  N(h) = rate·h (or rate·τ·(1-e^(-h/τ)) when decaying) + accel·h²/2
         + spike_rate·τs·(1-e^(-(h-s)/τs)) after a spike at hour s.
Views follow the videos (views per video) plus a slow tail. Each video's creation time is
where N crosses its index, so new videos in the list match the growth of videoCount.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

BASE_HISTORY = timedelta(days=30)
PLAYS_HALF_LIFE_HOURS = 24.0


class ProfileKind(StrEnum):
    STEADY = "steady"
    GROWING = "growing"
    VIRAL = "viral"
    DECAYING = "decaying"
    DEAD = "dead"


@dataclass(frozen=True)
class Profile:
    kind: ProfileKind
    base_videos: int = 2_000
    base_views: int = 6_000_000
    rate: float = 4.0  # new videos per hour at the epoch
    accel: float = 0.0  # videos per hour, per hour
    decay_tau: float | None = None  # hours; the rate fades when set
    spike_at_hours: float | None = None
    spike_rate: float = 0.0  # extra videos per hour at the spike's peak
    spike_tau: float = 10.0  # hours for the spike to fade by 1/e
    # 0: the spike starts at full rate (a step). Above 0: its rate grows logistically from
    # ~0 to full over this many hours (a ramp), then fades with spike_tau.
    spike_ramp_hours: float = 0.0
    views_per_video: float = 3_000.0
    tail_views_per_hour: float = 2_000.0
    creators: int = 40
    positive_share: float = 0.6
    negative_share: float = 0.1

    def new_videos(self, hours: float) -> float:
        """N(h): videos added since the epoch (0 before it)."""
        h = max(0.0, hours)
        if self.decay_tau:
            total = self.rate * self.decay_tau * (1 - math.exp(-h / self.decay_tau))
        else:
            total = self.rate * h
        total += self.accel * h * h / 2
        if self.spike_at_hours is not None and h > self.spike_at_hours:
            total += self._spike_videos(h - self.spike_at_hours)
        return total

    def _spike_videos(self, since: float) -> float:
        """The spike's videos `since` hours after its onset: a step fades at once; a ramp's
        rate follows a logistic curve (10 % to 90 % over about half the ramp) to full at the
        ramp's end, then fades."""
        rate, tau, ramp = self.spike_rate, self.spike_tau, self.spike_ramp_hours
        if ramp <= 0:
            return rate * tau * (1 - math.exp(-since / tau))
        k, mid = 8.0 / ramp, ramp / 2

        def ramped(t: float) -> float:  # ∫0^t rate·σ(k(u − mid)) du
            return rate / k * (_softplus(k * (t - mid)) - _softplus(-k * mid))

        if since <= ramp:
            return ramped(since)
        at_peak = rate / (1 + math.exp(-k * (ramp - mid)))
        return ramped(ramp) + at_peak * tau * (1 - math.exp(-(since - ramp) / tau))

    def videos_at(self, hours: float) -> int:
        return self.base_videos + math.floor(self.new_videos(hours))

    def views_at(self, hours: float) -> int:
        h = max(0.0, hours)
        return math.floor(
            self.base_views
            + self.views_per_video * self.new_videos(h)
            + self.tail_views_per_hour * h
        )

    def hours_of_video(self, index: int, now_hours: float) -> float:
        """When video `index` (0 = oldest) appeared; before the epoch for the base videos."""
        if index < self.base_videos:
            spacing = BASE_HISTORY.total_seconds() / 3600 / max(1, self.base_videos)
            return -(self.base_videos - index) * spacing
        target = index - self.base_videos + 1
        low, high = 0.0, max(0.0, now_hours)
        for _ in range(50):
            mid = (low + high) / 2
            if self.new_videos(mid) >= target:
                high = mid
            else:
                low = mid
        return high


# The named demo world: a brand campaign with its competitor set, and one tag per profile.
BRAND = "trybrandx"
COMPETITORS = ("rivalfizz", "colacrew")
DEFAULT_PROFILES: dict[str, Profile] = {
    BRAND: Profile(
        ProfileKind.GROWING,
        base_videos=300,
        base_views=900_000,
        rate=3.0,
        accel=0.01,
        spike_at_hours=80.0,
        spike_rate=120.0,
        spike_tau=10.0,
        creators=60,
        positive_share=0.7,
        negative_share=0.1,
    ),
    "rivalfizz": Profile(ProfileKind.STEADY, base_videos=5_000, base_views=20_000_000, rate=5.0),
    "colacrew": Profile(
        ProfileKind.DECAYING,
        base_videos=8_000,
        base_views=30_000_000,
        rate=20.0,
        decay_tau=96.0,
        positive_share=0.3,
        negative_share=0.45,
    ),
    "steadytag": Profile(ProfileKind.STEADY),
    "growingtag": Profile(ProfileKind.GROWING, rate=2.0, accel=0.02),
    "viraltag": Profile(
        ProfileKind.VIRAL, rate=4.0, spike_at_hours=50.0, spike_rate=150.0, spike_tau=12.0
    ),
    "decayingtag": Profile(ProfileKind.DECAYING, rate=30.0, decay_tau=48.0),
    "deadtag": Profile(
        ProfileKind.DEAD,
        base_videos=150,
        base_views=400_000,
        rate=0.0,
        tail_views_per_hour=20.0,
        creators=12,
    ),
}
DEFAULT_NOT_FOUND = frozenset({"nosuchtag"})


def _softplus(x: float) -> float:
    """ln(1 + e^x), without overflow."""
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


# The viral rule's defaults (README, "Thresholds"): the ground truth's moments use them.
VIRAL_NEW_VIDEOS = 200
VIRAL_GROWTH_PCT = 50.0
MIN_PCT_BASE_VIEWS = 10_000
MIN_PCT_BASE_VIDEOS = 20


def meets_viral_rule(profile: Profile, hours: float, window: float = 6.0) -> bool:
    """Whether the true counters at `hours` meet the viral rule over the `window` hours
    before (new videos ≥ 200, or views or videos grown ≥ 50 % on a base big enough)."""
    then = hours - window
    v0, v1 = profile.videos_at(then), profile.videos_at(hours)
    w0, w1 = profile.views_at(then), profile.views_at(hours)
    if v1 - v0 >= VIRAL_NEW_VIDEOS:
        return True
    if w0 >= MIN_PCT_BASE_VIEWS and (w1 - w0) * 100 >= VIRAL_GROWTH_PCT * w0:
        return True
    return v0 >= MIN_PCT_BASE_VIDEOS and (v1 - v0) * 100 >= VIRAL_GROWTH_PCT * v0


def first_viral_moment(
    profile: Profile, from_hours: float, to_hours: float, step_minutes: float = 5.0
) -> float | None:
    """The first time (hours after the epoch, to `step_minutes`) in [from, to] when the
    true counters meet the viral rule; None if they never do. Detection lag is measured
    from here, not from the onset."""
    steps = int((to_hours - from_hours) * 60 / step_minutes)
    for i in range(steps + 1):
        h = from_hours + i * step_minutes / 60
        if meets_viral_rule(profile, h):
            return h
    return None


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


def _rng(*parts: object) -> random.Random:
    return random.Random(int.from_bytes(_digest(*parts)[:8], "big"))


def procedural_profile(name: str) -> Profile:
    """A deterministic profile for any hashtag nobody configured, drawn from its name."""
    rng = _rng("profile", name)
    kind = rng.choices(list(ProfileKind), weights=(40, 20, 10, 20, 10))[0]
    base_videos = int(10 ** rng.uniform(2, 4.5))
    views_per_video = rng.uniform(800, 6_000)
    profile = Profile(
        kind,
        base_videos=base_videos,
        base_views=int(base_videos * views_per_video),
        rate=rng.uniform(0.5, 8.0),
        views_per_video=views_per_video,
        tail_views_per_hour=rng.uniform(200, 4_000),
        creators=rng.randint(10, 80),
        positive_share=round(rng.uniform(0.2, 0.8), 2),
        negative_share=round(rng.uniform(0.0, 0.2), 2),
    )
    if kind is ProfileKind.GROWING:
        return replace(profile, accel=rng.uniform(0.005, 0.03))
    if kind is ProfileKind.VIRAL:
        return replace(
            profile,
            spike_at_hours=round(rng.uniform(24, 21 * 24)),
            spike_rate=rng.uniform(80, 250),
            spike_tau=rng.uniform(6, 18),
        )
    if kind is ProfileKind.DECAYING:
        return replace(profile, rate=rng.uniform(10, 40), decay_tau=rng.uniform(24, 120))
    if kind is ProfileKind.DEAD:
        return replace(profile, rate=0.0, tail_views_per_hour=rng.uniform(0, 30))
    return profile


def hashtag_id(name: str) -> str:
    return str(1_000_000_000_000_000 + int.from_bytes(_digest("hashtag", name)[:7], "big"))


def video_id(name: str, index: int) -> str:
    # 19 digits like real aweme ids, and below 2^63.
    return str(7_000_000_000_000_000_000 + int.from_bytes(_digest("video", name, index)[:7], "big"))


@dataclass(frozen=True)
class Creator:
    unique_id: str
    nickname: str
    followers: int


_FIRST = ("maya", "leo", "zoe", "kai", "ivy", "noah", "ana", "omar", "lina", "jay", "mei", "sam")
POSITIVE_TEXTS = (
    "love this so much!",
    "amazing, great job",
    "this is awesome, best video ever",
    "so good, I am happy I found this",
    "beautiful and fun, thank you",
    "wow, brilliant idea, love it",
)
NEGATIVE_TEXTS = (
    "this is terrible",
    "awful, I hate it",
    "worst ad ever, so boring",
    "this is sad and disappointing",
    "ugly and annoying, stop",
    "bad product, total waste of money",
)
NEUTRAL_TEXTS = (
    "where is this from?",
    "what song is this",
    "first",
    "who made this",
    "part 2?",
    "which store sells it",
)
# Comments are dealt in blocks of this size with exact shares, so any page mixes as told.
MIX_BLOCK = 20
MAX_COMMENTS_PER_VIDEO = 150


def creator(name: str, index: int) -> Creator:
    rng = _rng("creator", name, index)
    first = _FIRST[rng.randrange(len(_FIRST))]
    handle = f"{first}.{int.from_bytes(_digest('handle', name, index)[:3], 'big'):07d}"
    followers = int(10 ** rng.uniform(2.5, 6.5))
    return Creator(handle, first.capitalize(), followers)


@dataclass(frozen=True)
class SimVideo:
    hashtag: str
    index: int
    video_id: str
    created_at: datetime
    creator: Creator
    plays: int
    likes: int
    comments: int
    shares: int
    saves: int


@dataclass(frozen=True)
class SimComment:
    comment_id: str
    text: str
    created_at: datetime
    likes: int
    author: str
    sentiment: str


@dataclass
class World:
    """Every hashtag's profile and the clock's epoch; answers are pure functions of time."""

    epoch: datetime
    profiles: dict[str, Profile] = field(default_factory=lambda: dict(DEFAULT_PROFILES))
    not_found: frozenset[str] = DEFAULT_NOT_FOUND

    def profile(self, name: str) -> Profile:
        return self.profiles.get(name) or procedural_profile(name)

    def hours(self, when: datetime) -> float:
        return (when - self.epoch).total_seconds() / 3600

    def stats(self, name: str, when: datetime) -> tuple[int, int]:
        """(views, videos) of a hashtag at a time."""
        profile = self.profile(name)
        h = self.hours(when)
        return profile.views_at(h), profile.videos_at(h)

    def spike_time(self, name: str) -> datetime | None:
        spike = self.profile(name).spike_at_hours
        return None if spike is None else self.epoch + timedelta(hours=spike)

    def viral_time(self, name: str, until: datetime) -> datetime | None:
        """When the tag's true counters first meet the viral rule after its spike's onset
        (None: no spike, or not by `until`)."""
        profile = self.profile(name)
        if profile.spike_at_hours is None:
            return None
        found = first_viral_moment(profile, profile.spike_at_hours, self.hours(until))
        return None if found is None else self.epoch + timedelta(hours=found)

    def video(self, name: str, index: int, when: datetime) -> SimVideo:
        profile = self.profile(name)
        now_h = self.hours(when)
        born_h = profile.hours_of_video(index, now_h)
        rng = _rng("video", name, index)
        who = creator(name, rng.randrange(max(1, profile.creators)))
        potential = who.followers * rng.uniform(0.05, 1.5) + rng.uniform(100, 5_000)
        age = max(0.0, now_h - born_h)
        plays = int(potential * (1 - math.exp(-age / PLAYS_HALF_LIFE_HOURS)))
        return SimVideo(
            hashtag=name,
            index=index,
            video_id=video_id(name, index),
            created_at=self.epoch + timedelta(hours=born_h),
            creator=who,
            plays=plays,
            likes=int(plays * rng.uniform(0.04, 0.12)),
            comments=int(plays * rng.uniform(0.002, 0.01)),
            shares=int(plays * rng.uniform(0.001, 0.02)),
            saves=int(plays * rng.uniform(0.001, 0.01)),
        )

    def newest_videos(
        self, name: str, when: datetime, offset: int, count: int, cap: int
    ) -> tuple[list[SimVideo], bool]:
        """A page of the capped sample, newest first, and whether more remain in the sample."""
        total = self.profile(name).videos_at(self.hours(when))
        available = min(cap, total)
        end = min(available, offset + count)
        videos = [self.video(name, total - 1 - i, when) for i in range(offset, end)]
        return videos, end < available

    def comments(
        self, video: SimVideo, when: datetime, offset: int, count: int
    ) -> tuple[list[SimComment], bool]:
        profile = self.profile(video.hashtag)
        total = min(video.comments, MAX_COMMENTS_PER_VIDEO)
        end = min(total, offset + count)
        found = [self._comment(video, profile, i, when) for i in range(offset, end)]
        return found, end < total

    def _comment(self, video: SimVideo, profile: Profile, index: int, when: datetime) -> SimComment:
        rng = _rng("comment", video.video_id, index)
        slot = (index * 7) % MIX_BLOCK  # 7 is coprime with 20: every slot once per block
        positive = round(profile.positive_share * MIX_BLOCK)
        negative = round(profile.negative_share * MIX_BLOCK)
        if slot < positive:
            sentiment, texts = "positive", POSITIVE_TEXTS
        elif slot < positive + negative:
            sentiment, texts = "negative", NEGATIVE_TEXTS
        else:
            sentiment, texts = "neutral", NEUTRAL_TEXTS
        return SimComment(
            comment_id=str(int.from_bytes(_digest("cid", video.video_id, index)[:7], "big")),
            text=texts[rng.randrange(len(texts))],
            created_at=min(when, video.created_at + timedelta(minutes=5 + index * 3)),
            likes=rng.randrange(0, 500),
            author=creator(f"{video.hashtag}#audience", rng.randrange(10_000)).unique_id,
            sentiment=sentiment,
        )


def profile_summary(name: str, profile: Profile) -> dict[str, Any]:
    return {
        "kind": profile.kind.value,
        "positive_share": profile.positive_share,
        "negative_share": profile.negative_share,
        "creators": profile.creators,
    }
