"""The reliability table's generator: a case the emulator was too slow to finish is a harness
error naming its cause, never a product failure or a pass (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.reliability import Recorder, emulator_timeout, render

CASES = '''
from botocore.exceptions import ReadTimeoutError

from hashtag_tracker.storage.errors import StorageError
from tests.faults.inject import InjectedReadTimeout


def test_slow_emulator():
    """Slow emulator. Injected: nothing. Asserted: nothing."""
    try:
        raise ReadTimeoutError(endpoint_url="http://127.0.0.1:5000/")
    except ReadTimeoutError as exc:
        raise StorageError("scanning the table failed") from exc


def test_injected_timeout_not_handled():
    """Injected timeout. Injected: a lost answer. Asserted: nothing."""
    raise InjectedReadTimeout(endpoint_url="http://127.0.0.1 (answer lost)")


def test_product_failure():
    """Product failure. Injected: nothing. Asserted: one."""
    assert 1 == 2


def test_pass():
    """Pass. Injected: nothing. Asserted: nothing."""
'''


def test_an_emulator_timeout_is_a_harness_error_and_anything_else_keeps_its_outcome(
    tmp_path: Path,
) -> None:
    # Given four cases: one stopped by the emulator's slowness, one by an injected timeout
    # the product did not handle, one product failure and one pass
    (tmp_path / "test_cases.py").write_text(CASES)
    recorder = Recorder()

    # When the generator's recorder watches them run
    pytest.main(["-q", "-p", "no:cacheprovider", str(tmp_path)], plugins=[recorder])

    # Then only the first is a harness error, with its cause named
    outcome = {c.nodeid.rsplit("::", 1)[1]: c for c in recorder.cases.values()}
    assert outcome["test_slow_emulator"].outcome == "harness"
    assert "did not answer in time" in outcome["test_slow_emulator"].harness_cause
    assert "127.0.0.1:5000" in outcome["test_slow_emulator"].harness_cause
    assert outcome["test_injected_timeout_not_handled"].outcome == "failed"
    assert outcome["test_product_failure"].outcome == "failed"
    assert outcome["test_pass"].outcome == "passed"
    # and the table counts it apart from product failures and passes
    summary = next(
        line for line in render(list(recorder.cases.values())).splitlines() if "cases:" in line
    )
    assert "1 pass" in summary and "2 failing" in summary
    assert "1 not run to the end (harness)" in summary


def test_a_timeout_anywhere_in_the_chain_is_found_and_an_injected_one_is_not() -> None:
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    from tests.faults.inject import InjectedReadTimeout

    try:
        try:
            raise ConnectTimeoutError(endpoint_url="http://127.0.0.1:1/")
        except ConnectTimeoutError:
            raise RuntimeError("the runner gave up") from None
    except RuntimeError as exc:
        hidden = exc  # `from None` keeps the context, only hides it from the traceback
    assert emulator_timeout(hidden).startswith("the emulated AWS stack did not answer in time")
    assert emulator_timeout(ReadTimeoutError(endpoint_url="http://127.0.0.1:2/"))
    assert emulator_timeout(InjectedReadTimeout(endpoint_url="x")) == ""
    assert emulator_timeout(ValueError("no")) == ""
    assert emulator_timeout(None) == ""
