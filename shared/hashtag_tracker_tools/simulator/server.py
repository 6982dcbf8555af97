"""The simulator's HTTP face: the Scavio endpoints, envelopes, errors, faults and ground truth.

Thread-safe: one lock guards counters, faults and the rate window; slow answers hang
outside it, so other calls go on meanwhile. A slow answer hangs until the client hangs up or
`stop()` releases it (never a fixed sleep), so it outlasts any client timeout on any machine,
and `stop()` never waits for it. Nagle is off on the answers' sockets: an answer leaves in
well under a millisecond instead of waiting ~40 ms for the client's delayed ACK.

Billing: every 200 costs 1 credit, counted down from the plan's allowance (`credits`) and
reported in each envelope's `credits_remaining`; `GET /api/v1/usage` is free. Two switches
say what upstream does in the unclear cases (both on by default, as upstream likely does):
- `charge_lost_answers`: a call whose answer the client never got (it timed out on a `slow`
  answer, or a `drop` hung up) is still charged; off: it is refunded / never charged.
- `charge_malformed`: a 200 whose body is not JSON (`malformed_json`) is charged.
The truth reports the credits charged in total and per hashtag, and the answers lost.
"""

from __future__ import annotations

import json
import math
import secrets
import select
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hashtag_tracker.clock import Clock, ManualClock, from_iso, to_iso
from hashtag_tracker_tools.simulator.faults import (
    FaultBook,
    SlidingWindowLimit,
    reset_header,
    scripted_429_headers,
)
from hashtag_tracker_tools.simulator.world import (
    DEFAULT_NOT_FOUND,
    DEFAULT_PROFILES,
    Profile,
    SimVideo,
    World,
    hashtag_id,
    profile_summary,
)

HASHTAG = "/api/v1/tiktok/hashtag"
HASHTAG_VIDEOS = "/api/v1/tiktok/hashtag/videos"
VIDEO_COMMENTS = "/api/v1/tiktok/video/comments"
USAGE = "/api/v1/usage"
ENDPOINTS = {HASHTAG: "hashtag", HASHTAG_VIDEOS: "videos", VIDEO_COMMENTS: "comments"}
DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
DEFAULT_SAMPLE_CAP = 90
DEFAULT_CREDITS = 200_000
DEFAULT_PLAN = "simulated"
_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    402: "insufficient_credits",
    403: "forbidden",
    404: "not_found",
    429: "rate_limit_exceeded",
    500: "internal_error",
}


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # Hang before answering (the `slow` fault): None = no hang; inf = until the client hangs
    # up or the simulator stops; else at most that many seconds.
    delay: float | None = None
    # Hang up without answering (the `drop` fault).
    drop: bool = False
    # Told when the answer did not reach the client (a `slow` answer it gave up on).
    on_lost: Callable[[], None] | None = None


def _json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode("utf-8"), headers or {})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return _json_reply(
        status, {"error": {"code": _ERROR_CODES[status], "message": message}}, headers
    )


class _BadRequest(Exception):
    pass


class _NotFound(Exception):
    pass


@dataclass(frozen=True)
class Truth:
    """What really happened, for tests and benchmarks."""

    epoch: datetime
    now: datetime
    spike_times: dict[str, datetime]
    calls: dict[str, int]
    answers: dict[int, int]
    succeeded: int
    credits_charged: int
    credits_remaining: int
    rate_limit_violations: int
    served_videos: dict[str, list[str]]
    served_creators: dict[str, dict[str, int]]
    profiles: dict[str, dict[str, Any]]
    faults: dict[str, Any]
    # Credits charged per hashtag (they sum to credits_charged).
    credits_by_hashtag: dict[str, int] = field(default_factory=dict)
    # Calls whose answer the client never got (`drop`, or a `slow` answer it gave up on).
    lost_answers: int = 0
    # Free GET /api/v1/usage calls (not in `calls`, never charged).
    usage_calls: int = 0
    plan: str = DEFAULT_PLAN
    charging: dict[str, bool] = field(default_factory=dict)
    # When each spiking tag's true counters first met the viral rule (by `now`).
    viral_times: dict[str, datetime] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "epoch": to_iso(self.epoch),
            "now": to_iso(self.now),
            "spike_times": {k: to_iso(v) for k, v in self.spike_times.items()},
            "viral_times": {k: to_iso(v) for k, v in self.viral_times.items()},
            "calls": self.calls,
            "answers": {str(k): v for k, v in self.answers.items()},
            "succeeded": self.succeeded,
            "credits_charged": self.credits_charged,
            "credits_remaining": self.credits_remaining,
            "rate_limit_violations": self.rate_limit_violations,
            "served_videos": self.served_videos,
            "served_creators": self.served_creators,
            "profiles": self.profiles,
            "faults": self.faults,
            "credits_by_hashtag": self.credits_by_hashtag,
            "lost_answers": self.lost_answers,
            "usage_calls": self.usage_calls,
            "plan": self.plan,
            "charging": self.charging,
        }


