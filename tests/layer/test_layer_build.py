"""The layer as `sam build` makes it (shared/Makefile `build-SharedLayer`), offline: its
dependencies' pip step is skipped (PIP=true); the package copy and bytecode steps are real."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    # When the layer's build recipe runs (without downloading its dependencies)
    artifacts = tmp_path_factory.mktemp("layer")
    python = artifacts / "python"
    done = subprocess.run(
        [
            *("make", "-s", "-C", str(ROOT / "shared"), "build-SharedLayer"),
            *(f"ARTIFACTS_DIR={artifacts}", "PIP=true"),
        ],
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


def test_the_layer_holds_only_what_lambda_runs(compiled: tuple[Path, str]) -> None:
    """The layer's package is exactly what Lambda runs: no laptop tools (CLI, local runner,
    simulator), and nothing in it imports them or a test-only dependency."""
    python, _ = compiled
    assert sorted(p.name for p in python.iterdir()) == ["hashtag_tracker"]
    assert not [
        p for p in (python / "hashtag_tracker").iterdir() if p.name in ("cli", "local", "simulator")
    ]
    banned = ("hashtag_tracker_tools", "moto", "click", "rich", "pytest")
    offenders = [
        str(p.relative_to(python))
        for p in (python / "hashtag_tracker").rglob("*.py")
        if any(
            line.strip().startswith((f"import {b}", f"from {b}"))
            for line in p.read_text(encoding="utf-8").splitlines()
            for b in banned
        )
    ]
    assert offenders == []
