"""The State table: cycle claims, the shared rate-limit slot and the monthly credit counter.

Every record here is written with a conditional update, so concurrent workers and a
double-fired schedule agree without locks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.bookkeeping import ClaimAnswer, SlotAnswer
from hashtag_tracker.storage.aws_errors import TRANSACTION_CANCELED, storage_errors
from hashtag_tracker.storage.dynamo import conditional_write, dynamodb_client
from hashtag_tracker.storage.errors import StorageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

RATE_PK = "ratelimit"
BUDGET_PK = "credits"
CYCLE_PK = "cycle"
FETCH_PK = "fetch"
ONCE_PK = "once"
SPENT_PK = "spent"
# The Report function's records (its role may write this partition only).
REPORT_PK = "report"
# How long credits spent by a cycle's failed deliveries are kept for its snapshot: longer than
# the queue's retries and deferrals of one cycle take.
SPENT_TTL = timedelta(days=3)
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems


def _fetch_claim(key: str, now: datetime, lease: timedelta, owner: str) -> dict[str, Any]:
    """The conditional put that claims one fetch: free, its lease ran out, or already ours
    (a retried request whose first attempt went through must not refuse its own claim)."""
    return {
        "Item": {
            "pk": {"S": FETCH_PK},
            "sk": {"S": key},
            "owner": {"S": owner},
            "lease_until": {"S": to_iso(now + lease)},
            "expires_at": {"N": str(int((now + lease + timedelta(days=1)).timestamp()))},
        },
        "ConditionExpression": "attribute_not_exists(pk) OR lease_until < :now OR #o = :me",
        "ExpressionAttributeNames": {"#o": "owner"},
        "ExpressionAttributeValues": {":now": {"S": to_iso(now)}, ":me": {"S": owner}},
    }


class DynamoStateStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()

    # -- cycle claims (a double-fired schedule must not double the work) -------------------

    def claim_cycle(self, cycle: datetime, now: datetime, stale_after: timedelta) -> bool:
        """True if this caller may fan out `cycle`: nobody claimed it, or a claim went stale.

        A claim that never reached 'done' within `stale_after` (the scheduler crashed midway)
        can be taken over; downstream idempotency makes a second fan-out harmless.
        """
        return conditional_write(
            f"claiming cycle {to_iso(cycle)}",
            lambda: self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": CYCLE_PK}, "sk": {"S": to_iso(cycle)}},
                UpdateExpression="SET claimed_at = :now, #s = :claimed, expires_at = :exp",
                ConditionExpression=(
                    "attribute_not_exists(pk) OR (#s <> :done AND claimed_at < :stale)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":now": {"S": to_iso(now)},
                    ":stale": {"S": to_iso(now - stale_after)},
                    ":claimed": {"S": "claimed"},
                    ":done": {"S": "done"},
                    ":exp": {"N": str(int((now + timedelta(days=30)).timestamp()))},
                },
            ),
        )

    def finish_cycle(self, cycle: datetime, sent: int, invalid: int) -> None:
        with storage_errors(f"finishing cycle {to_iso(cycle)}"):
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": CYCLE_PK}, "sk": {"S": to_iso(cycle)}},
                UpdateExpression="SET #s = :done, sent = :sent, invalid = :invalid",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":done": {"S": "done"},
                    ":sent": {"N": str(sent)},
                    ":invalid": {"N": str(invalid)},
                },
            )

    def release_cycle(self, cycle: datetime, claimed_at: datetime) -> None:
        """Free a cycle this run claimed at `claimed_at` and could not fan out (never a done one,
        never a claim another run has taken over since)."""
        conditional_write(
            f"releasing cycle {to_iso(cycle)}",
            lambda: self._client.delete_item(
                TableName=self.table_name,
                Key={"pk": {"S": CYCLE_PK}, "sk": {"S": to_iso(cycle)}},
                ConditionExpression="#s <> :done AND claimed_at = :mine",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":done": {"S": "done"},
                    ":mine": {"S": to_iso(claimed_at)},
                },
            ),
        )

    # -- the shared rate-limit slot --------------------------------------------------------

    def reserve_slot(self, observed_ms: int | None, slot_ms: int, next_ms: int) -> SlotAnswer:
        """Compare-and-swap the next free call time from `observed_ms` to `next_ms`.

        Granted means the caller owns the call slot at `slot_ms`. Refused returns the value
        another worker wrote, so the caller can retry from it without another read.
        """
        condition = (
            "attribute_not_exists(next_ms)" if observed_ms is None else "next_ms = :observed"
        )
        values = {":next": {"N": str(next_ms)}}
        if observed_ms is not None:
            values[":observed"] = {"N": str(observed_ms)}
        with storage_errors("reserving a rate-limit slot", on_condition=True) as refused:
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": RATE_PK}, "sk": {"S": "data-api"}},
                UpdateExpression="SET next_ms = :next",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        if refused.error is not None:
            old = refused.error.response.get("Item", {}).get("next_ms", {}).get("N")  # type: ignore[attr-defined]
            return SlotAnswer(False, int(old) if old is not None else None)
        return SlotAnswer(True, next_ms)

    # -- the monthly credit budget ---------------------------------------------------------

    def reserve_credits(self, month: str, amount: int, budget: int) -> bool:
        """Atomically add `amount` to the month's spend unless that would pass `budget`."""
        if amount > budget:  # the month's first reservation too (nothing spent yet is 0)
            return False
        return conditional_write(
            "reserving credits",
            lambda: self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": BUDGET_PK}, "sk": {"S": month}},
                UpdateExpression="ADD spent :n",
                ConditionExpression="attribute_not_exists(spent) OR spent <= :limit",
                ExpressionAttributeValues={
                    ":n": {"N": str(amount)},
                    ":limit": {"N": str(budget - amount)},
                },
            ),
        )

    def settle_credits(
        self,
        month: str,
        reserved: int,
        used: int,
        balance: int | None = None,
        now: datetime | None = None,
    ) -> int | None:
        """Give back what a reservation did not use, and count what it did; with `balance`,
        keep the account balance the provider last reported (`credits_remaining`) and when.
        Returns the month's credits used so far (the update's own answer, no extra read)."""
        expression = "ADD spent :refund, used :used, calls_settled :one"
        values: dict[str, Any] = {
            ":refund": {"N": str(used - reserved)},
            ":used": {"N": str(used)},
            ":one": {"N": "1"},
        }
        if balance is not None and now is not None:
            # Last writer wins: concurrent batches report balances seconds apart.
            expression += " SET balance = :balance, balance_at = :at"
            values |= {":balance": {"N": str(balance)}, ":at": {"S": to_iso(now)}}
        with storage_errors("settling credits"):
            answer = self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": BUDGET_PK}, "sk": {"S": month}},
                UpdateExpression=expression,
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_NEW",
            )
        total = answer.get("Attributes", {}).get("used", {}).get("N")
        return int(total) if total is not None else None

    def balance(self, month: str) -> tuple[int, str] | None:
        """The provider's last reported balance this month and when (ISO), if any."""
        with storage_errors("reading the credit balance"):
            answer = self._client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": BUDGET_PK}, "sk": {"S": month}},
                ConsistentRead=True,
            )
        item = answer.get("Item", {})
        if "balance" not in item or "balance_at" not in item:
            return None
        return int(item["balance"]["N"]), str(item["balance_at"]["S"])

    # -- credits a cycle's failed deliveries spent (for its snapshot's accounting) ---------

    def carry_credits(self, key: str, credits: int, now: datetime) -> None:
        """Count credits a delivery of `key` (hashtag@cycle) spent without writing its
        snapshot; the delivery that writes it adds them to its own."""
        with storage_errors(f"counting credits spent on {key!r}"):
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": SPENT_PK}, "sk": {"S": key}},
                UpdateExpression="ADD credits :n SET expires_at = :exp",
                ExpressionAttributeValues={
                    ":n": {"N": str(credits)},
                    ":exp": {"N": str(int((now + SPENT_TTL).timestamp()))},
                },
            )

    def carried_credits(self, key: str) -> int:
        """Credits earlier deliveries of `key` spent without writing its snapshot."""
        with storage_errors(f"reading credits spent on {key!r}"):
            answer = self._client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": SPENT_PK}, "sk": {"S": key}},
                ConsistentRead=True,
            )
        return int(answer.get("Item", {}).get("credits", {}).get("N", "0"))

    def credits(self, month: str) -> tuple[int, int]:
        """(reserved-or-spent, actually used) credits of `month`."""
        with storage_errors("reading credits"):
            answer = self._client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": BUDGET_PK}, "sk": {"S": month}},
                ConsistentRead=True,
            )
        item = answer.get("Item", {})
        return int(item.get("spent", {}).get("N", "0")), int(item.get("used", {}).get("N", "0"))

    # -- fetch claims (two deliveries of one message must not both pay for the calls) ------

    def claim_fetch(self, key: str, now: datetime, lease: timedelta, owner: str) -> bool:
        """True if `owner` (one worker invocation) may collect `key` (hashtag@cycle): free,
        its lease ran out, or `owner` holds it already.

        The lease outlives any invocation, so a worker that died mid-fetch frees it by expiry.
        """
        return conditional_write(
            f"claiming fetch {key!r}",
            lambda: self._client.put_item(
                TableName=self.table_name, **_fetch_claim(key, now, lease, owner)
            ),
        )

    def claim_fetches(
        self, keys: list[str], now: datetime, lease: timedelta, owner: str
    ) -> ClaimAnswer:
        """Claim many fetches in one transaction (an SQS batch's worth, at most 100 keys).

        A key held by someone else cancels the transaction; it is refused and the rest are
        tried again. A key that conflicts with another transaction at the same moment is left
        undecided, for the caller to claim alone.
        """
        pending = list(dict.fromkeys(keys))[:MAX_TRANSACTION_ITEMS]
        refused: set[str] = set()
        undecided: set[str] = set()
        while pending:
            puts: list[Any] = [
                {"Put": {"TableName": self.table_name, **_fetch_claim(k, now, lease, owner)}}
                for k in pending
            ]
            with storage_errors(
                f"claiming {len(pending)} fetches",
                on_condition=True,
                codes=(TRANSACTION_CANCELED,),
            ) as cancelled:
                self._client.transact_write_items(TransactItems=puts)
            exc = cancelled.error
            if exc is None:
                break
            codes = [str(r.get("Code", "")) for r in exc.response.get("CancellationReasons", [])]
            if len(codes) != len(pending):
                raise StorageError(f"claiming fetches: cancelled without reasons ({exc})") from exc
            refused.update(
                k for k, c in zip(pending, codes, strict=True) if c == "ConditionalCheckFailed"
            )
            undecided.update(
                k
                for k, c in zip(pending, codes, strict=True)
                if c not in ("None", "", "ConditionalCheckFailed")
            )
            left = [k for k in pending if k not in refused and k not in undecided]
            if len(left) == len(pending):
                raise StorageError(f"claiming fetches: cancelled for no key ({codes})") from exc
            pending = left
        return ClaimAnswer(granted=frozenset(pending), refused=frozenset(refused))

    def release_fetch(self, key: str, owner: str) -> None:
        """Free `key` when its collection failed or was deferred, so the next delivery may
        collect at once (a written snapshot keeps its claim until the lease ends). A claim
        that is no longer `owner`'s (its lease ran out and another delivery took it) stays."""
        self._delete(
            FETCH_PK,
            key,
            f"releasing fetch {key!r}",
            ConditionExpression="#o = :me",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":me": {"S": owner}},
        )

    def unmark(self, key: str) -> None:
        """Forget a mark whose action failed, so it can be done once after all."""
        self._delete(ONCE_PK, key, f"unmarking {key!r}")

    def _delete(self, pk: str, sk: str, what: str, **condition: Any) -> None:
        """Delete one item; with a condition that does not hold, leave it."""
        conditional_write(
            what,
            lambda: self._client.delete_item(
                TableName=self.table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}}, **condition
            ),
        )

    def mark_once(self, key: str, now: datetime, ttl: timedelta) -> bool:
        """True the first time `key` is marked (e.g. one budget alert per month)."""
        return conditional_write(
            f"marking {key!r}",
            lambda: self._client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": ONCE_PK},
                    "sk": {"S": key},
                    "at": {"S": to_iso(now)},
                    "expires_at": {"N": str(int((now + ttl).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
            ),
        )

    # -- the weekly report: one folder per day, one summary per window ---------------------

    def claim_report_day(self, day: str, window: str, now: datetime, ttl: timedelta) -> bool:
        """True if the report folder of `day` (YYYY-MM-DD) is free or already holds the report
        of `window` (its end time): a second delivery of the same run finds it its own; a
        report of another window that day is refused, and stored apart."""
        return conditional_write(
            f"claiming the report folder of {day}",
            lambda: self._client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": REPORT_PK},
                    "sk": {"S": f"day#{day}"},
                    "window": {"S": window},
                    "at": {"S": to_iso(now)},
                    "expires_at": {"N": str(int((now + ttl).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk) OR #w = :w",
                ExpressionAttributeNames={"#w": "window"},
                ExpressionAttributeValues={":w": {"S": window}},
            ),
        )

    def mark_report_summary(self, window: str, now: datetime, ttl: timedelta) -> bool:
        """True the first time the summary of the report of `window` is to be published."""
        return conditional_write(
            f"marking the report summary of {window}",
            lambda: self._client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": REPORT_PK},
                    "sk": {"S": f"summary#{window}"},
                    "at": {"S": to_iso(now)},
                    "expires_at": {"N": str(int((now + ttl).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
            ),
        )

    def unmark_report_summary(self, window: str) -> None:
        """Forget the mark of a summary whose publish failed, so a retry publishes it."""
        self._delete(REPORT_PK, f"summary#{window}", f"unmarking the report summary of {window}")
