"""The one place the Powertools logger, metrics and tracer are made."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "hashtag-tracker"
NAMESPACE = "HashtagTracker"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
