"""storage_errors: the one place botocore failures become storage errors."""

from __future__ import annotations

from typing import Any, cast

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from hashtag_tracker.models.hashtag import TrackedHashtag
from hashtag_tracker.storage.aws_errors import (
    CONDITION_FAILED,
    TRANSACTION_CANCELED,
    storage_errors,
)
from hashtag_tracker.storage.dynamo import conditional_write
from hashtag_tracker.storage.errors import ItemExistsError, ItemNotFoundError, StorageError
from hashtag_tracker.storage.hashtags import DynamoHashtagStore


def client_error(code: str, **extra: Any) -> ClientError:
    return ClientError(
        cast(Any, {"Error": {"Code": code, "Message": f"{code} happened"}, **extra}),
        "PutItem",
    )


def raise_(exc: BaseException) -> None:
    raise exc


class NotMine(StorageError):
    pass


def test_a_client_error_is_a_storage_error_naming_the_operation() -> None:
    original = client_error("ValidationException")
    with pytest.raises(StorageError) as raised, storage_errors("writing thing 'x'"):
        raise original
    assert type(raised.value) is StorageError
    assert str(raised.value) == f"writing thing 'x' failed: {original}"
    assert raised.value.__cause__ is original


def test_a_botocore_error_is_a_storage_error_naming_the_operation() -> None:
    original = EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")
    with pytest.raises(StorageError) as raised, storage_errors("reading thing"):
        raise original
    assert str(raised.value) == f"reading thing failed: {original}"
    assert raised.value.__cause__ is original


def test_a_conditional_failure_is_a_plain_storage_error_unless_asked_for() -> None:
    original = client_error(CONDITION_FAILED)
    with (
        pytest.raises(StorageError, match=r"^writing failed: ") as raised,
        storage_errors("writing"),
    ):
        raise original
    assert raised.value.__cause__ is original


def test_a_conditional_failure_can_raise_a_given_exception_instead() -> None:
    wanted = ItemExistsError("thing 'x' is already there")
    with pytest.raises(ItemExistsError) as raised, storage_errors("writing", on_condition=wanted):
        raise client_error(CONDITION_FAILED)
    assert raised.value is wanted
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_conditional_failure_can_be_absorbed_and_answered_from() -> None:
    original = client_error(CONDITION_FAILED, Item={"next_ms": {"N": "7"}})
    with storage_errors("reserving", on_condition=True) as refused:
        raise original
    assert refused
    assert refused.error is original


def test_a_block_that_succeeds_refuses_nothing() -> None:
    with storage_errors("reserving", on_condition=True) as refused:
        pass
    assert not refused and refused.error is None


def test_only_the_refusal_codes_are_absorbed() -> None:
    with (
        pytest.raises(StorageError, match=r"^writing failed: "),
        storage_errors("writing", on_condition=True),
    ):
        raise client_error("ProvisionedThroughputExceededException")
    with (
        pytest.raises(StorageError),
        storage_errors("writing", on_condition=True, codes=(TRANSACTION_CANCELED,)),
    ):
        raise client_error(CONDITION_FAILED)
    with storage_errors("writing", on_condition=True, codes=(TRANSACTION_CANCELED,)) as cancelled:
        raise client_error(TRANSACTION_CANCELED)
    assert cancelled


def test_a_callable_decides_which_refusals_are_absorbed() -> None:
    def first_item(exc: ClientError) -> bool:
        return exc.response.get("CancellationReasons", [{}])[0].get("Code") == "X"  # type: ignore[typeddict-item]

    mine = client_error(TRANSACTION_CANCELED, CancellationReasons=[{"Code": "X"}])
    with storage_errors("claiming", on_condition=first_item, codes=(TRANSACTION_CANCELED,)) as lost:
        raise mine
    assert lost.error is mine

    other = client_error(TRANSACTION_CANCELED, CancellationReasons=[{"Code": "Y"}])
    with (
        pytest.raises(StorageError, match=r"^claiming failed: ") as raised,
        storage_errors("claiming", on_condition=first_item, codes=(TRANSACTION_CANCELED,)),
    ):
        raise other
    assert raised.value.__cause__ is other


def test_the_error_class_can_be_chosen() -> None:
    with (
        pytest.raises(NotMine, match=r"^publishing failed: "),
        storage_errors("publishing", error=NotMine),
    ):
        raise client_error("NotFound")
    with pytest.raises(NotMine), storage_errors("publishing", error=NotMine):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")


def test_other_exceptions_pass_through_untouched() -> None:
    inner = StorageError("already ours")
    with pytest.raises(StorageError) as raised, storage_errors("outer"):
        raise inner
    assert raised.value is inner
    with pytest.raises(KeyError), storage_errors("outer", on_condition=True):
        raise KeyError("x")


# -- conditional_write and the stores that use the mechanism -------------------------------


def test_conditional_write_answers_whether_the_condition_held() -> None:
    assert conditional_write("marking", lambda: None) is True
    assert conditional_write("marking", lambda: raise_(client_error(CONDITION_FAILED))) is False
    original = client_error("InternalServerError")
    with pytest.raises(StorageError, match=r"^marking failed: ") as raised:
        conditional_write("marking", lambda: raise_(original))
    assert raised.value.__cause__ is original
    with pytest.raises(StorageError, match=r"^marking failed: "):
        conditional_write(
            "marking", lambda: raise_(EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"))
        )


class RaisingDynamo:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def put_item(self, **_: Any) -> Any:
        raise self.exc

    def delete_item(self, **_: Any) -> Any:
        raise self.exc


def hashtag_store(exc: BaseException) -> DynamoHashtagStore:
    return DynamoHashtagStore("Hashtags", client=cast(Any, RaisingDynamo(exc)))


def test_a_refused_hashtag_write_is_the_store_s_own_error() -> None:
    tag = TrackedHashtag.parse({"hashtag": "trybrandx"})
    with pytest.raises(ItemExistsError, match="'trybrandx' is already tracked"):
        hashtag_store(client_error(CONDITION_FAILED)).create(tag)
    with pytest.raises(ItemNotFoundError, match="'trybrandx' is not tracked"):
        hashtag_store(client_error(CONDITION_FAILED)).replace(tag)
    with pytest.raises(ItemNotFoundError, match="'trybrandx' is not tracked"):
        hashtag_store(client_error(CONDITION_FAILED)).delete("trybrandx")
    with pytest.raises(StorageError, match=r"^writing hashtag 'trybrandx' failed: "):
        hashtag_store(client_error("ValidationException")).create(tag)


def test_a_hashtag_removal_that_cannot_reach_dynamodb_is_a_storage_error() -> None:
    # It used to escape as a raw botocore error, past the CLI's one-line error handling.
    down = EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")
    with pytest.raises(StorageError, match=r"^removing hashtag 'trybrandx' failed: ") as raised:
        hashtag_store(down).delete("trybrandx")
    assert raised.value.__cause__ is down
