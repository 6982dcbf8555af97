"""Benchmarks: credits, rate-limit use, per-hashtag overhead, cold start, report scaling."""
