"""The hashtag-tracker command line."""

from hashtag_tracker_tools.cli.app import cli, main

__all__ = ["cli", "main"]
