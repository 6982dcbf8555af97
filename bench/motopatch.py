"""Makes moto's DynamoDB query read one partition, as DynamoDB does, instead of the table.

moto 5 answers every Query by listing and sorting the whole table (`Table.all_items`), so
its time grows with every item of every hashtag: an emulator cost DynamoDB does not have
(a Query reads one partition, in key order). Inside `partition_queries()` a query with an
equality on the table's hash key (the table's own key, or a GSI sharing it) sees only that
partition; moto's own code still does the matching, sorting, paging and response.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.models.table import Table

_lock = threading.RLock()


def _partition_key(table: Table, hash_key: Any, conditions: Any) -> Any:
    if hash_key is not None:
        return hash_key
    for name, value in conditions or []:
        if name == table.hash_key_attr:
            return value
    return None


@contextmanager
def partition_queries() -> Iterator[None]:
    original = Table.query

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        key = _partition_key(self, hash_key, kwargs.get("hash_key_conditions"))
        if key is None or not self.range_key_attr:
            return original(self, hash_key, *args, **kwargs)
        # Served one at a time: the shadowing below is per table object.
        with _lock:
            partition = list(self.items[key].values()) if key in self.items else []
            self.all_items = lambda: partition  # type: ignore[method-assign]
            try:
                return original(self, hash_key, *args, **kwargs)
            finally:
                del self.all_items

    Table.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = original  # type: ignore[method-assign]
