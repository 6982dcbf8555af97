"""The monthly credit budget on the State table (moto): whatever the budget and the order of
reservations and settlements, the month's spend never passes the budget."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from hashtag_tracker.storage.state import DynamoStateStore
from tests.integration.conftest import TABLE_KEYS, template_tables
from tests.property.conftest import STABLE

pytestmark = pytest.mark.property

MONTH = "2026-11"
BUDGETS = st.one_of(st.just(0), st.integers(min_value=0, max_value=60))
# ("reserve", amount) or ("settle", which granted reservation, share of it used)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), st.integers(min_value=0, max_value=80)),
        st.tuples(st.just("settle"), st.integers(min_value=0, max_value=30), st.floats(0, 1)),
    ),
    max_size=25,
)


def _state_table() -> DynamoStateStore:
    client = boto3.client("dynamodb", region_name="us-east-1")
    props = template_tables()["StateTable"]
    client.create_table(TableName="StateTable", **{k: props[k] for k in TABLE_KEYS if k in props})
    return DynamoStateStore("StateTable", client)


@settings(STABLE, max_examples=60)
@given(budget=BUDGETS, steps=STEPS)
def test_the_months_spend_never_exceeds_the_budget(budget: int, steps: list[Any]) -> None:
    """Credit budget under any order of reservations.
    Input: a monthly budget (0 included) and reservations (amounts up to past the budget,
    the month's first included) and settlements of granted ones, in any order, on
    DynamoStateStore against moto's DynamoDB.
    Asserted: after every step the month's spend is at most the budget; a reservation is
    granted exactly when it fits what is left; settling gives back what went unused.
    """
    with mock_aws():
        state = _state_table()
        open_reservations: list[int] = []
        spent = 0
        for step in steps:
            if step[0] == "reserve":
                amount = step[1]
                granted = state.reserve_credits(MONTH, amount, budget)
                assert granted == (spent + amount <= budget), (spent, amount, budget)
                if granted:
                    spent += amount
                    open_reservations.append(amount)
            elif open_reservations:
                reserved = open_reservations.pop(step[1] % len(open_reservations))
                used = int(reserved * step[2])
                state.settle_credits(MONTH, reserved, used)
                spent -= reserved - used
            stored, _ = state.credits(MONTH)
            assert stored == spent
            assert stored <= budget, (stored, budget)
