"""Deployment package sizes: each function's code and the layer (package + dependencies)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _files(path: Path, bytecode: bool) -> list[Path]:
    """Files under `path`; local `__pycache__` folders are not shipped unless `bytecode`."""
    return [
        p
        for p in sorted(path.rglob("*"))
        if p.is_file() and (bytecode or "__pycache__" not in p.parts)
    ]


def zipped_bytes(path: Path, bytecode: bool = False) -> int:
    """Size of `path` zipped (deflate), as the deployment package would be uploaded."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for p in _files(path, bytecode):
            archive.write(p, p.relative_to(path))
    return buffer.tell()


def tree_bytes(path: Path, bytecode: bool = False) -> int:
    return sum(p.stat().st_size for p in _files(path, bytecode))


def layer_bytes(with_dependencies: bool) -> tuple[int, tuple[int, int] | None]:
    """(our package, (unzipped, zipped) package + arm64/3.13 wheels) in bytes."""
    own = tree_bytes(ROOT / "shared" / "hashtag_tracker")
    if not with_dependencies:
        return own, None
    with tempfile.TemporaryDirectory() as tmp:
        # The layer exactly as `sam build` makes it (shared/Makefile), bytecode included.
        done = subprocess.run(
            ["make", "-s", "-C", str(ROOT / "shared"), "build-SharedLayer"],
            env={**os.environ, "ARTIFACTS_DIR": tmp, "PIP": f"{sys.executable} -m pip"},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return own, None
        built = Path(tmp)
        return own, (tree_bytes(built, bytecode=True), zipped_bytes(built, bytecode=True))


def measure(with_dependencies: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"artifact": f"function {d.name}", "bytes": tree_bytes(d), "zipped": zipped_bytes(d)}
        for d in sorted((ROOT / "functions").iterdir())
        if d.is_dir() and (d / "app.py").exists()
    ]
    own, full = layer_bytes(with_dependencies)
    package = ROOT / "shared" / "hashtag_tracker"
    rows.append(
        {
            "artifact": "layer: hashtag_tracker package",
            "bytes": own,
            "zipped": zipped_bytes(package),
        }
    )
    rows.append(
        {
            "artifact": "layer as built: package + dependencies + bytecode (arm64, py3.13)",
            "bytes": full[0] if full else None,
            "zipped": full[1] if full else None,
        }
    )
    return rows
