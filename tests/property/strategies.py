"""Hypothesis strategies for the tracker's inputs: JSON values, DynamoDB attribute values."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Scripts people tag in: Latin (with accents), Greek, Cyrillic, Arabic, Hebrew, Devanagari,
# Thai, Hiragana, Katakana, Hangul, CJK.
SCRIPT_RANGES = (
    (0x61, 0x7A),
    (0xE0, 0xFF),
    (0x3B1, 0x3C9),
    (0x430, 0x44F),
    (0x621, 0x64A),
    (0x5D0, 0x5EA),
    (0x905, 0x939),
    (0xE01, 0xE2E),
    (0x3041, 0x3096),
    (0x30A1, 0x30FA),
    (0xAC00, 0xD7A3),
    (0x4E00, 0x9FFF),
)
LETTERS = st.one_of(
    *(
        st.characters(min_codepoint=lo, max_codepoint=hi, categories=["Ll", "Lo"])
        for lo, hi in SCRIPT_RANGES
    )
)
WORD_CHARS = st.one_of(LETTERS, st.sampled_from("0123456789_"))
# Any text at all, including controls, surrogate-free astral characters, emoji and spaces.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)


def json_values(max_leaves: int = 25) -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALARS,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(st.text(max_size=12), children, max_size=6),
        ),
        max_leaves=max_leaves,
    )


def attribute_values(max_leaves: int = 12) -> st.SearchStrategy[dict[str, Any]]:
    """DynamoDB attribute values of every type, well- or ill-formed, as a console user or a
    script may store them."""
    numbers = st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.sampled_from(["1.5", "-0", "1e3", "NaN", "", "abc", "12345678901234567890123"]),
    )
    leaves = st.one_of(
        st.builds(lambda s: {"S": s}, st.text(max_size=40)),
        st.builds(lambda n: {"N": n}, numbers),
        st.builds(lambda b: {"BOOL": b}, st.booleans()),
        st.just({"NULL": True}),
        st.builds(lambda b: {"B": b}, st.binary(max_size=8)),
        st.builds(lambda ss: {"SS": ss}, st.lists(st.text(max_size=8), min_size=1, max_size=3)),
        st.builds(lambda ns: {"NS": ns}, st.lists(numbers, min_size=1, max_size=3)),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.builds(
                lambda m: {"M": m}, st.dictionaries(st.text(max_size=20), children, max_size=4)
            ),
            st.builds(lambda items: {"L": items}, st.lists(children, max_size=4)),
        ),
        max_leaves=max_leaves,
    )
