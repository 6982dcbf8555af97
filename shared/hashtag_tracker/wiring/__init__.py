"""Composition at the edge: one factory module per function, the only place that chooses
adapters (DynamoDB, SQS, SNS, S3, the data API) for the logic's ports.

Each handler makes its dependencies once per container through its factory, and accepts
them as an optional argument, so the local runner and tests pass their own instead of
patching modules."""
