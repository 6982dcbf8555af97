"""Credits and first readings under data-API faults, through whole cycles (issue 16)."""

from __future__ import annotations

import json

import boto3
import pytest

from hashtag_tracker.clock import to_iso
from hashtag_tracker.storage.state import DynamoStateStore
from tests.faults.harness import (
    CALM,
    TAGS,
    Expect,
    MakeHarness,
    assert_invariants,
    cycles,
    viral,
)

pytestmark = pytest.mark.faults


def test_credits_add_up_under_faults_and_a_first_zero_is_no_baseline(
    harness_factory: MakeHarness,
) -> None:
    """Credits add up under faults.
    Injected: in one run, a new tag's first stats answer is `0`/`0` (the upstream glitch), one
    answer is lost after the API served and charged it (the connection drops), one 2xx answer
    is not JSON (charged), and the next 3 answers are 500s.
    Asserted: the zero is stored `suspect` (zero_without_baseline) and no alert comes from
    growth off it; every snapshot is otherwise ok and true; the credits of every hashtag's
    snapshots add up to what the simulator charged for it, and in all to the month's counter
    and to the simulator's total; the State table and the weekly report show the balance the
    API last reported (`credits_remaining`); DLQ empty.
    """
    # Given the usual tags and a new one whose first reading will be the zero glitch
    h = harness_factory({**TAGS, "fresh": CALM})
    whens = cycles(4)
    h.simulator.set_faults("fresh", zero_first=1)
    h.simulator.set_faults("calmone", drop=1)
    h.simulator.set_faults("calmtwo", malformed_json=1)
    h.simulator.set_faults(server_errors=3)

    # When four cycles run
    h.run(whens)

    # Then no alert came from the zero, and the rest is true
    assert_invariants(
        h,
        Expect(whens, suspect={("fresh", whens[0])}, alerts={viral("spiky", whens[2])}),
    )
    snapshots = h.snapshots()
    assert snapshots[("fresh", to_iso(whens[0]))].reason == "zero_without_baseline"
    truth = h.simulator.truth()
    assert truth.lost_answers >= 1 and truth.answers.get(500) == 3  # the faults happened

    # And every credit is counted once, wherever it is counted
    per_tag: dict[str, int] = {}
    for (name, _cycle), snapshot in snapshots.items():
        per_tag[name] = per_tag.get(name, 0) + snapshot.credits
    assert per_tag == truth.credits_by_hashtag
    month = whens[0].strftime("%Y-%m")
    state = DynamoStateStore(h.info.outputs["StateTableName"])
    spent, used = state.credits(month)
    assert sum(per_tag.values()) == used == spent == truth.credits_charged

    # And the balance of record is the API's own, in the State table and in the report
    balance = state.balance(month)
    assert balance is not None and balance[0] == truth.credits_remaining
    answer = h.runner.invoke("report", {"as_of": to_iso(whens[-1])})
    s3 = boto3.client("s3")
    bucket = h.info.outputs["ReportsBucketName"]
    report = json.loads(
        s3.get_object(Bucket=bucket, Key=answer["files"]["report.json"])["Body"].read()
    )
    assert report["balance"] == truth.credits_remaining
