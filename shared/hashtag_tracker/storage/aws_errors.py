"""botocore failures as storage errors: the one translation every AWS adapter uses."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from hashtag_tracker.storage.errors import StorageError

# Apart from errors.py: logic names StorageError and must load without botocore.
CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Refusal:
    """What a `storage_errors` block yields: the refusal it absorbed, if it absorbed one."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: ClientError | None = None

    def __bool__(self) -> bool:
        return self.error is not None


# What to do with a refusal (a ClientError whose code is one of `codes`): None treats it as any
# other failure; an exception is raised in its place; True absorbs it; a callable absorbs it
# when it answers True (and otherwise lets it fail like any other).
OnCondition = StorageError | Callable[[ClientError], bool] | bool | None


@contextmanager
def storage_errors(
    what: str,
    on_condition: OnCondition = None,
    *,
    codes: Collection[str] = (CONDITION_FAILED,),
    error: type[StorageError] = StorageError,
) -> Iterator[Refusal]:
    """Turn a botocore failure inside the block into `error(f"{what} failed: {exc}")`, the
    original as its __cause__; a refusal goes to `on_condition` (see OnCondition).

    An absorbed refusal ends the block quietly and is left in the yielded Refusal, for the
    caller to answer from (e.g. False, or the item DynamoDB returned with the refusal).
    """
    refusal = Refusal()
    try:
        yield refusal
    except ClientError as exc:
        if error_code(exc) in codes:
            if isinstance(on_condition, BaseException):
                raise on_condition from None
            if on_condition is True or (callable(on_condition) and on_condition(exc)):
                refusal.error = exc
                return
        raise error(f"{what} failed: {exc}") from exc
    except BotoCoreError as exc:
        raise error(f"{what} failed: {exc}") from exc