class Simulator:
    """An offline Scavio TikTok API on 127.0.0.1. Use as a context manager, or start()/stop()."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        api_key: str | None = None,
        port: int = 0,
        rate_limit_per_minute: int | None = None,
        time_scale: float = 1.0,
        epoch: datetime | None = None,
        profiles: Mapping[str, Profile] | None = None,
        not_found: frozenset[str] = DEFAULT_NOT_FOUND,
        credits: int = DEFAULT_CREDITS,
        plan: str = DEFAULT_PLAN,
        period_start: datetime | None = None,
        charge_lost_answers: bool = True,
        charge_malformed: bool = True,
        video_sample_cap: int = DEFAULT_SAMPLE_CAP,
        monotonic: Callable[[], float] = time.monotonic,
        wall_time: Callable[[], float] = time.time,
    ) -> None:
        self.clock: Clock = clock or ManualClock(DEFAULT_START)
        self.api_key = api_key or f"sim-{secrets.token_hex(12)}"
        self.world = World(
            epoch=epoch or self.clock.now(),
            profiles=dict(DEFAULT_PROFILES if profiles is None else profiles),
            not_found=frozenset(not_found),
        )
        self.video_sample_cap = video_sample_cap
        self.faults = FaultBook()
        self._port = port
        self._monotonic = monotonic
        self._wall_time = wall_time
        self._lock = threading.RLock()
        self._limit: SlidingWindowLimit | None = None
        self._time_scale = time_scale
        self.set_rate_limit(rate_limit_per_minute, time_scale)
        # The plan's allowance, counted down by every charge.
        self._credits = credits
        self.plan = plan
        now = self.clock.now()
        self.period_start = period_start or now.replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        self.charge_lost_answers = charge_lost_answers
        self.charge_malformed = charge_malformed
        self._calls: dict[str, int] = {"hashtag": 0, "videos": 0, "comments": 0}
        self._answers: dict[int, int] = {}
        self._succeeded = 0
        self._charged = 0
        self._charged_by_hashtag: dict[str, int] = {}
        self._lost = 0
        self._usage_calls = 0
        self._stats_answered: set[str] = set()
        self._violations = 0
        self._seen: set[str] = set()
        self._ids: dict[str, str] = {}
        self._videos: dict[str, tuple[str, int]] = {}
        self._served_videos: dict[str, dict[str, None]] = {}
        self._served_creators: dict[str, dict[str, int]] = {}
        self._last_stats: dict[str, tuple[int, int]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Set by stop(): releases every hanging (`slow`) answer at once.
        self._stopping = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        self._stopping = threading.Event()
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _Handler)
        server.daemon_threads = True
        server.simulator = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="tiktok-sim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- knobs -------------------------------------------------------------------------

    def set_faults(self, hashtag: str | None = None, **knobs: Any) -> None:
        """Arm fault knobs globally (hashtag=None) or for one hashtag; see faults.KNOBS."""
        with self._lock:
            self.faults.set(hashtag, knobs)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def set_rate_limit(self, per_minute: int | None, time_scale: float | None = None) -> None:
        """The plan's limit (5 or 10 a minute; None = off); a minute lasts 60/time_scale s."""
        with self._lock:
            if time_scale is not None:
                self._time_scale = time_scale
            self._limit = (
                None
                if per_minute is None
                else SlidingWindowLimit(per_minute, self._time_scale, self._monotonic)
            )

    def set_charging(
        self, *, lost_answers: bool | None = None, malformed: bool | None = None
    ) -> None:
        """The billing switches: charge calls whose answer was lost; charge non-JSON 200s."""
        with self._lock:
            if lost_answers is not None:
                self.charge_lost_answers = bool(lost_answers)
            if malformed is not None:
                self.charge_malformed = bool(malformed)

    def set_credits(self, balance: int) -> None:
        """Set the account's balance (the plan's allowance left); 0 answers 402."""
        if isinstance(balance, bool) or not isinstance(balance, int) or balance < 0:
            raise ValueError("credits must be an integer >= 0")
        with self._lock:
            self._credits = balance

    def add_profile(self, name: str, profile: Profile) -> None:
        with self._lock:
            self.world.profiles[name] = profile

    # -- ground truth ------------------------------------------------------------------

    def truth(self) -> Truth:
        with self._lock:
            names = sorted(set(self.world.profiles) | self._seen)
            spikes = {n: t for n in names if (t := self.world.spike_time(n)) is not None}
            now = self.clock.now()
            virals = {n: t for n in spikes if (t := self.world.viral_time(n, now)) is not None}
            return Truth(
                epoch=self.world.epoch,
                now=self.clock.now(),
                spike_times=spikes,
                viral_times=virals,
                calls=dict(self._calls),
                answers=dict(sorted(self._answers.items())),
                succeeded=self._succeeded,
                credits_charged=self._charged,
                credits_remaining=self._credits,
                rate_limit_violations=self._violations,
                served_videos={k: list(v) for k, v in self._served_videos.items()},
                served_creators={k: dict(v) for k, v in self._served_creators.items()},
                profiles={n: profile_summary(n, self.world.profile(n)) for n in names},
                faults=self.faults.snapshot(),
                credits_by_hashtag=dict(sorted(self._charged_by_hashtag.items())),
                lost_answers=self._lost,
                usage_calls=self._usage_calls,
                plan=self.plan,
                charging={
                    "lost_answers": self.charge_lost_answers,
                    "malformed": self.charge_malformed,
                },
            )

    def expected_stats(self, name: str, when: datetime | None = None) -> tuple[int, int]:
        """(views, videos) the world holds for a hashtag, without faults and without a call."""
        return self.world.stats(name, when or self.clock.now())

    # -- the API -----------------------------------------------------------------------

    def answer(self, path: str, authorization: str | None, raw_body: bytes) -> Reply:
        """One API request to its reply (the HTTP layer only frames it)."""
        endpoint = ENDPOINTS[path]
        with self._lock:
            reply = self._answer_locked(endpoint, authorization, raw_body)
            if not reply.drop:
                self._answers[reply.status] = self._answers.get(reply.status, 0) + 1
            return reply

    def usage(self, authorization: str | None) -> Reply:
        """GET /api/v1/usage: the plan, the balance and the period's start, free of charge."""
        if authorization != f"Bearer {self.api_key}":
            return _error(401, "missing or invalid API key")
        with self._lock:
            self._usage_calls += 1
            return _json_reply(
                200,
                {
                    "plan": self.plan,
                    "credit_balance": self._credits,
                    "period_start": to_iso(self.period_start),
                },
            )

    def _charge(self, hashtag: str, credits: int = 1) -> None:
        self._credits -= credits
        self._charged += credits
        left = self._charged_by_hashtag.get(hashtag, 0) + credits
        if left:
            self._charged_by_hashtag[hashtag] = left
        else:  # a refund of its only charge
            self._charged_by_hashtag.pop(hashtag, None)

    def _answer_lost(self, hashtag: str, charged: bool) -> None:
        """An answer the client never got: counted; refunded if charged and the switch says
        lost answers are not charged."""
        with self._lock:
            self._lost += 1
            if charged and not self.charge_lost_answers:
                self._charge(hashtag, -1)

    def _answer_locked(self, endpoint: str, authorization: str | None, raw_body: bytes) -> Reply:
        self._calls[endpoint] += 1
        parsed = self._parse(endpoint, authorization, raw_body)
        if isinstance(parsed, Reply):
            return parsed
        hashtag, body = parsed
        # The order upstream checks in: key, plan rate limit, account, the thing asked for.
        headers: dict[str, str] = {}
        refusal = self._auth_refusal(endpoint, hashtag)
        if refusal is None:
            refusal = self._scripted_429(endpoint, hashtag)
        if refusal is None:
            refusal, headers = self._rate_refusal()
        if refusal is None:
            refusal = self._account_refusal(endpoint, hashtag, headers)
        if refusal is not None:
            return refusal
        slow = self.faults.take("slow", endpoint, hashtag)
        try:
            data = self._data(endpoint, hashtag, body)
        except _NotFound as exc:
            return _error(404, str(exc), headers)
        reply = self._success(endpoint, hashtag, data, headers)
        if slow is not None and not reply.drop:
            reply.delay = math.inf if slow.slow_seconds is None else slow.slow_seconds
        return reply

    def _parse(
        self, endpoint: str, authorization: str | None, raw_body: bytes
    ) -> tuple[str, dict[str, Any]] | Reply:
        if authorization != f"Bearer {self.api_key}":
            return _error(401, "missing or invalid API key")
        try:
            body = json.loads(raw_body or b"{}")
            if not isinstance(body, dict):
                raise _BadRequest("the body must be a JSON object")
            return self._hashtag_of(endpoint, body), body
        except (ValueError, _BadRequest) as exc:
            return _error(400, str(exc)[:200])
        except _NotFound as exc:
            return _error(404, str(exc))

    def _auth_refusal(self, endpoint: str, hashtag: str) -> Reply | None:
        if self.faults.take("unauthorized", endpoint, hashtag):
            return _error(401, "invalid API key")
        if self.faults.take("forbidden", endpoint, hashtag):
            return _error(403, "this key may not use the TikTok API")
        return None

    def _scripted_429(self, endpoint: str, hashtag: str) -> Reply | None:
        """The `rate_limited` fault: a 429 with the headers its settings script."""
        owner = self.faults.take("rate_limited", endpoint, hashtag)
        if owner is None:
            return None
        limit = self._limit.limit if self._limit is not None else None
        headers = scripted_429_headers(owner, self._wall_time(), limit)
        return _error(429, "rate limit exceeded", headers)

    def _rate_refusal(self) -> tuple[Reply | None, dict[str, str]]:
        if self._limit is None:
            return None, {}
        verdict = self._limit.check()
        headers = {
            "X-RateLimit-Limit": str(verdict.limit),
            "X-RateLimit-Remaining": str(verdict.remaining),
            "X-RateLimit-Reset": reset_header(
                self._wall_time(), verdict.reset_in_seconds, self._time_scale
            ),
        }
        if verdict.allowed:
            return None, headers
        self._violations += 1
        retry = {"Retry-After": f"{max(0.001, verdict.reset_in_seconds):.3f}"}
        return _error(429, "rate limit exceeded", headers | retry), headers

    def _account_refusal(
        self, endpoint: str, hashtag: str, headers: dict[str, str]
    ) -> Reply | None:
        if self._credits <= 0 or self.faults.take("out_of_credits", endpoint, hashtag):
            return _error(402, "insufficient credits", headers)
        if endpoint == "hashtag" and hashtag in self.world.not_found:
            return _error(404, f"hashtag {hashtag!r} not found", headers)
        if self.faults.take("server_errors", endpoint, hashtag):
            return _error(500, "internal error", headers)
        return None

    def _hashtag_of(self, endpoint: str, body: dict[str, Any]) -> str:
        """The hashtag a request is about (faults are armed per hashtag)."""
        if endpoint == "hashtag":
            name = body.get("hashtag_name", body.get("hashtag"))
            if isinstance(name, str) and name.strip():
                return name.strip().lstrip("#").casefold()
            by_id = body.get("hashtag_id")
            if isinstance(by_id, str) and by_id in self._known_ids():
                return self._known_ids()[by_id]
            raise _BadRequest("hashtag_name or hashtag_id is required")
        if endpoint == "videos":
            _page_args(body, 30)
            wanted = body.get("hashtag_id")
            if not isinstance(wanted, str) or not wanted:
                raise _BadRequest("hashtag_id is required")
            if wanted not in self._known_ids():
                raise _NotFound(f"hashtag id {wanted} not found")
            return self._known_ids()[wanted]
        _page_args(body, 50)
        video = body.get("video_id")
        if not isinstance(video, str) or not video:
            raise _BadRequest("video_id is required")
        if video not in self._videos:
            raise _NotFound(f"video {video} not found")
        return self._videos[video][0]

    def _known_ids(self) -> dict[str, str]:
        for name in set(self.world.profiles) | self._seen:
            self._ids.setdefault(hashtag_id(name), name)
        return self._ids

    def _data(self, endpoint: str, hashtag: str, body: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        if endpoint == "hashtag":
            self._seen.add(hashtag)
            self._ids[hashtag_id(hashtag)] = hashtag
            return self._stats_data(hashtag, now)
        if endpoint == "videos":
            offset, count = _page_args(body, 30)
            videos, more = self.world.newest_videos(
                hashtag, now, offset, count, self.video_sample_cap
            )
            for video in videos:
                self._record_served(video)
            return {
                "aweme_list": [_aweme(v) for v in videos],
                "cursor": str(offset + len(videos)),
                "has_more": int(more),
            }
        offset, count = _page_args(body, 50)
        name, index = self._videos[body["video_id"]]
        video = self.world.video(name, index, now)
        comments, more = self.world.comments(video, now, offset, count)
        return {
            "comments": [
                {
                    "cid": c.comment_id,
                    "text": c.text,
                    "create_time": int(c.created_at.timestamp()),
                    "digg_count": c.likes,
                    "user": {"unique_id": c.author, "nickname": c.author.split(".")[0]},
                }
                for c in comments
            ],
            "cursor": str(offset + len(comments)),
            "has_more": int(more),
        }

    def _stats_data(self, hashtag: str, now: datetime) -> dict[str, Any]:
        views, videos = self.world.stats(hashtag, now)
        first = hashtag not in self._stats_answered
        self._stats_answered.add(hashtag)
        if first and self.faults.take("zero_first", "hashtag", hashtag):
            views, videos = 0, 0
        if self.faults.take("counts_down", "hashtag", hashtag):
            last_views, last_videos = self._last_stats.get(hashtag, (views, videos))
            views = max(1, last_views - max(1, last_views // 100))
            videos = max(1, last_videos - max(1, last_videos // 50))
        if self.faults.take("zero_videos", "hashtag", hashtag):
            videos = 0
        if self.faults.take("zero_views", "hashtag", hashtag):
            views = 0
        if videos and views:
            self._last_stats[hashtag] = (views, videos)
        return {
            "challengeInfo": {
                "challenge": {"id": hashtag_id(hashtag), "title": hashtag, "desc": ""},
                "stats": {"videoCount": videos, "viewCount": views},
            }
        }

    def _record_served(self, video: SimVideo) -> None:
        self._videos[video.video_id] = (video.hashtag, video.index)
        self._served_videos.setdefault(video.hashtag, {})[video.video_id] = None
        creators = self._served_creators.setdefault(video.hashtag, {})
        creators[video.creator.unique_id] = video.creator.followers

    def _success(
        self, endpoint: str, hashtag: str, data: dict[str, Any], headers: dict[str, str]
    ) -> Reply:
        if self.faults.take("drop", endpoint, hashtag):
            # The request was read and served upstream; the answer never leaves.
            self._lost += 1
            if self.charge_lost_answers:
                self._charge(hashtag)
            return Reply(200, b"", drop=True)
        self._succeeded += 1
        if self.faults.take("malformed_json", endpoint, hashtag):
            # Charged (as upstream likely does) unless the switch says otherwise.
            charged = self.charge_malformed
            if charged:
                self._charge(hashtag)
            reply = Reply(200, b'{"data": {"challengeInfo": {"stats": ', headers)
            reply.on_lost = lambda: self._answer_lost(hashtag, charged)
            return reply
        # Every other 200 is charged, even when its body turns out unusable.
        self._charge(hashtag)
        if self.faults.take("missing_fields", endpoint, hashtag):
            _remove_a_documented_field(endpoint, data)
        envelope = {
            "data": data,
            "credits_used": 1,
            "credits_remaining": self._credits,
            "response_time": 120,
        }
        reply = _json_reply(200, envelope, headers)
        reply.on_lost = lambda: self._answer_lost(hashtag, True)
        return reply

    # -- admin -------------------------------------------------------------------------

    def admin(self, path: str, body: dict[str, Any]) -> Reply:
        try:
            if path == "/_sim/faults":
                return self._admin_faults(body)
            if path == "/_sim/clock":
                return self._admin_clock(body)
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc)[:200])
        return _error(404, f"no admin endpoint {path}")

    def _admin_faults(self, body: dict[str, Any]) -> Reply:
        if body.get("clear"):
            self.clear_faults()
        if "rate_limit" in body or "time_scale" in body:
            limit = body.get("rate_limit", self._limit.limit if self._limit else None)
            self.set_rate_limit(limit, body.get("time_scale"))
        charging = body.get("charging") or {}
        if not isinstance(charging, dict) or set(charging) - {"lost_answers", "malformed"}:
            raise ValueError("charging must be an object of lost_answers / malformed: bool")
        if any(not isinstance(v, bool) for v in charging.values()):
            raise ValueError("charging switches are true or false")
        self.set_charging(**charging)
        if "credits" in body:
            self.set_credits(body["credits"])
        knobs = body.get("faults") or {}
        if not isinstance(knobs, dict):
            raise ValueError("faults must be an object of knob: count")
        self.set_faults(body.get("hashtag"), **knobs)
        with self._lock:
            return _json_reply(200, self.faults.snapshot())

    def _admin_clock(self, body: dict[str, Any]) -> Reply:
        if not isinstance(self.clock, ManualClock):
            return _error(400, "the simulator runs on a clock it does not control")
        if "advance_hours" in body:
            self.clock.advance(timedelta(hours=float(body["advance_hours"])))
        if "set" in body:
            self.clock.set(from_iso(str(body["set"])))
        return _json_reply(200, {"now": to_iso(self.clock.now())})


def _page_args(body: dict[str, Any], most: int) -> tuple[int, int]:
    cursor = body.get("cursor", "0")
    count = body.get("count", most)
    if isinstance(cursor, int) and not isinstance(cursor, bool):
        cursor = str(cursor)
    if not isinstance(cursor, str) or not cursor.isdigit():
        raise _BadRequest("cursor must be a string of digits")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= most:
        raise _BadRequest(f"count must be 1..{most}")
    return int(cursor), count


def _aweme(video: SimVideo) -> dict[str, Any]:
    return {
        "aweme_id": video.video_id,
        "desc": f"my take on #{video.hashtag} ({video.index})",
        "create_time": int(video.created_at.timestamp()),
        "statistics": {
            "play_count": video.plays,
            "digg_count": video.likes,
            "comment_count": video.comments,
            "share_count": video.shares,
            "collect_count": video.saves,
        },
        "author": {
            "unique_id": video.creator.unique_id,
            "nickname": video.creator.nickname,
            "follower_count": video.creator.followers,
        },
    }


def _remove_a_documented_field(endpoint: str, data: dict[str, Any]) -> None:
    if endpoint == "hashtag":
        del data["challengeInfo"]["stats"]["viewCount"]
    elif endpoint == "videos":
        if data["aweme_list"]:
            del data["aweme_list"][0]["statistics"]["play_count"]
        else:
            del data["aweme_list"]
    elif data["comments"]:
        del data["comments"][0]["text"]
    else:
        del data["comments"]


# How often a hanging answer looks at the stop signal; the client's hang-up wakes it at once.
_HANG_POLL_SECONDS = 0.05


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TikTokSim/1"
    # Headers and body are two writes: with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms an answer).
    disable_nagle_algorithm = True

    @property
    def sim(self) -> Simulator:
        simulator: Simulator = self.server.simulator  # type: ignore[attr-defined]
        return simulator

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: tests and the runner print what matters themselves.
        return

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        raw = self._body()
        if self.path in ENDPOINTS:
            reply = self.sim.answer(self.path, self.headers.get("Authorization"), raw)
        elif self.path.startswith("/_sim/"):
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                reply = _error(400, "the body must be a JSON object")
            else:
                reply = self.sim.admin(self.path, body)
        else:
            reply = _error(404, f"no endpoint {self.path}")
        self._send(reply)

    def do_GET(self) -> None:
        if self.path == USAGE:
            self._send(self.sim.usage(self.headers.get("Authorization")))
        elif self.path == "/_sim/truth":
            self._send(_json_reply(200, self.sim.truth().as_dict()))
        elif self.path == "/_sim/faults":
            self._send(_json_reply(200, self.sim.faults.snapshot()))
        elif self.path == "/healthz":
            self._send(_json_reply(200, {"ok": True}))
        else:
            self._send(_error(404, f"no endpoint {self.path}"))

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            # Hang up: the client sees the connection closed without an answer.
            self.close_connection = True
            return
        if reply.delay is not None and not self._hang(reply.delay):
            # The client gave up, or the simulator stopped: the answer never leaves.
            if reply.on_lost is not None:
                reply.on_lost()
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout) while we wrote.
            if reply.on_lost is not None:
                reply.on_lost()

    def _hang(self, seconds: float) -> bool:
        """Hold the answer back for up to `seconds` (inf: no limit). True: answer now (the
        time is up); False: the client hung up (it gave up waiting) or the simulator stopped.

        Waits on the connection, so a hang-up ends the wait at once, and on the simulator's
        stop signal, looked at every _HANG_POLL_SECONDS."""
        stopping = self.sim._stopping
        deadline = time.monotonic() + seconds
        while not stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            wait = min(left, _HANG_POLL_SECONDS)
            try:
                readable, _, _ = select.select([self.connection], [], [], wait)
                if readable:
                    peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
                    if peeked == b"":
                        return False
                    # More bytes (a pipelined request), not a hang-up: keep waiting.
                    stopping.wait(wait)
            except OSError:
                return False
        return False
