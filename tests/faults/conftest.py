"""The fault suite's marker and fixtures (the shared emulated stack lives in harness.py)."""

from __future__ import annotations

import pytest

from tests.faults.harness import harness_factory, stack

__all__ = ["harness_factory", "stack"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: fault injection on the emulated stack and the simulator (issue 8)"
    )
