"""The package's layers hold: each imports only those below it, no private name crosses a
module, no module grows past what a reader takes in at once."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

# bottom to top; `sim/errors.py` and `sim/__init__.py` are shared by all
LAYERS = ["scenario", "model", "engine", "results", "experiments", "report", "cli"]
MAX_LINES = 400


def _modules() -> list[tuple[str, Path, ast.Module]]:
    out = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        out.append((name, path, ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def _imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom | ast.Import)]


def _targets(node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    return [node.module or ""]


def test_no_module_imports_from_a_layer_above_it():
    upward = []
    for name, _, tree in _modules():
        mine = _layer(name)
        for node in _imports(tree):
            for target in _targets(node):
                theirs = _layer(target) if target.startswith("sim.") else None
                if mine is not None and theirs is not None and theirs > mine:
                    upward.append(f"{name} imports {target}")
    assert upward == []


def test_no_private_name_is_imported_from_another_module():
    private = []
    for name, _, tree in _modules():
        for node in _imports(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append(f"{name}: {node.module}.{alias.name}")
    assert private == []


def test_no_module_is_longer_than_a_reader_takes_in():
    long = {str(p.relative_to(ROOT)): n for _, p, _ in _modules()
            if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_LINES}  # fmt: skip
    assert long == {}


def _runtime_imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    """Imports that run (deferred ones inside functions too), not those for type checkers."""
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for n in ast.walk(block)
    }
    return [n for n in _imports(tree) if id(n) not in typing_only]


def _import_graph() -> dict[str, set[str]]:
    modules = {name: tree for name, _, tree in _modules()}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, tree in modules.items():
        for node in _runtime_imports(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
            for target in _targets(node):
                graph[name] |= {t for t in (target, *(f"{target}.{n}" for n in names))
                                if t in modules and t != "sim"}  # fmt: skip
    return graph


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    path, seen = [start], {start}
    stack = [iter(sorted(graph[start]))]
    while stack:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            path.pop()
        elif nxt == start:
            return [*path, start]
        elif nxt not in seen:
            seen.add(nxt)
            path.append(nxt)
            stack.append(iter(sorted(graph[nxt])))
    return None


def test_no_import_cycle_even_through_deferred_imports():
    graph = _import_graph()
    cycles = {" -> ".join(c) for m in graph if (c := _cycle_through(graph, m))}
    assert cycles == set()
