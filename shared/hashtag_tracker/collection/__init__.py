"""The collection cycle: scheduler fan-out, per-hashtag fetch policy, pacing, budget, worker."""
