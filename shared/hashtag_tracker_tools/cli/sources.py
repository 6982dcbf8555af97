"""The views' readers on a target's tables: its stack outputs, else SNAPSHOTS_TABLE,
STATE_TABLE and VIDEOS_TABLE (beside --table / HASHTAGS_TABLE)."""

from __future__ import annotations

import os

from hashtag_tracker.storage.alerts import DynamoAlertStore
from hashtag_tracker.storage.plan import DynamoPlanStore
from hashtag_tracker.storage.snapshots import DynamoSnapshotStore
from hashtag_tracker.storage.videos import DynamoVideoLedger
from hashtag_tracker_tools.cli.ports import ViewSources
from hashtag_tracker_tools.cli.target import Target, TargetError

# (stack output, environment variable) of each table the views read.
VIEW_TABLES = {
    "snapshots": ("SnapshotsTableName", "SNAPSHOTS_TABLE"),
    "state": ("StateTableName", "STATE_TABLE"),
    "videos": ("VideosTableName", "VIDEOS_TABLE"),
}


def table_names(target: Target) -> dict[str, str]:
    """Each view table's name; TargetError naming what to set when one is unknown."""
    names: dict[str, str] = {}
    missing: list[str] = []
    for role, (output, variable) in VIEW_TABLES.items():
        name = target.output(output) or os.environ.get(variable)
        if name:
            names[role] = name
        else:
            missing.append(variable)
    if missing:
        raise TargetError(
            "say which tables: --stack/--local, or with --table set " + ", ".join(missing)
        )
    return names


def view_sources(target: Target) -> ViewSources:
    names = table_names(target)
    client = target.dynamodb()
    return ViewSources(
        snapshots=DynamoSnapshotStore(names["snapshots"], client),
        alerts=DynamoAlertStore(names["state"], client),
        ledger=DynamoVideoLedger(names["videos"], client),
        plans=DynamoPlanStore(names["state"], client),
    )
