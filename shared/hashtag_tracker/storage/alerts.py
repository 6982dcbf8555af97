"""Alert delivery records on the State table (exactly-once + cooldown) and the SNS publisher.

Records (pk, sk):
  ("alert", "<hashtag>#<rule>#<window>")  one per published alert: claimed -> published
  ("alert-cooldown", "<hashtag>#<rule>")  the rule's cooldown state (versioned)
Both are written in one transaction, so two workers racing on the same alert, or on two
windows of the same rule, cannot both publish.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hashtag_tracker.clock import from_iso, to_iso
from hashtag_tracker.rules.alert import Alert, AlertRule
from hashtag_tracker.rules.cooldown import Claim, ClaimOutcome, CooldownState, decide
from hashtag_tracker.storage.aws_errors import TRANSACTION_CANCELED, storage_errors
from hashtag_tracker.storage.dynamo import deserialize_item, dynamodb_client
from hashtag_tracker.storage.errors import StorageError
from hashtag_tracker.storage.topic import SnsTopic, ascii_subject, string_attributes

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sns.client import SNSClient

__all__ = [
    "ALERT_PK",
    "CLAIM_LEASE",
    "COOLDOWN_PK",
    "COOLDOWN_RECORD_TTL",
    "MAX_CLAIM_ATTEMPTS",
    "MILESTONE_RECORD_TTL",
    "WINDOW_RECORD_TTL",
    "AlertPublishError",
    "DynamoAlertStore",
    "SnsAlertPublisher",
    "alert_attributes",
    "alert_message",
    "ascii_subject",
]

ALERT_PK = "alert"
COOLDOWN_PK = "alert-cooldown"
# A claim not confirmed within this time belongs to a publisher that died: a redelivery
# may take it over. Longer than any publish, shorter than the queue's visibility timeout.
CLAIM_LEASE = timedelta(minutes=5)
WINDOW_RECORD_TTL = timedelta(days=30)
# Milestones fire once in a hashtag's life; their records outlive any campaign.
MILESTONE_RECORD_TTL = timedelta(days=3650)
COOLDOWN_RECORD_TTL = timedelta(days=30)
MAX_CLAIM_ATTEMPTS = 4


class AlertPublishError(StorageError):
    """SNS refused or failed to take an alert; the claim is released so a retry publishes it."""


def _epoch(when: datetime) -> str:
    return str(int(when.timestamp()))


def _cooldown_from_item(item: dict[str, Any]) -> CooldownState:
    return CooldownState(
        last_key=item["last_key"]["S"],
        last_at=from_iso(item["last_at"]["S"]),
        magnitude=float(item["magnitude"]["N"]),
        escalated=bool(item["escalated"]["BOOL"]),
        version=int(item["version"]["N"]),
    )


def _cooldown_item(sk: str, state: CooldownState, cooldown_hours: int) -> dict[str, Any]:
    return {
        "pk": {"S": COOLDOWN_PK},
        "sk": {"S": sk},
        "last_key": {"S": state.last_key},
        "last_at": {"S": to_iso(state.last_at)},
        "magnitude": {"N": repr(float(state.magnitude))},
        "escalated": {"BOOL": state.escalated},
        "version": {"N": str(state.version)},
        "expires_at": {"N": _epoch(state.until(cooldown_hours) + COOLDOWN_RECORD_TTL)},
    }


def _cooldown_sk(alert: Alert) -> str:
    return f"{alert.hashtag}#{alert.rule.value}"


def _claiming(alert: Alert) -> str:
    return f"claiming alert {alert.key!r}"


def _lost_race(exc: ClientError) -> bool:
    """A cancelled claim whose alert record (item 0) or cooldown (item 1) another writer
    changed meanwhile: decide again rather than fail."""
    reasons = exc.response.get("CancellationReasons", [])
    codes = [str(r.get("Code", "")) for r in reasons]
    return "ConditionalCheckFailed" in codes[:2]


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DynamoAlertStore:
    """Claim an alert before publishing it; confirm after, or release when publishing failed."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()

    # -- reads -------------------------------------------------------------------------

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        answer = self._client.get_item(
            TableName=self.table_name,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        return answer.get("Item")

    def record(self, key: str) -> dict[str, Any] | None:
        """The raw delivery record of an alert key (for tests and the CLI)."""
        with storage_errors(f"reading alert record {key!r}"):
            return self._get(ALERT_PK, key)

    # -- claim -------------------------------------------------------------------------

    def claim(self, alert: Alert, now: datetime) -> Claim:
        """Decide and record atomically whether `alert` is published; see ClaimOutcome."""
        with storage_errors(_claiming(alert)):
            for _ in range(MAX_CLAIM_ATTEMPTS):
                claim = self._try_claim(alert, now)
                if claim is not None:
                    return claim
        raise StorageError(f"{_claiming(alert)} kept racing with other writers")

    def _try_claim(self, alert: Alert, now: datetime) -> Claim | None:
        """A Claim, or None when a concurrent writer changed the cooldown (try again)."""
        existing = self._get(ALERT_PK, alert.key)
        if existing is not None:
            return self._existing(alert, existing, now)
        cooldown_item = self._get(COOLDOWN_PK, _cooldown_sk(alert))
        previous = _cooldown_from_item(cooldown_item) if cooldown_item else None
        outcome, written = decide(previous, alert)
        if not outcome.publish:
            if written is not None and not self._raise_peak(alert, written, previous):
                return None  # another writer changed the cooldown: decide again
            return Claim(alert, outcome, previous=previous)
        token = uuid.uuid4().hex
        ttl = MILESTONE_RECORD_TTL if alert.rule is AlertRule.MILESTONE else WINDOW_RECORD_TTL
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": {
                        "pk": {"S": ALERT_PK},
                        "sk": {"S": alert.key},
                        "status": {"S": "claimed"},
                        "token": {"S": token},
                        "outcome": {"S": outcome.value},
                        "claimed_at": {"S": to_iso(now)},
                        "at": {"S": to_iso(alert.at)},
                        "expires_at": {"N": _epoch(max(now, alert.at) + ttl)},
                        # What subscribers get, for `hashtag-tracker alerts` (bounded).
                        "title": {
                            "S": _bounded(
                                alert.escalate().title
                                if outcome is ClaimOutcome.ESCALATION
                                else alert.title,
                                300,
                            )
                        },
                        "summary": {"S": _bounded(alert.summary, 1_000)},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if written is not None:
            items.append(self._cooldown_put(alert, written, previous))
        with storage_errors(
            _claiming(alert), on_condition=_lost_race, codes=(TRANSACTION_CANCELED,)
        ) as lost:
            self._client.transact_write_items(TransactItems=items)
        if lost:
            return None  # decide again from fresh reads
        return Claim(alert, outcome, token=token, previous=previous, written=written)

    def _raise_peak(
        self, alert: Alert, state: CooldownState, expected: CooldownState | None
    ) -> bool:
        """Keep a suppressed alert's higher magnitude on the cooldown; False if it raced."""
        items: list[Any] = [self._cooldown_put(alert, state, expected)]
        with storage_errors(
            _claiming(alert), on_condition=_lost_race, codes=(TRANSACTION_CANCELED,)
        ) as lost:
            self._client.transact_write_items(TransactItems=items)
        return not lost

    def _cooldown_put(
        self, alert: Alert, state: CooldownState, expected: CooldownState | None
    ) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": _cooldown_item(_cooldown_sk(alert), state, alert.cooldown_hours),
        }
        if expected is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": {"N": str(expected.version)}}
        return {"Put": put}

    def _existing(self, alert: Alert, item: dict[str, Any], now: datetime) -> Claim | None:
        status = item.get("status", {}).get("S")
        claimed_at = from_iso(item["claimed_at"]["S"])
        if status == "published" or now - claimed_at < CLAIM_LEASE:
            return Claim(alert, ClaimOutcome.DUPLICATE)
        # The publisher died between claim and confirm: take the claim over, keeping the
        # cooldown it wrote, so the alert is not lost.
        token = uuid.uuid4().hex
        with storage_errors(_claiming(alert), on_condition=True) as lost:
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": ALERT_PK}, "sk": {"S": alert.key}},
                UpdateExpression="SET #t = :new, claimed_at = :now",
                ConditionExpression="#t = :old AND #s = :claimed",
                ExpressionAttributeNames={"#t": "token", "#s": "status"},
                ExpressionAttributeValues={
                    ":new": {"S": token},
                    ":old": item["token"],
                    ":now": {"S": to_iso(now)},
                    ":claimed": {"S": "claimed"},
                },
            )
        if lost:
            return None  # another worker took it over, or published it, first: re-read
        taken = alert.escalate() if item.get("outcome", {}).get("S") == "escalation" else alert
        return Claim(taken, ClaimOutcome.TAKEOVER, token=token)

    # -- after publishing --------------------------------------------------------------

    def confirm(self, claim: Claim, message_id: str, now: datetime) -> None:
        """Mark the claimed alert published; a redelivery then finds it DUPLICATE."""
        # A refused condition: another worker took the claim over after our lease ran out;
        # it publishes.
        with storage_errors(f"confirming alert {claim.alert.key!r}", on_condition=True):
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": ALERT_PK}, "sk": {"S": claim.alert.key}},
                UpdateExpression="SET #s = :published, published_at = :now, message_id = :id",
                ConditionExpression="#t = :token",
                ExpressionAttributeNames={"#s": "status", "#t": "token"},
                ExpressionAttributeValues={
                    ":published": {"S": "published"},
                    ":now": {"S": to_iso(now)},
                    ":id": {"S": message_id},
                    ":token": {"S": claim.token or ""},
                },
            )

    def release(self, claim: Claim) -> None:
        """Undo a claim whose publish failed: drop the record and restore the cooldown."""
        delete: dict[str, Any] = {
            "Delete": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": ALERT_PK}, "sk": {"S": claim.alert.key}},
                "ConditionExpression": "#t = :token",
                "ExpressionAttributeNames": {"#t": "token"},
                "ExpressionAttributeValues": {":token": {"S": claim.token or ""}},
            }
        }
        items: list[Any] = [delete]
        if claim.written is not None:
            items.append(self._cooldown_restore(claim, claim.written))
        # A cancelled delete: the record is no longer ours (taken over); nothing to undo.
        what = f"releasing alert {claim.alert.key!r}"
        with storage_errors(what, on_condition=True, codes=(TRANSACTION_CANCELED,)) as cancelled:
            self._client.transact_write_items(TransactItems=items)
        if cancelled and len(items) > 1:
            # The cooldown moved on since (another window alerted): keep it, drop ours.
            with storage_errors(what, on_condition=True, codes=(TRANSACTION_CANCELED,)):
                self._client.transact_write_items(TransactItems=items[:1])

    def _cooldown_restore(self, claim: Claim, written: CooldownState) -> dict[str, Any]:
        key = {"pk": {"S": COOLDOWN_PK}, "sk": {"S": _cooldown_sk(claim.alert)}}
        condition = {
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": {"N": str(written.version)}},
        }
        if claim.previous is None:
            return {"Delete": {"TableName": self.table_name, "Key": key, **condition}}
        item = _cooldown_item(_cooldown_sk(claim.alert), claim.previous, claim.alert.cooldown_hours)
        return {"Put": {"TableName": self.table_name, "Item": item, **condition}}

    # -- the CLI's view (read-only) ----------------------------------------------------

    def records_of(self, hashtag: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """The delivery records of one hashtag's alerts (event time `at` >= `since`), oldest
        first, as plain values without the claim token: one key query on the alert partition
        (sort keys begin with the hashtag and '#', which no normalised hashtag contains)."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": ALERT_PK},
                ":prefix": {"S": f"{hashtag}#"},
            },
        }
        if since is not None:
            # ISO texts in UTC (to_iso) sort as the times they name.
            query["FilterExpression"] = "#at >= :since"
            query["ExpressionAttributeNames"] = {"#at": "at"}
            query["ExpressionAttributeValues"][":since"] = {"S": to_iso(since)}
        records: list[dict[str, Any]] = []
        paginator = self._client.get_paginator("query")
        with storage_errors(f"querying alert records of {hashtag!r}"):
            for page in paginator.paginate(**query):
                for raw in page.get("Items", []):
                    record = deserialize_item(raw)
                    record.pop("token", None)
                    record["key"] = record.pop("sk", "")
                    record.pop("pk", None)
                    records.append(record)
        return sorted(records, key=lambda r: (str(r.get("at", "")), str(r["key"])))


# -- SNS ------------------------------------------------------------------------------------


def _attribute_values(alert: Alert) -> dict[str, str | None]:
    return {
        "hashtag": alert.hashtag,
        "rule": alert.rule.value,
        "severity": alert.severity.value,
        "kind": alert.kind.value,
        "campaign": alert.campaign,
    }


def alert_attributes(alert: Alert) -> dict[str, Any]:
    """SNS message attributes subscribers filter on; `campaign` only when there is one."""
    return string_attributes(_attribute_values(alert))


def alert_message(alert: Alert) -> str:
    """The SNS message (MessageStructure=json): text for email, the alert's JSON for code."""
    document = alert.to_json()
    return json.dumps(
        {"default": alert.text, "email": alert.text, "lambda": document, "sqs": document},
        ensure_ascii=False,
    )


class SnsAlertPublisher:
    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        if not topic_arn:
            raise StorageError("no alert topic is configured (ALERT_TOPIC_ARN is empty)")
        self.topic_arn = topic_arn
        self._topic = SnsTopic(topic_arn, client)

    def publish(self, alert: Alert) -> str:
        """Publish one alert; returns the SNS message id. Raises AlertPublishError."""
        return self._topic.publish(
            alert.title,
            alert_message(alert),
            _attribute_values(alert),
            what=f"publishing alert {alert.key!r}",
            error=AlertPublishError,
            message_structure="json",
        )
