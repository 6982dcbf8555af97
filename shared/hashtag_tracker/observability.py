"""The one place the Powertools logger and metrics are made.

No Powertools Tracer (X-Ray): its cold-start cost has not been measured here.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "hashtag-tracker"
NAMESPACE = "HashtagTracker"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
