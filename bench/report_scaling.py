"""Section 5: the weekly report's time and DynamoDB requests against hashtags and history.

History is written straight into moto's in-process backend (the items the product's own
serializers make, no HTTP), then the real Report handler runs through the emulated stack.
Per hashtag: 6-hourly snapshots for the whole history (a daily one with the video sample
and comment mood), two ledger videos and one creator per week, and the ledger's summary.
Time is reported two ways: wall (includes moto's request handling) and the report thread's
CPU (our code, msgspec, botocore, rendering; moto serves from other threads).
"""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.awscount import by_operation, service_total
from bench.common import Bench, Stopwatch, bench_session, say
from hashtag_tracker.models.codec import replace
from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.models.snapshot import SentimentShares, Snapshot, VideoSampleStats
from hashtag_tracker.models.video import LedgerCreator, LedgerVideo
from hashtag_tracker.storage.dynamo import serialize_item
from hashtag_tracker.storage.hashtags import hashtag_to_item
from hashtag_tracker.storage.snapshots import item_to_snapshot, snapshot_to_item
from hashtag_tracker.storage.videos import SUMMARY_SK, creator_to_item, video_to_item
from hashtag_tracker_tools.local.scenario import Scenario

AS_OF = datetime(2026, 10, 5, 9, tzinfo=UTC)  # a Monday, at the report's hour
CYCLE = timedelta(hours=6)
WEEK = timedelta(days=7)
RETENTION = timedelta(days=400)
MOTO_ACCOUNT = "123456789012"
REGION = "us-east-1"
KINDS = ("campaign", "competitor", "trend")


def _tables(outputs: dict[str, str]) -> dict[str, Any]:
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[MOTO_ACCOUNT][REGION]
    return {
        key: backend.get_table(outputs[f"{key}TableName"])
        for key in ("Hashtags", "Snapshots", "Videos")
    }


def _put(table: Any, item: dict[str, Any]) -> None:
    """Insert one DynamoDB-JSON item the way moto's put_item stores it, minus the checks."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    hash_value = DynamoType(item[table.hash_key_attr])
    if table.range_key_attr:
        range_value = DynamoType(item[table.range_key_attr])
        table.items[hash_value][range_value] = Item(hash_value, range_value, item)
    else:
        table.items[hash_value] = Item(hash_value, None, item)


def _snapshot_items(name: str, weeks: int) -> list[dict[str, Any]]:
    """6-hourly snapshots ending at AS_OF; the product's serializer makes two templates."""
    sample = VideoSampleStats(size=30, plays=900_000, likes=70_000, comments=5_000, shares=4_000)
    mood = SentimentShares(positive=0.6, neutral=0.3, negative=0.1, scored=100)
    first = AS_OF.replace(hour=6) - weeks * WEEK
    base = Snapshot(hashtag=name, cycle=first, taken_at=first, views=1, videos=1, credits=1)
    plain = serialize_item(snapshot_to_item(base, RETENTION))
    daily = serialize_item(
        snapshot_to_item(replace(base, sample=sample, sentiment=mood), RETENTION)
    )
    items = []
    count = int((AS_OF - first) / CYCLE) + 1
    for i in range(count):
        cycle = first + i * CYCLE
        text = cycle.strftime("%Y-%m-%dT%H:%M:%SZ")
        item = dict(daily if cycle.hour == 0 else plain)
        item["cycle"] = item["taken_at"] = {"S": text}
        item["views"] = {"N": str(1_000_000 + 4_000 * i + (i * 7919) % 3_000)}
        item["videos"] = {"N": str(1_000 + 4 * i)}
        item["expires_at"] = {"N": str(int((cycle + RETENTION).timestamp()))}
        items.append(item)
    return items


def _ledger_items(name: str, weeks: int) -> list[dict[str, Any]]:
    items = []
    for week in range(weeks):
        seen = AS_OF - (week + 0.5) * WEEK
        for n in range(2):
            video = LedgerVideo(
                hashtag=name,
                video_id=f"{week}{n}",
                author_id=f"a{week}",
                first_seen=seen,
                last_seen=seen,
                plays=10_000 + week,
                likes=900,
                comments=40,
                shares=30,
            )
            items.append(serialize_item(video_to_item(video)))
        creator = LedgerCreator(hashtag=name, author_id=f"a{week}", first_seen=seen, last_seen=seen)
        items.append(serialize_item(creator_to_item(creator)))
    summary = {"hashtag": {"S": name}, "sk": {"S": SUMMARY_SK}}
    summary |= {"videos_total": {"N": str(2 * weeks)}, "creators_total": {"N": str(weeks)}}
    items.append(summary)
    return items


