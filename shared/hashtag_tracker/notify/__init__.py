"""Notification: SNS alert messages and the Slack notifier."""
