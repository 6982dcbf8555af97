"""A tutorial-style poller, the baseline of the credits section: what a blog post would run.

Every 6 hours, for each hashtag: the stats call and one 30-video page; once a day the
comments (one page) of the 3 most-played videos; 0.5 s of sleep between hashtags; no
pacing, no budget. On a 429 it waits what Retry-After says and tries again, which is the
most a careful tutorial does. Viral moments are flagged the tutorial way: against the
previous poll, with the product's documented thresholds (≥ 200 new videos, or views or
videos up ≥ 50 % in 6 hours), so both sides are judged by the same rule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

SLEEP_BETWEEN_HASHTAGS = 0.5
MAX_RETRIES = 8
VIRAL_NEW_VIDEOS = 200
VIRAL_GROWTH_PCT = 50.0


@dataclass
class Poll:
    views: int
    videos: int


@dataclass
class BaselinePoller:
    base_url: str
    api_key: str
    time_scale: float
    session: requests.Session = field(default_factory=requests.Session)
    last: dict[str, Poll] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    comments_day: dict[str, str] = field(default_factory=dict)
    viral: list[tuple[str, datetime]] = field(default_factory=list)
    too_many_requests: int = 0
    failures: int = 0

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        for _ in range(MAX_RETRIES):
            answer = self.session.post(
                self.base_url + path,
                json=body,
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=10,
            )
            if answer.status_code == 429:
                self.too_many_requests += 1
                time.sleep(float(answer.headers.get("Retry-After", "1")))
                continue
            if answer.status_code != 200:
                self.failures += 1
                return None
            data: dict[str, Any] = answer.json()["data"]
            return data
        self.failures += 1
        return None

    def poll(self, hashtag: str, when: datetime) -> None:
        info = self._post("/api/v1/tiktok/hashtag", {"hashtag_name": hashtag})
        if info is None:
            return
        stats = info["challengeInfo"]["stats"]
        now = Poll(int(stats["viewCount"]), int(stats["videoCount"]))
        self.ids[hashtag] = str(info["challengeInfo"]["challenge"]["id"])
        body = {"hashtag_id": self.ids[hashtag], "cursor": "0", "count": 30}
        page = self._post("/api/v1/tiktok/hashtag/videos", body)
        day = when.date().isoformat()
        if page is not None and self.comments_day.get(hashtag) != day:
            self.comments_day[hashtag] = day
            top = sorted(
                page.get("aweme_list", []),
                key=lambda v: v["statistics"]["play_count"],
                reverse=True,
            )[:3]
            for video in top:
                self._post(
                    "/api/v1/tiktok/video/comments",
                    {"video_id": video["aweme_id"], "cursor": "0", "count": 50},
                )
        self._check_viral(hashtag, now, when)
        self.last[hashtag] = now

    def _check_viral(self, hashtag: str, now: Poll, when: datetime) -> None:
        before = self.last.get(hashtag)
        if before is None:
            return
        new_videos = now.videos - before.videos
        views_pct = 100.0 * (now.views - before.views) / before.views if before.views else 0.0
        videos_pct = 100.0 * new_videos / before.videos if before.videos else 0.0
        if new_videos >= VIRAL_NEW_VIDEOS or max(views_pct, videos_pct) >= VIRAL_GROWTH_PCT:
            self.viral.append((hashtag, when))

    def cycle(self, hashtags: list[str], when: datetime) -> None:
        for hashtag in hashtags:
            self.poll(hashtag, when)
            # The tutorial's 0.5 s, on the simulator's clock (a minute lasts 60/time_scale s).
            time.sleep(SLEEP_BETWEEN_HASHTAGS / self.time_scale)