def seed(tables: dict[str, Any], hashtags: int, weeks: int) -> int:
    """Empty the three tables and write the history; returns the snapshots written.

    The seeded items are then frozen out of the garbage collector: they are the emulated
    database, not the report's heap, and a full collection over hundreds of thousands of
    moto objects would otherwise be charged to whichever thread triggers it (the report's).
    """
    gc.unfreeze()
    for table in tables.values():
        table.items.clear()
    gc.collect()
    gc.disable()
    try:
        written = _write_history(tables, hashtags, weeks)
    finally:
        gc.enable()
    gc.collect()
    gc.freeze()
    return written


def _write_history(tables: dict[str, Any], hashtags: int, weeks: int) -> int:
    written = 0
    for i in range(hashtags):
        name = f"tag{i:05d}"
        kind = KINDS[i % len(KINDS)]
        tracked = TrackedHashtag.parse(
            {"hashtag": name, "kind": kind, "campaign": "Bench" if kind != "trend" else None}
        )
        _put(tables["Hashtags"], serialize_item(hashtag_to_item(tracked)))
        for item in _snapshot_items(name, weeks):
            _put(tables["Snapshots"], item)
            written += 1
        for item in _ledger_items(name, weeks):
            _put(tables["Videos"], item)
    return written


def _check_seeded(tables: dict[str, Any]) -> None:
    """The seeded items must read back through the product's own deserializer."""
    from hashtag_tracker.storage.dynamo import deserialize_item

    partition = next(iter(tables["Snapshots"].items.values()))
    raw = next(iter(partition.values())).to_json()["Attributes"]
    snapshot = item_to_snapshot(deserialize_item(raw))
    assert snapshot.views and snapshot.videos, snapshot


def measure(plan: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """One report per (hashtags, weeks of history), after a warm-up report (cold start)."""
    rows: list[dict[str, Any]] = []
    empty = Scenario(tracked=(), invalid_items=(), start=AS_OF - timedelta(hours=9))
    with bench_session(empty, time_scale=600.0) as bench:
        session = bench.session
        tables = _tables(session.info.outputs)
        session.clock.set(AS_OF)
        seed(tables, 3, 1)
        session.runner.make_report(AS_OF)  # imports and first-use caches, not measured
        for size, weeks in plan:
            rows.append(_measure_one(bench, tables, size, weeks))
        gc.unfreeze()
    return rows


def _measure_one(bench: Bench, tables: dict[str, Any], size: int, weeks: int) -> dict[str, Any]:
    say(f"report: seeding {size} hashtags x {weeks} weeks")
    started = time.perf_counter()
    snapshots = seed(tables, size, weeks)
    _check_seeded(tables)
    seeded = time.perf_counter() - started
    say(f"report: running the report ({snapshots} snapshots seeded in {seeded:.0f} s)")
    before = bench.requests.snapshot()
    watch = Stopwatch()
    with watch.running():
        result = bench.session.runner.make_report(AS_OF)
    counts = bench.requests.snapshot() - before
    return _row(size, weeks, snapshots, result, watch, counts)


def _row(
    size: int, weeks: int, snapshots: int, result: Any, watch: Stopwatch, counts: Any
) -> dict[str, Any]:
    dynamo = service_total(counts, "dynamodb")
    return {
        "hashtags": size,
        "weeks": weeks,
        "snapshots_stored": snapshots,
        "reported_hashtags": result.get("hashtags"),
        "skipped": len(result.get("skipped", [])),
        "wall_seconds": round(watch.wall, 2),
        "cpu_seconds": round(watch.cpu, 2),
        "wall_ms_per_hashtag": round(1000 * watch.wall / size, 2),
        "cpu_ms_per_hashtag": round(1000 * watch.cpu / size, 2),
        "dynamodb_requests": dynamo,
        "dynamodb_per_hashtag": round(dynamo / size, 3),
        "dynamodb_by_operation": by_operation(counts, "dynamodb"),
        "s3_requests": service_total(counts, "s3"),
    }
