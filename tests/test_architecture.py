"""The house rules, checked on the source: imports follow one order and modules stay small.

Layers, lowest first (a module imports only from its own package or from lower ranks):
base (errors, config, weeks, yaml_guard, workers, dask_runner) → db → run (bookkeeping, undo) → the
domain packages in their own order (redact, ingest, embed, sentiment, topics, demo, report,
publish) → stages → entry points (cli, serve, editor, flows). Imports inside functions
count: hiding an import in a function hides a cycle, it does not remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 400

# (prefix, rank): the longest matching prefix decides a module's rank.
RANKS: list[tuple[str, float]] = [
    ("pulse", 0),
    ("pulse._numba_cache", 0),
    ("pulse.errors", 0),
    ("pulse.config", 0),
    ("pulse.weeks", 0),
    ("pulse.yaml_guard", 0),
    ("pulse.workers", 0),
    ("pulse.dask_runner", 0),
    ("pulse.db", 1),
    ("pulse.run", 2),
    ("pulse.undo", 2),
    ("pulse.redact", 3.0),
    ("pulse.ingest", 3.1),
    ("pulse.embed", 3.2),
    ("pulse.sentiment", 3.3),
    ("pulse.topics", 3.4),
    ("pulse.demo", 3.5),
    ("pulse.report", 3.6),
    ("pulse.publish", 3.7),
    ("pulse.stages", 4),
    ("pulse.cli", 5),
    ("pulse.serve", 5),
    ("pulse.editor", 5),
    ("flows", 5),
]


def _modules() -> dict[str, Path]:
    found = {}
    for root in ("pulse", "flows"):
        for path in sorted((REPO / root).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _rank(module: str) -> float:
    return dict(RANKS)[_placed(module)]


def _package(module: str) -> str:
    """The unit within which imports go either way: `pulse.topics`, `flows`, `pulse.db`."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "pulse" else parts[0]


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `module` imports, anywhere in its file (TYPE_CHECKING aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    out = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def _stale_imports() -> list[str]:
    """`from pulse.x import y` where pulse.x is no module: a moved name's old address, which a
    function-level import would only reveal when that function runs."""
    stale = []
    modules = _modules()
    others = {
        str(p.relative_to(REPO)): p
        for root in ("tests", "bench", "scripts")
        for p in sorted((REPO / root).rglob("*.py"))
    }
    for module, path in {**modules, **others}.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = None
            if isinstance(node, ast.ImportFrom) and not node.level:
                name = node.module
            elif isinstance(node, ast.Import):
                name = node.names[0].name
            if name and name.split(".")[0] in ("pulse", "flows") and name not in modules:
                stale.append(f"{module}: line {node.lineno} imports {name}")
    return stale


def test_every_import_names_a_module_that_exists():
    stale = _stale_imports()
    assert not stale, "imports of modules that do not exist:\n" + "\n".join(stale)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {m: _imports(m, p, known) for m, p in modules.items()}


def test_every_module_has_a_layer():
    unplaced = [m for m in _modules() if m != "pulse" and _placed(m) == "pulse"]
    assert not unplaced, f"modules in no layer (add them to RANKS): {unplaced}"


def _placed(module: str) -> str:
    return max((p for p, _ in RANKS if module == p or module.startswith(p + ".")), key=len)


def test_imports_go_down_the_layers():
    wrong = []
    for module, targets in _graph().items():
        for target in targets:
            if _package(target) == _package(module) or target == "pulse":
                continue
            if _rank(target) > _rank(module) or (
                _rank(target) == _rank(module) and _package(target) != _package(module)
                and _rank(module) >= 3 and _rank(module) < 4
            ):
                wrong.append(f"{module} (rank {_rank(module)}) imports {target} "
                             f"(rank {_rank(target)})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(sorted(wrong))


def test_no_import_cycles():
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == "pulse":  # the package's __init__ only sets the environment
                continue
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


@pytest.mark.parametrize("root", ["pulse", "flows"])
def test_no_module_over_400_lines(root):
    long = {
        str(p.relative_to(REPO)): n
        for p in sorted((REPO / root).rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"
