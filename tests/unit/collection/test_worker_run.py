"""One worker invocation: typed records, partial batch failures, a refused key stops calls."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hashtag_tracker.collection.batch import BatchClaims
from hashtag_tracker.collection.handler import WorkerRun
from hashtag_tracker.collection.pacing import CreditBudget
from hashtag_tracker.collection.worker import WorkerDeps
from hashtag_tracker.models.bookkeeping import ClaimAnswer
from hashtag_tracker.models.hashtag import HashtagKind
from hashtag_tracker.source.errors import AuthError
from hashtag_tracker.storage.errors import StorageError
from tests.unit.collection.fakes import FakeState
from tests.unit.collection.test_worker import FakeProvider, _deps

EVENTS = Path(__file__).resolve().parents[3] / "events"


def _event(*bodies: str) -> dict[str, Any]:
    template = json.loads((EVENTS / "worker_batch.json").read_text())["Records"][0]
    return {
        "Records": [
            {**template, "messageId": f"m{i}", "body": body} for i, body in enumerate(bodies)
        ]
    }


def _run(event: dict[str, Any], run: WorkerRun) -> dict[str, Any]:
    return dict(run.process(event["Records"]))


def test_sample_event_fails_only_its_malformed_record() -> None:
    # Given the sample event: one good message, one that is not JSON
    provider = FakeProvider()
    deps, _ = _deps(provider)
    event = json.loads((EVENTS / "worker_batch.json").read_text())
    # When
    answer = _run(event, WorkerRun(deps))
    # Then only the malformed one goes back to the queue (and to the DLQ after its retries)
    bad_id = event["Records"][1]["messageId"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": bad_id}]}
    assert provider.calls[0] == "stats"


def test_a_refused_key_fails_the_rest_of_the_batch_without_calling() -> None:
    provider = FakeProvider()
    provider.fail_stats = AuthError("401 unauthorized", status=401)
    deps, _ = _deps(provider)
    body = json.loads(json.loads((EVENTS / "worker_batch.json").read_text())["Records"][0]["body"])
    bodies = []
    for tag in ("a", "b", "c"):
        body["hashtag"]["hashtag"] = tag
        bodies.append(json.dumps(body))
    answer = _run(_event(*bodies), WorkerRun(deps))
    assert len(answer["batchItemFailures"]) == 3
    assert provider.calls == ["stats"]  # one refused call, then none


class CountingCredits(FakeState):
    def __init__(self) -> None:
        super().__init__()
        self.reservations: list[int] = []
        self.settlements: list[tuple[int, int]] = []

    def reserve_credits(self, month: str, amount: int, budget: int) -> bool:
        self.reservations.append(amount)
        return super().reserve_credits(month, amount, budget)

    def settle_credits(
        self,
        month: str,
        reserved: int,
        used: int,
        balance: int | None = None,
        now: datetime | None = None,
    ) -> int | None:
        self.settlements.append((reserved, used))
        return super().settle_credits(month, reserved, used, balance, now)


def _batch_deps(provider: FakeProvider) -> tuple[WorkerDeps, CountingCredits]:
    deps, _ = _deps(provider)
    state = CountingCredits()
    deps.budget = CreditBudget(state, 10_000)
    deps.claims = BatchClaims(state, owner="invocation-1")
    return deps, state


def _bodies(*tags: str) -> list[str]:
    body = json.loads(json.loads((EVENTS / "worker_batch.json").read_text())["Records"][0]["body"])
    bodies = []
    for tag in tags:
        body["hashtag"]["hashtag"] = tag
        bodies.append(json.dumps(body))
    return bodies


def test_a_batch_claims_and_reserves_once_and_settles_once_to_what_it_used() -> None:
    # Given a batch of five messages, one of them a second copy of another
    provider = FakeProvider()
    deps, state = _batch_deps(provider)
    event = _event(*_bodies("a", "b", "c", "d", "a"))
    run = WorkerRun(deps)
    # When the worker handles it
    answer = _run(event, run)
    # Then the copy is acknowledged without a call, the rest paid once each
    assert answer == {"batchItemFailures": []}
    assert provider.calls.count("stats") == 4
    # And the claims took one request, the credits one reservation and one settlement
    assert state.batch_claims == 1
    worst = deps.policy.max_credits(HashtagKind.CAMPAIGN)
    assert len(state.reservations) == 1 and state.reservations[0] == 5 * worst
    assert state.settlements == [(5 * worst, provider.meter.credits)]
    assert sum(state.spent.values()) == provider.meter.credits
    assert run.progress.left == 0


def test_claims_of_records_that_never_collected_are_given_back() -> None:
    # Given a batch whose first call finds the key refused
    provider = FakeProvider()
    provider.fail_stats = AuthError("401 unauthorized", status=401)
    deps, state = _batch_deps(provider)
    event = _event(*_bodies("a", "b", "c"))
    run = WorkerRun(deps)
    # When the worker handles it
    answer = _run(event, run)
    # Then every record goes back, and no claim is left behind to block their retries
    assert len(answer["batchItemFailures"]) == 3
    assert state.fetch_leases == {}
    assert sum(state.spent.values()) == provider.meter.credits


def test_a_claim_transaction_that_went_through_unanswered_loses_no_record() -> None:
    # Given a batch whose claim transaction commits but whose answer is lost (a timeout)
    class LostAnswer(CountingCredits):
        def claim_fetches(
            self, keys: list[str], now: datetime, lease: timedelta, owner: str = ""
        ) -> ClaimAnswer:
            super().claim_fetches(keys, now, lease, owner)
            raise StorageError("read timeout on TransactWriteItems")

    provider = FakeProvider()
    deps, _ = _deps(provider)
    state = LostAnswer()
    deps.claims = BatchClaims(state, owner="invocation-1")
    deps.budget = CreditBudget(state, 10_000)
    event = _event(*_bodies("a", "b", "a"))
    run = WorkerRun(deps)
    # When the worker handles it
    answer = _run(event, run)
    # Then each record's own claim finds the key already its own: every hashtag is collected
    # once, and the second copy of "a" is still refused
    assert answer == {"batchItemFailures": []}
    assert provider.calls.count("stats") == 2
    assert {h for h, _ in deps.snapshots.items} == {"a", "b"}  # type: ignore[attr-defined]


def test_a_redelivery_in_another_invocation_is_refused_while_the_first_holds_it() -> None:
    _, state = _batch_deps(FakeProvider())
    first = BatchClaims(state, owner="invocation-1")
    second = BatchClaims(state, owner="invocation-2")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    first.take(["a@T"], now, timedelta(minutes=16))
    assert first.claim_fetch("a@T", now, timedelta(minutes=16))
    assert not second.claim_fetch("a@T", now, timedelta(minutes=16))
    second.release_fetch("a@T")  # not its claim: nothing happens
    assert not second.claim_fetch("a@T", now, timedelta(minutes=16))
    first.release_fetch("a@T")
    assert second.claim_fetch("a@T", now, timedelta(minutes=16))


def test_a_message_whose_cycle_has_no_utc_offset_fails_alone() -> None:
    # Given a batch where one message names its cycle without an offset (local time?)
    provider = FakeProvider()
    deps, _ = _batch_deps(provider)
    good, naive = _bodies("a", "b")
    body = json.loads(naive)
    body["cycle"] = body["cycle"].replace("Z", "").replace("+00:00", "")
    event = _event(good, json.dumps(body))
    run = WorkerRun(deps)
    # When the worker handles it
    answer = _run(event, run)
    # Then only that record fails (to the DLQ after its retries), with no call made for it
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert provider.calls.count("stats") == 1


def _recheck_deps(
    provider: FakeProvider, items: dict[str, object]
) -> tuple[WorkerDeps, CountingCredits, Any]:
    from tests.unit.collection.fakes import CurrentHashtags

    deps, state = _batch_deps(provider)
    current = CurrentHashtags(items)
    deps.hashtags = current
    return deps, state, current


def test_hashtags_paused_removed_or_ended_since_queued_are_acknowledged_without_a_call() -> None:
    # Given a batch whose messages hold copies of five items, as they were when queued;
    # since then "b" was paused, "c" removed, "d" ended and "e" no longer reads
    from hashtag_tracker.models.hashtag import InvalidItem, TrackedHashtag

    provider = FakeProvider()
    tracked = TrackedHashtag.parse
    deps, state, current = _recheck_deps(
        provider,
        {
            "a": tracked({"hashtag": "a"}),
            "b": tracked({"hashtag": "b", "active": False}),
            "d": tracked({"hashtag": "d", "end_date": "2026-01-31"}),
            "e": InvalidItem(key="e", reason="hashtag item 'e' is invalid"),
        },
    )
    run = WorkerRun(deps)
    # When the worker handles it
    answer = _run(_event(*_bodies("a", "b", "c", "d", "e")), run)
    # Then the items were read once for the whole batch, and only "a" was collected
    assert answer == {"batchItemFailures": []}
    assert current.reads == [["a", "b", "c", "d", "e"]]
    assert provider.calls.count("stats") == 1
    assert {h for h, _ in deps.snapshots.items} == {"a"}  # type: ignore[attr-defined]
    assert run.skipped == {
        "m1": "paused",
        "m2": "removed",
        "m3": "outside its start/end dates",
        "m4": "invalid item",
    }
    # And no claim, credit or rate-limit slot was taken for the skipped ones
    worst = deps.policy.max_credits(HashtagKind.CAMPAIGN)
    assert state.reservations == [worst]
    assert {key.split("@")[0] for key in state.fetch_leases} <= {"a"}
    assert run.progress.left == 0


def test_a_failed_batch_read_collects_from_the_messages_as_before() -> None:
    # Given a batch whose item read fails (throttled)
    provider = FakeProvider()
    deps, _, current = _recheck_deps(provider, {})
    current.fail = StorageError("reading 2 hashtag items failed: throttled")
    # When the worker handles it
    answer = _run(_event(*_bodies("a", "b")), WorkerRun(deps))
    # Then both are collected from their messages' copies
    assert answer == {"batchItemFailures": []}
    assert current.reads == [["a", "b"]]
    assert provider.calls.count("stats") == 2
