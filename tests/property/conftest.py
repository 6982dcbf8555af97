"""Property-based tests of bad input: the marker, and hypothesis settings that keep CI stable."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# Deterministic (derandomize) so CI sees the same examples every run; no deadline, since the
# machine is shared and timing is not what these tests are about.
STABLE = settings(
    derandomize=True,
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "property: property-based tests of bad input (hypothesis; issue 8)"
    )
