"""The load test's marker."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "load: thousands of hashtags through the emulated stack (issue 8)"
    )
