"""Tracked-hashtag input: names in any script, very long tags, fuzzed DynamoDB items, a cycle."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hashtag_tracker.collection.messages import FetchMessage
from hashtag_tracker.collection.scheduler import TickSettings, fan_out
from hashtag_tracker.models.codec import decode_json, field_names, to_data
from hashtag_tracker.models.hashtag import (
    MAX_HASHTAG_LENGTH,
    MAX_VIEW_THRESHOLD,
    InvalidHashtagError,
    InvalidItem,
    Thresholds,
    TrackedHashtag,
    normalise_hashtag,
)
from hashtag_tracker.storage.dynamo import serialize_item
from hashtag_tracker.storage.hashtags import hashtag_to_item, parse_item
from hashtag_tracker_tools.cli.app import _row
from tests.property.conftest import STABLE
from tests.property.strategies import ANY_TEXT, LETTERS, WORD_CHARS, attribute_values
from tests.unit.collection.fakes import tick_ports

pytestmark = pytest.mark.property

CYCLE = datetime(2026, 11, 2, 6, tzinfo=UTC)
THRESHOLD_NAMES = field_names(Thresholds)
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

    result = fan_out(
        CYCLE, settings=TickSettings(), ports=tick_ports(iter(items), claims, sink), now=CYCLE
    )

    due = [i for i in items if isinstance(i, TrackedHashtag) and i.is_due(CYCLE.date())]
    invalid = [i for i in items if isinstance(i, InvalidItem)]
    assert result.sent == len(sink.bodies) == len(due) >= 3
    assert len(result.invalid) == len(invalid)
    assert claims.finished == (len(due), len(invalid))


def _spellings(word: str) -> st.SearchStrategy[str]:
    """Other ways a person may type the key of `word`: '#', capitals, fullwidth letters."""
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
    return st.sampled_from(["#" + word, word.upper(), "#" + word.title(), fullwidth, f" {word}"])


def _stray_keys() -> st.SearchStrategy[tuple[str, str]]:
    words = st.text(WORD_CHARS, min_size=1, max_size=40)
    pairs = words.flatmap(lambda w: st.tuples(st.just(w), _spellings(w)))
    return pairs.filter(lambda pair: pair[1] != normalise_hashtag(pair[0]))


@STABLE
@example(("trybrandx", "#TryBrandX"))
@example(("trybrandx", "ＴｒｙＢｒａｎｄＸ"))
@given(_stray_keys())
def test_a_key_that_is_not_its_normalised_name_is_reported_never_a_second_name(
    word_and_key: tuple[str, str],
) -> None:
    """Stored keys that are not normalised.
    Input: an item keyed `#word`, `WORD`, `#Word`, fullwidth `ｗｏｒｄ` or ` word` (what a
    console user types), beside the item keyed by the normalised name, through a cycle.
    Asserted: the stray key is an InvalidItem whose one-line reason names the normalised
    name and the CLI's `remove --raw-key`; the cycle sends the hashtag once."""
    word, key = word_and_key
    name = normalise_hashtag(word)
    items = [parse_item({"hashtag": {"S": name}}), parse_item({"hashtag": {"S": key}})]
    sink, claims = _Sink(), _Claims()

    result = fan_out(
        CYCLE, settings=TickSettings(), ports=tick_ports(iter(items), claims, sink), now=CYCLE
    )

    assert result.sent == len(sink.bodies) == 1
    [invalid] = result.invalid
    assert invalid.key == key and repr(name) in invalid.reason
    assert "remove --raw-key" in invalid.reason
    _one_line(invalid.reason)


THRESHOLD_NUMBERS = st.one_of(
    st.floats(),
    st.sampled_from(["Infinity", "-Infinity", "inf", "NaN", "1e200", "1e-300", "1E+125"]),
    st.integers(min_value=-(10**20), max_value=10**20),
)


@STABLE
@example("viral_growth_pct", "Infinity")
@example("viral_growth_pct", "1e200")
@given(st.sampled_from(THRESHOLD_NAMES), THRESHOLD_NUMBERS)
def test_a_threshold_is_finite_and_bounded_or_the_item_is_invalid(
    key: str, value: float | int | str
) -> None:
    """Thresholds of any size.
    Input: any threshold stored as any float (infinities, NaN, 1e±300), a huge integer, or
    text such as `Infinity` and `1e200`.
    Asserted: the item is invalid with a one-line reason, or every threshold is finite,
    within its documented bounds, stored by DynamoDB's number type, and the fetch message
    round-trips with the same thresholds (never a `null`)."""
    attribute = {"S": value} if isinstance(value, str) else {"S": repr(value)}
    result = parse_item({"hashtag": {"S": "tag"}, "thresholds": {"M": {key: attribute}}})
    if isinstance(result, InvalidItem):
        _one_line(result.reason)
        return
    for number in to_data(result.thresholds).values():
        assert math.isfinite(number) and abs(number) <= MAX_VIEW_THRESHOLD
    serialize_item(hashtag_to_item(result))  # no decimal.Overflow / Underflow
    message = FetchMessage(cycle=CYCLE, hashtag=result)
    assert decode_json(message.body(), FetchMessage).hashtag.thresholds == result.thresholds


@STABLE
@example("BrandX\n#forged  campaign")
@example('=HYPERLINK("http://x")\r\n')
@given(ANY_TEXT)
def test_a_campaign_is_one_line_of_text_or_refused(campaign: str) -> None:
    """Campaign text.
    Input: any text as an item's `campaign` (line breaks, controls, U+2028, emoji, any script).
    Asserted: refused with a one-line reason, or the stored campaign prints as one line in
    `hashtag-tracker list` and in the alert email's `Campaign:` line."""
    result = parse_item({"hashtag": {"S": "tag"}, "campaign": {"S": campaign}})
    if isinstance(result, InvalidItem):
        _one_line(result.reason)
        assert "campaign" in result.reason
        return
    assert len(_row(result).splitlines()) == 1
    assert len(f"Campaign: {result.campaign or '-'}".splitlines()) == 1
