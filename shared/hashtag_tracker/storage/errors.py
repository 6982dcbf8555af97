"""Storage failures as the service's own exceptions, so logic never sees botocore."""

from __future__ import annotations


class StorageError(RuntimeError):
    """DynamoDB or another store failed; the message says which operation."""


class ItemNotFoundError(StorageError):
    """The item asked for does not exist."""


class ItemExistsError(StorageError):
    """A create found the item already there (a conditional write refused it)."""
