"""Tracked-hashtag input: names in any script, very long tags, fuzzed DynamoDB items, a cycle."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hashtag_tracker.collection.scheduler import fan_out
from hashtag_tracker.models.hashtag import (
    MAX_HASHTAG_LENGTH,
    InvalidHashtagError,
    InvalidItem,
    TrackedHashtag,
    normalise_hashtag,
)
from hashtag_tracker.storage.hashtags import parse_item
from tests.property.conftest import STABLE
from tests.property.strategies import ANY_TEXT, LETTERS, WORD_CHARS, attribute_values

pytestmark = pytest.mark.property

CYCLE = datetime(2026, 11, 2, 6, tzinfo=UTC)
ITEM_KEYS = (
    "hashtag",
    "kind",
    "campaign",
    "active",
    "start_date",
    "end_date",
    "thresholds",
    "hashtag_id",
    "status",
    "created_at",
    "updated_at",
)


def _one_line(message: str) -> None:
    assert message.strip(), "an empty rejection"
    assert "\n" not in message, message


@STABLE
@given(ANY_TEXT)
def test_any_text_is_a_normalised_tag_or_a_one_line_refusal(text: str) -> None:
    """Hashtag names: any text (controls, emoji, spaces, any script).
    Asserted: a valid name is normalised (no '#', casefolded, <= 100 characters, stable when
    normalised again); anything else is refused with a one-line InvalidHashtagError."""
    try:
        name = normalise_hashtag(text)
    except InvalidHashtagError as exc:
        _one_line(str(exc))
        return
    assert 1 <= len(name) <= MAX_HASHTAG_LENGTH
    assert not name.startswith("#") and name == name.casefold()
    assert normalise_hashtag(name) == name
    assert normalise_hashtag("#" + name.upper()) == normalise_hashtag(name.upper())


@STABLE
@given(st.text(WORD_CHARS, min_size=1, max_size=60).filter(lambda s: any(c.isalpha() for c in s)))
def test_letters_of_any_script_make_a_valid_tag(word: str) -> None:
    """Non-Latin tags: words of Greek, Cyrillic, Arabic, Hebrew, Devanagari, Thai, kana,
    Hangul and CJK letters, digits and '_'.
    Asserted: every one is a valid tag, equal to its NFKC casefolded form."""
    name = normalise_hashtag("#" + word)
    assert name == unicodedata.normalize("NFKC", word).casefold()
    assert TrackedHashtag(hashtag=word).hashtag == name


@STABLE
@given(st.integers(min_value=MAX_HASHTAG_LENGTH + 1, max_value=200_000), LETTERS)
def test_very_long_tags_are_refused_with_their_length(length: int, letter: str) -> None:
    """Very long tags.
    Input: 101 to 200,000 characters of one letter of any script.
    Asserted: refused with a one-line message naming the length and the limit."""
    with pytest.raises(InvalidHashtagError) as refused:
        normalise_hashtag(letter * length)
    _one_line(str(refused.value))
    assert "too long" in str(refused.value) and str(MAX_HASHTAG_LENGTH) in str(refused.value)
    assert len(str(refused.value)) < 200


def raw_items() -> st.SearchStrategy[dict[str, Any]]:
    """An item a console user or a script may store: a key, then anything in any attribute."""
    key = st.one_of(
        st.builds(lambda s: {"S": s}, st.one_of(ANY_TEXT, st.text(WORD_CHARS, min_size=1))),
        attribute_values(max_leaves=3),
    )
    overrides = st.dictionaries(
        st.one_of(st.sampled_from(ITEM_KEYS[1:]), st.text(max_size=15)),
        attribute_values(max_leaves=6),
        max_size=5,
    )
    return st.builds(lambda k, o: {**o, "hashtag": k}, key, overrides)


@STABLE
@given(raw_items())
def test_any_stored_item_is_parsed_or_reported_never_raised(raw: dict[str, Any]) -> None:
    """Tracked-hashtag items: fuzzed DynamoDB items (every attribute type, unknown attributes,
    bad numbers, nested maps, non-normalised names).
    Asserted: parsing never raises; an item is a valid TrackedHashtag or an InvalidItem whose
    reason names it."""
    result = parse_item(raw)
    if isinstance(result, InvalidItem):
        assert result.reason.startswith("hashtag item")
        if not any(c in "".join(raw) for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
            _one_line(result.reason)
    else:
        assert isinstance(result, TrackedHashtag)
        assert normalise_hashtag(result.hashtag) == result.hashtag


@STABLE
@example({"hashtag": {"S": "tag"}, "bad\nname": {"S": "x"}})
@given(
    st.builds(
        lambda name: {"hashtag": {"S": "tag"}, name: {"S": "x"}},
        st.text(min_size=1, max_size=10).map(lambda s: s + "\n"),
    )
)
def test_the_reason_for_an_invalid_item_is_one_line(raw: dict[str, Any]) -> None:
    """Rejections are one line: an unknown attribute whose name holds a line break.
    Asserted: the InvalidItem's reason (logged, printed by the CLI) stays on one line."""
    result = parse_item(raw)
    assert isinstance(result, InvalidItem)
    _one_line(result.reason)


class _Claims:
    def claim_cycle(self, cycle: datetime, now: datetime, stale_after: timedelta) -> bool:
        return True

    def finish_cycle(self, cycle: datetime, sent: int, invalid: int) -> None:
        self.finished = (sent, invalid)

    def release_cycle(self, cycle: datetime, claimed_at: datetime) -> None:
        self.released = cycle


class _Sink:
    def __init__(self) -> None:
        self.bodies: list[str] = []

    def send_bodies(self, bodies: Iterable[str], delay_seconds: int = 0) -> int:
        self.bodies += list(bodies)
        return len(list(bodies))


@STABLE
@given(st.lists(raw_items(), max_size=25))
def test_a_cycle_over_any_items_sends_the_valid_ones_and_reports_the_rest(
    raws: list[dict[str, Any]],
) -> None:
    """A scheduler cycle over bad items.
    Input: up to 25 fuzzed items mixed with 3 valid ones, through the scheduler's fan-out.
    Asserted: the cycle never stops; one message per valid, due item; every invalid item is
    reported (counted) and skipped."""
    valid = [{"hashtag": {"S": f"good{i}"}, "kind": {"S": "trend"}} for i in range(3)]
    items = [parse_item(raw) for raw in [*raws, *valid]]
    sink, claims = _Sink(), _Claims()

    result = fan_out(CYCLE, cycle_hours=6, items=iter(items), claims=claims, sink=sink, now=CYCLE)

    due = [i for i in items if isinstance(i, TrackedHashtag) and i.is_due(CYCLE.date())]
    invalid = [i for i in items if isinstance(i, InvalidItem)]
    assert result.sent == len(sink.bodies) == len(due) >= 3
    assert len(result.invalid) == len(invalid)
    assert claims.finished == (len(due), len(invalid))
