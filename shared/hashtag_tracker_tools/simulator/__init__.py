"""An offline simulator of the Scavio TikTok API on loopback: synthetic campaigns and faults."""

from hashtag_tracker_tools.simulator.faults import ALWAYS, Faults
from hashtag_tracker_tools.simulator.server import Simulator, Truth
from hashtag_tracker_tools.simulator.world import (
    BRAND,
    COMPETITORS,
    DEFAULT_PROFILES,
    Profile,
    ProfileKind,
    World,
    procedural_profile,
)

__all__ = [
    "ALWAYS",
    "BRAND",
    "COMPETITORS",
    "DEFAULT_PROFILES",
    "Faults",
    "Profile",
    "ProfileKind",
    "Simulator",
    "Truth",
    "World",
    "procedural_profile",
]
