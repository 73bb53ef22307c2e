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


STAND_IN_WIRED_BY = {"helpers.client", "helpers.maintainer.simulator_server"}


def test_only_the_client_factory_and_the_simulator_server_import_the_stand_in():
    graph = _graph()
    offline = {m for m in graph if m.startswith("helpers.offline")}
    importers = {name for name, deps in graph.items() if deps & offline and name not in offline}
    assert importers <= STAND_IN_WIRED_BY, f"only {STAND_IN_WIRED_BY} may import helpers.offline: {importers}"
    assert "helpers.client" in importers  # the factory is what wires it in


def test_the_transports_and_the_rules_never_import_the_stand_in():
    graph = _graph()
    live_path = {m for m in graph if m.startswith("helpers.transports")} | {
        "helpers.rules", "helpers.api_errors", "helpers.request", "helpers.settings", "helpers.registry",
        "helpers.pricing", "helpers.budget"}
    for module in live_path:
        # Follow every import, so a detour through another module counts too. The root package's
        # __init__ is not followed: it imports the client only when ``helpers.make_client`` is asked for.
        seen, todo = set(), [module]
        while todo:
            for dep in graph[todo.pop()] - seen - {"helpers"}:
                seen.add(dep)
                todo.append(dep)
        reached = {m for m in seen if m.startswith("helpers.offline")}
        assert not reached, f"{module} reaches the offline stand-in: {sorted(reached)}"


def test_lessons_import_nothing_from_the_stand_in():
    import nbformat

    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert "helpers.offline" not in code, f"{path.name} imports the offline stand-in"


def test_every_cookbook_variable_is_read_in_settings_only():
    import helpers.settings as settings

    documented = {s.name for s in settings.SETTINGS}
    for path in HELPERS.rglob("*.py"):
        text = path.read_text()
        for name in re.findall(r"COOKBOOK_[A-Z_]+", text):
            assert name in documented, f"{path.relative_to(ROOT)} names {name}, which settings.SETTINGS lacks"
        if path.name != "settings.py":
            assert not re.search(r"""environ(?:\.get)?\(?\[?["']COOKBOOK_""", text), (
                f"{path.relative_to(ROOT)} reads a COOKBOOK_ variable itself; read it through helpers.settings")


def _documented_helpers_names() -> set[str]:
    names = set()
    for doc in ("README.md", "CONTRIBUTING.md"):
        text = (ROOT / doc).read_text()
        names |= set(re.findall(r"`(?:python -m )?(helpers(?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text))
    return names


def test_the_helpers_names_the_readme_and_contributing_guide_show_exist():
    import importlib

    names = _documented_helpers_names()
    assert "helpers.make_async_client" in names  # the check below must see the README's own example
    for dotted in sorted(names):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found = importlib.import_module(".".join(parts[:cut]))
                break
            except ImportError:
                continue
        for attribute in parts[cut:]:
            assert hasattr(found, attribute), f"{dotted} (documented) does not exist"
            found = getattr(found, attribute)


LAYOUT_ROWS = ("helpers/", "helpers/transports/", "helpers/offline/", "helpers/maintainer/")


def test_readme_layout_table_names_every_helpers_module():
    readme = (ROOT / "README.md").read_text()
    for folder in LAYOUT_ROWS:
        line = next(line for line in readme.splitlines() if line.startswith(f"| `{folder}` |"))
        names = set(re.findall(r"`(\w+)/?`", re.sub(r"\(.*?\)", "", line.split("|")[2])))
        actual = {p.stem for p in (ROOT / folder).glob("*.py") if p.stem != "__init__"}
        actual |= {p.name for p in (ROOT / folder).iterdir() if p.is_dir() and (p / "__init__.py").exists()}
        if folder == "helpers/":
            actual -= {f.strip("/").split("/")[-1] for f in LAYOUT_ROWS[1:]}
        names -= {"helpers"} if folder == "helpers/" else set()
        assert names == actual, f"README layout row for {folder} differs from the tree: {names ^ actual}"
