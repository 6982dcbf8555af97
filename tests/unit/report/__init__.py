"""Unit tests of the weekly report."""
