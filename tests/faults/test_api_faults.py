"""Faults of the data API (simulator knobs) through whole cycles on the emulated stack."""

from __future__ import annotations

import pytest

from hashtag_tracker.clock import to_iso
from hashtag_tracker_tools.simulator import ALWAYS
from tests.faults.harness import (
    TAGS,
    Expect,
    MakeHarness,
    assert_invariants,
    cycles,
    viral,
)

pytestmark = pytest.mark.faults


def test_baseline_without_faults(harness_factory: MakeHarness) -> None:
    """Baseline, no fault.
    Injected: nothing.
    Asserted: one ok snapshot per hashtag and cycle equal to the simulator's truth; the spike
    gives exactly one viral alert (12:00); nothing else alerts; DLQ empty.
    """
    # Given three tracked tags, one of which spikes at 06:30
    h = harness_factory(TAGS)
    whens = cycles(4)

    # When four cycles run
    h.run(whens)

    # Then
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))
    assert h.simulator.truth().answers == {200: h.simulator.truth().succeeded}


def test_429_storm(harness_factory: MakeHarness) -> None:
    """429 storm.
    Injected: for the day's first two cycles the API allows 1 call per 0.5 s while the tracker
    paces for 10 per (scaled) minute, so most calls answer 429.
    Asserted: every hashtag still gets its ok snapshot (waits and deferrals, no missing);
    no alert besides the spike's; DLQ empty; 429s really happened.
    """
    h = harness_factory(TAGS)
    whens = cycles(4)

    # When the API refuses most calls during the first two cycles
    h.simulator.set_rate_limit(1, time_scale=120)
    h.run(whens[:2])
    h.simulator.set_rate_limit(10, time_scale=3000)
    h.run(whens[2:])

    # Then nothing was lost to the storm
    assert h.simulator.truth().answers.get(429, 0) >= 2
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_5xx_burst_absorbed_by_retries(harness_factory: MakeHarness) -> None:
    """5xx burst.
    Injected: the next 5 answers of the API are 500s.
    Asserted: in-call and queue retries absorb the burst: every snapshot ok and true, no
    missing, no false alert, DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(4)
    h.run(whens[:1])
    h.simulator.set_faults(server_errors=5)
    h.run(whens[1:])
    assert h.simulator.truth().answers.get(500) == 5
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_5xx_outage_recorded_as_missing(harness_factory: MakeHarness) -> None:
    """5xx outage.
    Injected: every call for one hashtag answers 500 during one cycle.
    Asserted: that cycle is stored as `missing: unavailable` with no counters (never zeros),
    the other tags are ok, no drop or viral alert follows, the next cycle is ok; DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(4)
    h.run(whens[:1])
    h.simulator.set_faults("calmone", server_errors=ALWAYS)
    h.cycle(whens[1])
    h.simulator.clear_faults()
    h.run(whens[2:])
    assert_invariants(
        h,
        Expect(
            whens,
            missing={("calmone", whens[1]): "unavailable"},
            alerts={viral("spiky", whens[2])},
        ),
    )


def test_timeouts(harness_factory: MakeHarness) -> None:
    """Timeouts.
    Injected: the next 2 answers of the API come later than the client's timeout.
    Asserted: the timed-out calls are retried; every snapshot ok and true; no missing; no
    false alert; DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.simulator.set_faults(slow=2)  # each hangs until the client gives up
    h.run(whens)
    assert h.simulator.faults.global_faults.slow == 0  # both slow answers were served
    assert_invariants(h, Expect(whens, alerts={viral("spiky", whens[2])}))


def test_malformed_answers(harness_factory: MakeHarness) -> None:
    """Malformed answers.
    Injected: one tag gets a body that is not JSON, then one missing `viewCount`; another gets
    only unreadable bodies for a cycle.
    Asserted: the first is retried through the queue and stored ok; the second is stored as
    `missing: malformed` without counters (never zeros); no false alert; DLQ empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:1])
    h.simulator.set_faults("calmone", malformed_json=1, missing_fields=1)
    h.simulator.set_faults("calmtwo", malformed_json=ALWAYS)
    h.cycle(whens[1])
    h.simulator.clear_faults()
    h.run(whens[2:])
    assert_invariants(
        h,
        Expect(
            whens,
            missing={("calmtwo", whens[1]): "malformed"},
            alerts={viral("spiky", whens[2])},
        ),
    )


