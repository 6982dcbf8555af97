"""Typed records and the one way outside data becomes them (and back): msgspec.

msgspec instead of pydantic because the worker's cold start pays for every import: msgspec
loads in a few milliseconds where pydantic and its core took about 60 ms (bench/RESULTS.md).
Validation happens where data comes in (`convert`, `decode_json`): DynamoDB items, SQS
bodies, settings, alert messages. A record built in code (`Snapshot(...)`) runs its
`__post_init__` checks but not the field constraints, which guard outside data only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

import msgspec
from msgspec import ValidationError
from msgspec.structs import replace

__all__ = [
    "DecodeError",
    "Record",
    "ValidationError",
    "convert",
    "decode_json",
    "describe",
    "field_names",
    "plain_numbers",
    "replace",
    "to_data",
    "to_json",
]

R = TypeVar("R")

# Malformed JSON (DecodeError) and well-formed JSON of the wrong shape (ValidationError,
# a subclass) are both "this input is bad".
DecodeError = msgspec.DecodeError


class Record(msgspec.Struct, frozen=True):
    """Base of every stored or sent record: immutable and hashable. Subclasses repeat
    `frozen=True` (for type checkers) and pass `kw_only=True` (msgspec does not inherit it),
    so fields are named at every call."""


def convert(data: Any, kind: type[R]) -> R:
    """Validate plain data (a DynamoDB item, parsed JSON, settings) into `kind`.

    Lax like a console user expects: "300" is accepted for a number and a datetime object
    for a timestamp. Raises ValidationError, whose message names the field.
    """
    return msgspec.convert(data, kind, strict=False)


def plain_numbers(value: Any) -> Any:
    """DynamoDB's Decimals (boto3 gives them for every number) as ints or floats, nested."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_numbers(v) for v in value]
    if isinstance(value, set):
        return {plain_numbers(v) for v in value}
    return value


def decode_json(text: str | bytes, kind: type[R]) -> R:
    """Parse and validate JSON text in one step; raises DecodeError or ValidationError."""
    return msgspec.json.decode(text, type=kind, strict=False)


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def to_data(record: Any, *, keep_none: bool = False) -> Any:
    """JSON-ready builtins (timestamps as ISO text, enums as values); None fields are left
    out unless `keep_none`, so stored items carry only what is known."""
    data = msgspec.to_builtins(record)
    return data if keep_none else _without_none(data)


def to_json(record: Any, *, keep_none: bool = True, indent: int = 0) -> str:
    """The record as JSON text; `indent` > 0 pretty-prints (the published report)."""
    encoded = msgspec.json.encode(to_data(record, keep_none=keep_none))
    if indent:
        encoded = msgspec.json.format(encoded, indent=indent)
    return encoded.decode()


def field_names(kind: type[msgspec.Struct]) -> tuple[str, ...]:
    return kind.__struct_fields__


def describe(exc: msgspec.DecodeError) -> str:
    """One readable line: 'thresholds.viral_new_videos: Expected `int` >= 1'."""
    message, _, where = str(exc).partition(" - at `$")
    if not where:
        return message
    path = where.rstrip("`").lstrip(".").replace("[", ".").replace("]", "")
    return f"{path or 'item'}: {message}"
