"""The value inside a secret's text: the text itself, or one field of a JSON object (the
console's key/value form). Reading the secret is storage/secrets.py's job."""

from __future__ import annotations

import json
from collections.abc import Sequence


def secret_field(text: str, fields: Sequence[str], *, what: str, error: type[Exception]) -> str:
    """`text` stripped, or, if it is a JSON object, its first non-empty field of `fields`."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return stripped
    try:
        document = json.loads(stripped)
    except ValueError:
        raise error(f"the {what} secret is not valid JSON") from None
    if isinstance(document, dict):
        for field in fields:
            value = document.get(field)
            if isinstance(value, str) and value.strip():
                return value.strip()
    raise error(f"the {what} secret has none of the fields {', '.join(fields)}")
