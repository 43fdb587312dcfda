"""The tree keeps its shape: the package's top-level imports form no circle, the main job's
entry point is imported by nothing in the package, and no module grows past ~400 lines
and no function passes 60
lines unless a comment in it says why ("on purpose"). Migrations are generated, not counted."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
MAX_LINES = 400
ALLOWED: dict[str, int] = {}  # modules allowed more than 400 lines (none now)
MAX_FUNCTION = 60


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def _top_level_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_the_package_imports_form_no_circle():
    mods = _modules()
    edges = {m: {t for t in _top_level_imports(p) if t in mods and t != m} for m, p in mods.items()}
    assert _cycles(edges) == []


def test_nothing_in_the_package_imports_the_scheduler_entry_point():
    for name, path in _modules().items():
        assert "scheduler" not in _top_level_imports(path), name
        assert "import scheduler" not in path.read_text("utf-8"), name


def test_no_module_grows_past_its_size():
    big = {name: n for name, path in _modules().items()
           if (n := len(path.read_text("utf-8").splitlines())) > ALLOWED.get(name, MAX_LINES)}
    assert big == {}


def test_long_functions_say_why():
    unexplained = []
    for name, path in _modules().items():
        source = path.read_text("utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = lines[node.lineno - 1:node.end_lineno]
                if len(body) > MAX_FUNCTION and not any("on purpose" in line for line in body):
                    unexplained.append(f"{name}.{node.name} ({len(body)} lines)")
    assert unexplained == []