def test_zero_glitches(harness_factory: MakeHarness) -> None:
    """Zero glitches.
    Injected: `videoCount: 0` for one tag in one cycle, `viewCount: 0` for another in the next.
    Asserted: both answers are kept apart as `suspect` (never ok zeros), no drop, viral or
    low-activity alert follows, the tags' next cycles are ok.
    """
    h = harness_factory(TAGS)
    whens = cycles(4)
    h.run(whens[:1])
    h.simulator.set_faults("calmone", zero_videos=1)
    h.cycle(whens[1])
    h.simulator.set_faults("calmtwo", zero_views=1)
    h.run(whens[2:])
    assert_invariants(
        h,
        Expect(
            whens,
            suspect={("calmone", whens[1]), ("calmtwo", whens[2])},
            alerts={viral("spiky", whens[2])},
        ),
    )


def test_counts_going_down(harness_factory: MakeHarness) -> None:
    """Counts going down.
    Injected: one tag's views and videos come back lower than the cycle before (deleted videos).
    Asserted: stored as the API said (usable, not zero), no low-activity, drop or viral alert,
    and the rebound next cycle is not read as growth.
    """
    h = harness_factory(TAGS)
    whens = cycles(4)
    h.run(whens[:2])
    h.simulator.set_faults("calmone", counts_down=1)
    h.run(whens[2:])
    snapshots = h.snapshots()
    before, fell = (snapshots[("calmone", to_iso(w))] for w in whens[1:3])
    assert fell.views is not None and before.views is not None
    assert fell.views < before.views
    assert_invariants(
        h, Expect(whens, not_truth={("calmone", whens[2])}, alerts={viral("spiky", whens[2])})
    )


def test_401_key_revoked(harness_factory: MakeHarness) -> None:
    """401 key revoked.
    Injected: the API refuses the key (401) for a whole cycle.
    Asserted: nothing is stored for that cycle (no zeros, no missing), the DLQ holds exactly
    its messages, one "key refused" notice (not one per message); after the key is fixed a
    redrive writes every snapshot of the cycle and the DLQ is empty.
    """
    h = harness_factory(TAGS)
    whens = cycles(3)
    h.run(whens[:1])
    h.simulator.set_faults(unauthorized=ALWAYS)
    h.cycle(whens[1])
    assert h.runner.dlq_depth() == len(h.names)
    assert not [k for k in h.snapshots() if k[1] == to_iso(whens[1])]

    # When the key is fixed and the DLQ redriven within the cycle
    h.simulator.clear_faults()
    assert h.runner.redrive_dlq() == len(h.names)
    h.drain()
    h.deliver_alerts()
    h.run(whens[2:])
    assert_invariants(
        h,
        Expect(whens, alerts={viral("spiky", whens[2])}, notices=["Data API key refused"]),
    )


def test_402_out_of_credits(harness_factory: MakeHarness) -> None:
    """402 out of credits.
    Injected: the API answers 402 insufficient_credits for two tags over two cycles.
    Asserted: both cycles are stored as `missing: out_of_credits` without counters, one
    "out of credits" notice for the month, no false alert, DLQ empty; the next cycle is ok.
    """
    h = harness_factory(TAGS)
    whens = cycles(4)
    h.run(whens[:1])
    for name in ("calmone", "calmtwo"):
        h.simulator.set_faults(name, out_of_credits=ALWAYS)
    h.run(whens[1:3])
    h.simulator.clear_faults()
    h.run(whens[3:])
    missing = {(n, w): "out_of_credits" for n in ("calmone", "calmtwo") for w in whens[1:3]}
    assert_invariants(
        h,
        Expect(
            whens,
            missing=missing,
            alerts={viral("spiky", whens[2])},
            notices=["Data API account out of credits"],
        ),
    )
