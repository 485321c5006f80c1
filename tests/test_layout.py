"""The package layout: no import cycles, typer only in the CLI, the checker apart from the
solver, and every file contract's names in `wfm.io.tables`."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "wfm"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (imports for type hints only)."""
    found: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return found


def _imports() -> dict[str, set[str]]:
    """Every wfm module and the wfm modules it imports, at the top or inside functions."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
                # `from wfm.cli import run` imports the module wfm.cli.run
                targets += [f"{node.module}.{alias.name}" for alias in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _packages_of(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_no_import_cycles() -> None:
    graph = _imports()
    # Importing a package runs its __init__: an edge to a submodule implies one to its parents.
    for name in list(graph):
        for target in list(graph[name]):
            graph[name] |= {p for p in _packages_of(target) if p in graph and p != name
                            and not name.startswith(p + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_typer_only_in_the_cli() -> None:
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        if name.startswith("wfm.cli"):
            continue
        assert "import typer" not in path.read_text(encoding="utf-8"), name


def test_checker_imports_nothing_from_the_solver() -> None:
    graph = _imports()
    for name in graph:
        if name.startswith("wfm.verify"):
            assert not {t for t in graph[name] if t.startswith("wfm.schedule")}, name


def test_file_names_live_in_tables() -> None:
    """The names of the files wfm writes appear as literals only in `wfm.io.tables`."""
    names = ('"schedule.csv"', '"activities.csv"', '"coverage.csv"', '"kpis.json"',
             '"forecast.csv"', '"requirements.csv"', '"manifest.json"', '"schedule.xlsx"')
    for path in PACKAGE.rglob("*.py"):
        if path.name == "tables.py":
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        literals = {repr(node.value).replace("'", '"') for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        assert not literals & set(names), (path, literals & set(names))
