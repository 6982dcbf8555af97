"""The embedded local stack: moto server from template.yaml; a runner for EventBridge and SQS."""
