"""The layer's bytecode step (shared/Makefile `bytecode`, run by `sam build`), offline."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    # Given the package copied as the layer build copies it
    python = tmp_path_factory.mktemp("layer") / "python"
    shutil.copytree(
        ROOT / "shared" / "hashtag_tracker",
        python / "hashtag_tracker",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    # When the layer's bytecode step runs
    done = subprocess.run(
        ["make", "-s", "-C", str(ROOT / "shared"), "bytecode", f"BYTECODE_DIR={python}"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return python, done.stdout


def test_without_a_python313_the_build_says_so_and_ships_sources(
    compiled: tuple[Path, str],
) -> None:
    python, output = compiled
    if "no python3.13 here" not in output:
        pytest.skip("this machine has a python3.13")
    assert not list(python.rglob("*.pyc"))


def test_with_a_python313_every_module_ships_bytecode_lambda_uses_unchecked(
    compiled: tuple[Path, str],
) -> None:
    python, output = compiled
    if "no python3.13 here" in output:
        pytest.skip("no python3.13 on this machine: the layer ships without bytecode")
    sources = list((python / "hashtag_tracker").rglob("*.py"))
    missing = [
        p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.cpython-313.pyc").exists()
    ]
    assert sources and not missing
    # PEP 552 flags: bit 0 = hash-based, bit 1 = check_source. Unchecked (0b01): on the
    # read-only /opt Python never compares the pyc with (zip-rounded) source times.
    pyc = python / "hashtag_tracker" / "collection" / "__pycache__" / "handler.cpython-313.pyc"
    assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01
