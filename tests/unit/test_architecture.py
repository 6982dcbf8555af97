"""The rooms of the code and what each may import (docs/ARCHITECTURE.md), read from the
sources' own import statements: boto3 only where AWS is touched, no import cycles, logic
that never loads the AWS SDK just for a type, and a layer that never reaches laptop code."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "hashtag_tracker": ROOT / "shared" / "hashtag_tracker",
    "hashtag_tracker_tools": ROOT / "shared" / "hashtag_tracker_tools",
    "functions": ROOT / "functions",
    "bench": ROOT / "bench",
}
AWS_SDK = ("boto3", "botocore")
# Where the AWS SDK may be imported: the adapters, the handlers (the worker imports boto3
# first for its cold start), the local runner and emulated stack, the CLI's table lookup.
MAY_IMPORT_AWS_SDK = (
    "hashtag_tracker.storage.",
    "functions.",
    "hashtag_tracker_tools.local.",
    "hashtag_tracker_tools.cli.target",
    "bench.",
)
# Each room of the layer and the rooms it may import (besides itself). storage.errors is
# the storage rooms' shared vocabulary of failures, so logic may name StorageError.
BASE = {"hashtag_tracker.models", "hashtag_tracker.clock", "hashtag_tracker.observability"}
ALLOWED = {
    "hashtag_tracker.models": set(),
    "hashtag_tracker.clock": set(),
    "hashtag_tracker.observability": set(),
    "hashtag_tracker.config": {"hashtag_tracker.models"},
    "hashtag_tracker.source": BASE,
    "hashtag_tracker.rules": BASE,
    "hashtag_tracker.storage": BASE | {"hashtag_tracker.rules", "hashtag_tracker.source"},
    "hashtag_tracker.collection": BASE
    | {"hashtag_tracker.source", "hashtag_tracker.storage", "hashtag_tracker.rules"},
    "hashtag_tracker.notify": BASE | {"hashtag_tracker.rules", "hashtag_tracker.storage"},
    "hashtag_tracker.report": BASE | {"hashtag_tracker.storage", "hashtag_tracker.rules"},
}
# The logic rooms reach storage only for its errors, never for an adapter.
LOGIC = ("hashtag_tracker.collection", "hashtag_tracker.notify", "hashtag_tracker.report")
STORAGE_VOCABULARY = {"hashtag_tracker.storage.errors"}


def _module_name(package: str, base: Path, path: Path) -> str:
    parts = [package, *path.relative_to(base).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> Iterator[tuple[str, bool]]:
    """(imported module, whether only for type checking), function-local imports included."""

    def walk(node: ast.AST, typing_only: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for stmt in child.body:
                    yield from walk_one(stmt, True)
                for stmt in child.orelse:
                    yield from walk_one(stmt, typing_only)
            else:
                yield from walk_one(child, typing_only)

    def walk_one(node: ast.AST, typing_only: bool) -> Iterator[tuple[str, bool]]:
        if isinstance(node, ast.Import):
            yield from ((alias.name, typing_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, typing_only
        yield from walk(node, typing_only)

    yield from walk(tree, False)


def _graph() -> dict[str, list[tuple[str, bool]]]:
    graph: dict[str, list[tuple[str, bool]]] = {}
    for package, base in PACKAGES.items():
        for path in sorted(base.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            graph[_module_name(package, base, path)] = list(_imports(tree))
    return graph


GRAPH = _graph()


def _room(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_the_aws_sdk_is_imported_only_where_aws_is_touched() -> None:
    offenders = sorted(
        f"{module} imports {imported}"
        for module, imports in GRAPH.items()
        for imported, _ in imports
        if imported.split(".")[0] in AWS_SDK and not module.startswith(MAY_IMPORT_AWS_SDK)
    )
    assert offenders == []


def test_each_room_of_the_layer_imports_only_the_rooms_below_it() -> None:
    offenders = []
    for module, imports in GRAPH.items():
        room = _room(module)
        if room not in ALLOWED:
            continue
        for imported, _ in imports:
            target = _room(imported)
            if imported.startswith("hashtag_tracker.") and target != room:
                if target not in ALLOWED[room]:
                    offenders.append(f"{module} imports {imported}")
                elif (
                    room in LOGIC
                    and target == "hashtag_tracker.storage"
                    and imported not in STORAGE_VOCABULARY
                ):
                    offenders.append(f"{module} imports the adapter {imported}")
    assert sorted(offenders) == []


def test_the_layer_never_imports_laptop_tools_or_handlers() -> None:
    offenders = sorted(
        f"{module} imports {imported}"
        for module, imports in GRAPH.items()
        if module.startswith("hashtag_tracker.")
        for imported, _ in imports
        if imported.split(".")[0] in ("hashtag_tracker_tools", "functions", "moto", "pytest")
    )
    assert offenders == []


def test_no_import_cycle_between_modules() -> None:
    # Imports made only for type checking never run, so they cannot close a cycle.
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imports in GRAPH.items():
        for imported, typing_only in imports:
            if not typing_only and imported in GRAPH and imported != module:
                edges[module].add(imported)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert cycles == []


@pytest.mark.parametrize(
    "module",
    [
        "hashtag_tracker.collection.pacing",
        "hashtag_tracker.collection.batch",
        "hashtag_tracker.collection.scheduler",
        "hashtag_tracker.collection.worker",
        "hashtag_tracker.rules.engine",
        "hashtag_tracker.report.run",
        "hashtag_tracker.report.digest_run",
        "hashtag_tracker.collection.planner",
    ],
)
def test_logic_loads_without_the_aws_sdk(module: str) -> None:
    """Logic modules load in a fresh interpreter without boto3 or botocore's modules (not
    even for a type), so they stay testable and cheap to import. Powertools' logger loads
    the bare `botocore` package for its user agent; nothing of botocore beyond that."""
    probe = (
        f"import sys, {module}; print(sorted(m for m in sys.modules "
        "if m.split('.')[0] == 'boto3' or m.startswith('botocore.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
