"""The tree shows the architecture: no import cycles, offline machinery in its own package, README in step."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "helpers"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every helpers module ``path`` imports, at any depth in the file (lazy imports count too)."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("helpers"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            if not stem.startswith("helpers"):
                continue
            for alias in node.names:
                candidate = f"{stem}.{alias.name}"
                found.add(candidate if (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists()
                          or (ROOT / Path(*candidate.split(".")) / "__init__.py").exists() else stem)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in HELPERS.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_helpers_have_no_import_cycle():
    graph = _graph()
    # Package __init__ files re-export; an edge into a package's own __init__ is not a cycle of modules.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_modules_lessons_call_do_not_reach_into_each_other_through_offline():
    """Only the client factory, triage and the failure demos of the offline package's errors cross over."""
    graph = _graph()
    offline = {m for m in graph if m.startswith("helpers.offline")}
    core = {"helpers.registry", "helpers.pricing", "helpers.budget", "helpers.imaging", "helpers.writes"}
    for module in core:
        assert not graph[module] & offline, f"{module} must not depend on the offline package"


def test_readme_layout_table_names_every_helpers_module():
    readme = (ROOT / "README.md").read_text()
    row = {
        "helpers/": next(line for line in readme.splitlines() if line.startswith("| `helpers/` |")),
        "helpers/offline/": next(line for line in readme.splitlines() if line.startswith("| `helpers/offline/` |")),
    }
    for folder, line in row.items():
        names = set(re.findall(r"`(\w+)/?`", re.sub(r"\(.*?\)", "", line.split("|")[2])))
        actual = {p.stem for p in (ROOT / folder).glob("*.py") if p.stem != "__init__"}
        actual |= {p.name for p in (ROOT / folder).iterdir() if p.is_dir() and (p / "__init__.py").exists()}
        if folder == "helpers/":
            actual.discard("offline")
        assert names == actual, f"README layout row for {folder} differs from the tree: {names ^ actual}"
