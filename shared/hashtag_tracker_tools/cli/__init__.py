"""The hashtag-tracker command line."""

from hashtag_tracker_tools.cli import view_commands  # registers status, history, alerts, ...
from hashtag_tracker_tools.cli.app import cli, main

__all__ = ["cli", "main", "view_commands"]
