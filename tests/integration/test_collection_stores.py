"""State, snapshot, ledger and queue stores with real boto3 calls against moto."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import boto3

from hashtag_tracker.collection.pacing import PacingPolicy, RateLimiter
from hashtag_tracker.models.codec import replace
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.snapshot import Snapshot, SnapshotStatus, VideoSampleStats
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.storage.dynamo import serialize_item
from hashtag_tracker.storage.hashtags import SCAN_PAGE_ITEMS, DynamoHashtagStore, hashtag_to_item
from hashtag_tracker.storage.queue import SqsFetchQueue
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker.storage.state import DynamoStateStore
from hashtag_tracker.storage.videos import DynamoVideoLedger

T0 = datetime(2026, 11, 22, 12, tzinfo=UTC)
KEEP = timedelta(days=400)


def test_cycle_claim_is_taken_once_and_a_stale_one_can_be_taken_over(
    tables: dict[str, str],
) -> None:
    state = DynamoStateStore(tables["StateTable"])
    assert state.claim_cycle(T0, T0, timedelta(minutes=15))
    assert not state.claim_cycle(T0, T0 + timedelta(minutes=1), timedelta(minutes=15))
    # a claim that never finished goes stale and may be taken over...
    assert state.claim_cycle(T0, T0 + timedelta(minutes=20), timedelta(minutes=15))
    # ...but a finished one never
    state.finish_cycle(T0, sent=3, invalid=0)
    assert not state.claim_cycle(T0, T0 + timedelta(hours=2), timedelta(minutes=15))


def test_a_cycle_claim_released_after_a_failed_fan_out_can_be_claimed_again(
    tables: dict[str, str],
) -> None:
    state = DynamoStateStore(tables["StateTable"])
    stale = timedelta(minutes=5)
    assert state.claim_cycle(T0, T0, stale)
    # another run's release (other claim time) does nothing; ours frees the cycle
    state.release_cycle(T0, T0 - timedelta(minutes=1))
    assert not state.claim_cycle(T0, T0 + timedelta(minutes=1), stale)
    state.release_cycle(T0, T0)
    assert state.claim_cycle(T0, T0 + timedelta(minutes=2), stale)
    # a finished cycle is never released
    state.finish_cycle(T0, sent=1, invalid=0)
    state.release_cycle(T0, T0 + timedelta(minutes=2))
    assert not state.claim_cycle(T0, T0 + timedelta(minutes=3), stale)


def test_a_fetch_claim_is_held_once_until_released_or_its_lease_ends(
    tables: dict[str, str],
) -> None:
    state = DynamoStateStore(tables["StateTable"])
    lease = timedelta(minutes=16)
    # Given one worker invocation holds the fetch of brand@T0
    assert state.claim_fetch("brand@T0", T0, lease, owner="w1")
    # Then a concurrent duplicate is refused, another message is not
    assert not state.claim_fetch("brand@T0", T0 + timedelta(seconds=1), lease, owner="w2")
    assert state.claim_fetch("rival@T0", T0, lease, owner="w2")
    # And its own retried request finds it its own (a first attempt that went through)
    assert state.claim_fetch("brand@T0", T0 + timedelta(seconds=1), lease, owner="w1")
    # And only its owner can release it; a release frees it at once
    state.release_fetch("brand@T0", owner="w2")
    assert not state.claim_fetch("brand@T0", T0 + timedelta(seconds=2), lease, owner="w3")
    state.release_fetch("brand@T0", owner="w1")
    assert state.claim_fetch("brand@T0", T0 + timedelta(seconds=2), lease, owner="w3")
    # And a holder that died frees it when the lease ends
    assert state.claim_fetch("brand@T0", T0 + lease + timedelta(seconds=3), lease, owner="w4")


def test_fetch_claims_taken_together_refuse_only_the_held_ones(tables: dict[str, str]) -> None:
    state = DynamoStateStore(tables["StateTable"])
    lease = timedelta(minutes=16)
    # Given another worker holds rival@T0, and a batch repeats brand@T0
    assert state.claim_fetch("rival@T0", T0, lease, owner="other")
    # When a worker claims its batch in one transaction
    keys = ["brand@T0", "rival@T0", "fan@T0", "brand@T0"]
    answer = state.claim_fetches(keys, T0, lease, owner="me")
    # Then the held key is refused, the others are its own (once each)
    assert answer.granted == {"brand@T0", "fan@T0"} and answer.refused == {"rival@T0"}
    assert not state.claim_fetch("brand@T0", T0 + timedelta(seconds=1), lease, owner="other")
    assert not state.claim_fetch("fan@T0", T0 + timedelta(seconds=1), lease, owner="other")
    # And another worker's batch of held keys gets none
    other = state.claim_fetches(["brand@T0", "fan@T0"], T0, lease, owner="other")
    assert other.granted == frozenset()
    # And the same transaction sent again (its first answer lost) still grants them
    again = state.claim_fetches(["brand@T0", "fan@T0"], T0, lease, owner="me")
    assert again.granted == {"brand@T0", "fan@T0"}


def test_credit_budget_is_atomic_under_concurrency(
    tables: dict[str, str], atomic_requests: None
) -> None:
    state = DynamoStateStore(tables["StateTable"])
    granted: list[bool] = []

    def reserve() -> None:
        granted.append(state.reserve_credits("2026-11", 3, budget=30))

    threads = [threading.Thread(target=reserve) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == 10
    state.settle_credits("2026-11", reserved=3, used=1)
    assert state.credits("2026-11") == (28, 1)


def test_settling_keeps_the_reported_balance_and_answers_the_months_use(
    tables: dict[str, str],
) -> None:
    state = DynamoStateStore(tables["StateTable"])
    assert state.balance("2026-11") is None
    assert state.settle_credits("2026-11", reserved=0, used=4) == 4
    assert state.settle_credits("2026-11", reserved=5, used=3, balance=993, now=T0) == 7
    assert state.balance("2026-11") == (993, "2026-11-22T12:00:00Z")
    assert state.credits("2026-11") == (2, 7)


def test_the_months_first_reservation_respects_the_budget(tables: dict[str, str]) -> None:
    """ "Never overspent" holds from the first call of a month: with nothing spent yet, a
    reservation larger than the budget (a budget of 0 included) is refused."""
    state = DynamoStateStore(tables["StateTable"])
    assert not state.reserve_credits("2026-12", 1, budget=0)
    assert not state.reserve_credits("2026-12", 4, budget=3)
    assert state.reserve_credits("2026-12", 3, budget=3)


def test_credits_of_failed_deliveries_are_carried_per_cycle(tables: dict[str, str]) -> None:
    state = DynamoStateStore(tables["StateTable"])
    assert state.carried_credits("brand@2026-11-22T12:00:00Z") == 0
    state.carry_credits("brand@2026-11-22T12:00:00Z", 1, T0)
    state.carry_credits("brand@2026-11-22T12:00:00Z", 2, T0)
    assert state.carried_credits("brand@2026-11-22T12:00:00Z") == 3
    assert state.carried_credits("brand@2026-11-22T18:00:00Z") == 0


def test_rate_limit_slots_through_dynamodb_are_spaced(tables: dict[str, str]) -> None:
    state = DynamoStateStore(tables["StateTable"])
    wall = {"ms": 5_000_000}
    policy = PacingPolicy(limit_per_window=10, window_seconds=60)

    def sleep(seconds: float) -> None:
        wall["ms"] += int(seconds * 1000)

    a = RateLimiter(state, policy, wall_ms=lambda: wall["ms"], sleep=sleep)
    b = RateLimiter(state, policy, wall_ms=lambda: wall["ms"], sleep=sleep)
    times = []
    for i in range(6):
        (a if i % 2 else b).acquire(max_wait_seconds=60)
        times.append(wall["ms"])
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= policy.interval_ms


def test_snapshot_is_written_once_and_read_back_in_order(tables: dict[str, str]) -> None:
    store = DynamoSnapshotStore(tables["SnapshotsTable"])
    ok = Snapshot(
        hashtag="brand",
        cycle=T0,
        taken_at=T0 + timedelta(seconds=30),
        views=1_000,
        videos=10,
        sample=VideoSampleStats(
            size=2,
            plays=50,
            likes=5,
            comments=1,
            shares=2,
            engagement_mean=0.16,
            engagement_median=0.16,
            shares_per_video=1.0,
            unique_creators=2,
        ),
    )
    missing = Snapshot(
        hashtag="brand",
        cycle=T0 + timedelta(hours=6),
        taken_at=T0,
        status=SnapshotStatus.MISSING,
        reason="unavailable",
    )
    assert store.put(ok, KEEP)
    assert not store.put(replace(ok, views=5), KEEP)  # redelivery
    assert store.put(missing, KEEP)
    got = store.between("brand", T0 - timedelta(days=1))
    assert got == [ok, missing]
    assert got[1].views is None  # a failure is never stored as a zero
    assert store.get("brand", T0) == ok
    assert store.latest("brand", T0 + timedelta(days=1)) == [missing, ok]
    raw = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=tables["SnapshotsTable"],
        Key={"hashtag": {"S": "brand"}, "cycle": {"S": "2026-11-22T12:00:00Z"}},
    )["Item"]
    assert int(raw["expires_at"]["N"]) == int((T0 + KEEP).timestamp())


def _video(vid: str, author: str, plays: int, seen: datetime) -> LedgerVideo:
    return LedgerVideo(
        hashtag="brand",
        video_id=vid,
        author_id=author,
        first_seen=seen,
        last_seen=seen,
        plays=plays,
        likes=1,
        comments=1,
        shares=1,
    )


def _creator(author: str, seen: datetime) -> LedgerCreator:
    return LedgerCreator(
        hashtag="brand", author_id=author, followers=10, first_seen=seen, last_seen=seen
    )


def test_ledger_keeps_first_seen_and_counts_new_videos_and_creators(
    tables: dict[str, str],
) -> None:
    ledger = DynamoVideoLedger(tables["VideosTable"])
    first = ledger.upsert(
        "brand",
        [_video(f"v{i}", f"a{i % 20}", i, T0) for i in range(60)],
        [_creator(f"a{i}", T0) for i in range(20)],
        T0,
    )
    assert len(first.new_videos) == 60 and len(first.new_creators) == 20
    later = T0 + timedelta(hours=6)
    second = ledger.upsert(
        "brand",
        [_video("v1", "a1", 999, later), _video("v100", "a99", 5, later)],
        [_creator("a1", later), _creator("a99", later)],
        later,
    )
    assert second.new_videos == ("v100",) and second.new_creators == ("a99",)
    assert (second.videos_total, second.creators_total) == (61, 21)
    videos = {v.video_id: v for v in ledger.entries("brand", "video#")}
    assert videos["v1"].first_seen == T0 and videos["v1"].plays == 999
    assert videos["v1"].last_seen == later
    assert ledger.totals("brand") == (61, 21)
    # the report's one GSI query: what was first seen since a time
    new_videos, new_creators = ledger.first_seen_since("brand", later)
    assert [v.video_id for v in new_videos] == ["v100"]
    assert [c.author_id for c in new_creators] == ["a99"]


def test_queue_sends_in_batches_of_ten(aws: None) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="fetch")["QueueUrl"]
    sent = SqsFetchQueue(url, client=sqs).send_bodies([f"m{i}" for i in range(23)])
    assert sent == 23
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "23"


def test_the_hashtags_scan_reads_in_bounded_pages(tables: dict[str, str]) -> None:
    """No single scan request depends on the table's size (issue 19): every request carries a
    Limit, and a table larger than one page is still read whole, each item once."""
    # Given more tracked hashtags than one scan page holds
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = tables["HashtagsTable"]
    count = 2 * SCAN_PAGE_ITEMS + 7
    names = [f"tag{i:05d}" for i in range(count)]
    for start in range(0, count, 25):
        client.batch_write_item(
            RequestItems={
                table: [
                    {
                        "PutRequest": {
                            "Item": serialize_item(hashtag_to_item(TrackedHashtag(hashtag=n)))
                        }
                    }
                    for n in names[start : start + 25]
                ]
            }
        )
    limits: list[object] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.Scan",
        lambda params, **_: limits.append(params.get("Limit")),
    )

    # When the store scans it
    seen = [item.hashtag for item in DynamoHashtagStore(table, client=client).scan()]

    # Then it took three bounded requests and saw every hashtag exactly once
    assert limits == [SCAN_PAGE_ITEMS] * 3
    assert sorted(seen) == names


def test_the_ledger_drops_unkeyable_ids_and_bounds_text_instead_of_failing(
    tables: dict[str, str],
) -> None:
    """A 1,100-byte author id (over DynamoDB's 1,024-byte key limit) and a 450 KB nickname
    (over its 400 KB item limit) fail the write in moto as in DynamoDB; the ledger leaves the
    first out and cuts the second, and writes the rest (issue 17)."""
    ledger = DynamoVideoLedger(tables["VideosTable"])
    long_id = "u" * 1_100
    update = ledger.upsert(
        "brand",
        [_video("v1", "a1", 1, T0), _video("v2", long_id, 1, T0)],
        [
            replace(_creator("a1", T0), nickname="名" * 150_000),
            _creator(long_id, T0),
        ],
        T0,
    )
    assert update.new_videos == ("v1",) and update.new_creators == ("a1",)
    assert update.dropped == 2
    assert ledger.totals("brand") == (1, 1)
    [creator] = ledger.entries("brand", "creator#")
    assert isinstance(creator, LedgerCreator) and creator.nickname is not None
    assert 0 < len(creator.nickname.encode()) <= 256


def test_a_ledger_upsert_cut_short_then_retried_counts_every_item_once(
    tables: dict[str, str], monkeypatch: object
) -> None:
    """The second write request of an upsert is throttled past retries; the totals never
    exceed the items written, and the next upsert of the same page counts every item once
    (the old summary, added to after all chunks, undercounted for good: 30 stored, 5
    counted)."""
    import pytest

    import hashtag_tracker.storage.dynamo as dynamo_module
    from hashtag_tracker.storage.errors import StorageError

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(dynamo_module, "WRITE_BATCH", 10)
    client = boto3.client("dynamodb", region_name="us-east-1")
    calls = itertools.count(1)

    def throttle_second(**_: object) -> object:
        if next(calls) != 2:
            return None
        from botocore.awsrequest import AWSResponse

        error = {
            "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"},
            "ResponseMetadata": {"HTTPStatusCode": 400, "MaxAttemptsReached": True},
        }
        return AWSResponse("https://dynamodb.invalid/", 400, {}, None), error

    client.meta.events.register_first("before-call.dynamodb.BatchWriteItem", throttle_second)
    ledger = DynamoVideoLedger(tables["VideosTable"], client=client)
    videos = [_video(f"v{i}", f"a{i % 5}", i, T0) for i in range(30)]
    creators = [_creator(f"a{i}", T0) for i in range(5)]
    try:
        ledger.upsert("brand", videos, creators, T0)
    except StorageError:
        pass
    else:
        raise AssertionError("the second chunk was not throttled")
    stored = len(ledger.entries("brand", "video#")), len(ledger.entries("brand", "creator#"))
    assert stored[0] + stored[1] == 10 and ledger.totals("brand") == (0, 0)
    retried = ledger.upsert("brand", videos, creators, T0)
    assert (retried.videos_total, retried.creators_total) == (30, 5) == ledger.totals("brand")
    assert len(retried.new_videos) + len(retried.new_creators) == 25  # the first 10 known
