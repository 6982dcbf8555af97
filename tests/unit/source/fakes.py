"""A scripted stand-in for the HTTP transport: answers in order, records what was sent."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hashtag_tracker.source.http import HttpAnswer


def answer(
    status: int = 200, body: Any = None, *, text: str | None = None, **headers: str
) -> HttpAnswer:
    payload = text if text is not None else json.dumps(body)
    return HttpAnswer(status, {k.replace("_", "-"): v for k, v in headers.items()}, payload)


def ok(data: Any, credits_used: int = 1) -> HttpAnswer:
    return answer(200, {"data": data, "credits_used": credits_used, "credits_remaining": 99})


def error(status: int, code: str, message: str = "nope", **headers: str) -> HttpAnswer:
    return answer(status, {"error": {"code": code, "message": message}}, **headers)


@dataclass
class Sent:
    url: str
    json: Any
    headers: dict[str, str]
    timeout: Any


@dataclass
class FakeTransport:
    script: list[HttpAnswer | Exception]
    sent: list[Sent] = field(default_factory=list)

    def post_json(
        self, url: str, json: Any, headers: Mapping[str, str], timeout: float
    ) -> HttpAnswer:
        self.sent.append(Sent(url, json, dict(headers), timeout))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def stats_data(views: Any = 1000, videos: Any = 10) -> dict[str, Any]:
    return {
        "challengeInfo": {
            "challenge": {"id": "7001", "title": "trybrandx", "desc": ""},
            "stats": {"videoCount": videos, "viewCount": views},
        }
    }


def aweme(video_id: str = "v1", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "aweme_id": video_id,
        "desc": "my take on #trybrandx",
        "create_time": 1_767_225_600,
        "statistics": {
            "play_count": 1000,
            "digg_count": 100,
            "comment_count": 10,
            "share_count": 5,
            "collect_count": 2,
        },
        "author": {"unique_id": "maya", "nickname": "Maya", "follower_count": 12000},
    }
    item.update(overrides)
    return item
