"""A fresh simulator per test on 127.0.0.1, and a client wired to it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from hashtag_tracker.clock import ManualClock
from hashtag_tracker.source.base import CallRecord
from hashtag_tracker.source.scavio import ScavioProvider
from hashtag_tracker_tools.simulator import Simulator

START = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> Iterator[Simulator]:
    with Simulator(clock) as simulator:
        yield simulator


class Client:
    """The real client against the simulator; sleeps are recorded, not slept."""

    def __init__(self, sim: Simulator, **options: Any) -> None:
        self.records: list[CallRecord] = []
        self.sleeps: list[float] = []
        settings: dict[str, Any] = {
            "timeout": 2.0,
            "on_call": self.records.append,
            "sleep": self.sleeps.append,
            "rng": random.Random(3),
        }
        settings.update(options)
        self.provider = ScavioProvider(sim.base_url, lambda: sim.api_key, **settings)


@pytest.fixture
def client(sim: Simulator) -> Client:
    return Client(sim)
