"""The package's import directions: the layout holds because a test says so.

Every import inside ``declutter/`` counts, at module level, inside a function (a lazy
import) or under ``if TYPE_CHECKING`` alike: a cycle that only holds through a lazy
import is still two modules that cannot be understood apart.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "declutter"

#: The areas of the package, by module-name prefix (the longest prefix wins).
AREAS = {
    "declutter": "api",
    "declutter._version": "api",
    "declutter._model": "model",
    "declutter._rules": "rules",
    "declutter._stages": "stages",
    "declutter._formats": "formats",
    "declutter._report": "report",
    "declutter.warc": "warc",
    "declutter.bulk": "bulk",
    "declutter.integrations": "integrations",
    "declutter.cluster": "cluster",
    "declutter.cli": "cli",
    "declutter.__main__": "cli",
}

#: What each area may import besides itself. Extraction (model, rules, stages, formats)
#: never reaches up to bulk runs, the report, the command line or the engines; the
#: public WARC reader never loads bulk machinery; nothing but the package root and the
#: command line imports the command line.
ALLOWED = {
    "model": {"formats"},  # only the article, which renders itself (see EXCEPTIONS)
    "rules": {"model"},
    "formats": {"model"},
    "stages": {"model", "rules", "formats"},
    "report": {"model", "rules", "stages", "formats"},
    "warc": {"model", "stages"},
    # rules: learning site memory writes rules files, by the table's thresholds
    "bulk": {"model", "rules", "stages", "formats", "report", "warc"},
    "integrations": {"model", "stages", "formats", "bulk"},
    "cluster": {"model", "stages", "bulk", "integrations"},
    "cli": {"api", "model", "rules", "stages", "formats", "report", "warc", "bulk"},
    "api": {"model", "rules", "stages", "formats", "report", "warc", "bulk", "cluster"},
}

#: Single modules allowed an import their area is not, each with its reason.
EXCEPTIONS = {
    # Article.to_markdown() / to_html() / to_xml(): the result renders itself; the
    # formats read it through a protocol and never import it back.
    ("declutter._model.article", "formats"),
}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(module: str, path: Path) -> Iterator[tuple[str, str, int]]:
    """(imported module, name imported from it or "", line) for each import in a module."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in MODULES:
                    yield f"{target}.{alias.name}", "", node.lineno
                elif target in MODULES:
                    yield target, alias.name, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, "", node.lineno


def _with_packages(module: str, targets: set[str]) -> set[str]:
    """The imported modules and the packages they sit in: importing ``a.b.c`` runs
    ``a/b/__init__.py`` first, so a package's own imports count for every module that
    reaches into it (except the importer's own packages, which are loaded already)."""
    edges = set()
    for target in targets:
        parts = target.split(".")
        for end in range(2, len(parts) + 1):
            name = ".".join(parts[:end])
            if name != module and not module.startswith(name + ".") and name in MODULES:
                edges.add(name)
    return edges


GRAPH = {module: _with_packages(module, {target for target, _, _ in _imports(module, path)})
         for module, path in MODULES.items()}


def _area(module: str) -> str:
    prefix = max((p for p in AREAS if module == p or module.startswith(p + ".")), key=len)
    return AREAS[prefix]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_checker_finds_a_cycle_and_a_wrong_direction() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    assert _area("declutter._stages.prune") == "stages"
    assert _area("declutter.bulk.sources.warc") == "bulk"
    assert _area("declutter.warc") == "warc"
    assert _area("declutter") == "api"
    assert "declutter._stages.pipeline" in GRAPH["declutter"]
    # a module reaching into another package depends on that package's __init__ too
    assert "declutter.bulk" in GRAPH["declutter.cli.arguments"]
    assert "declutter.bulk" not in GRAPH["declutter.bulk.run"]


def test_no_import_cycle() -> None:
    assert _cycles(GRAPH) == []


def test_imports_go_one_way() -> None:
    wrong = []
    for module, targets in sorted(GRAPH.items()):
        area = _area(module)
        for target in sorted(targets):
            other = _area(target)
            if other == area or (other in ALLOWED[area] and (
                area != "model" or (module, other) in EXCEPTIONS
            )):
                continue
            wrong.append(f"{module} ({area}) imports {target} ({other})")
    assert wrong == []


def test_no_module_reaches_into_another_areas_privates() -> None:
    """A name with a leading underscore is its module's own; within an area (a stage
    package, bulk) modules may share them, across areas never."""
    reached = []
    for module, path in sorted(MODULES.items()):
        for target, name, line in _imports(module, path):
            if name.startswith("_") and not name.startswith("__") and (
                _area(target) != _area(module)
            ):
                reached.append(f"{path.name}:{line} {target}.{name}")
    assert reached == []


def test_no_module_is_over_600_lines() -> None:
    long = {str(path.relative_to(PACKAGE)): n for path in MODULES.values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}
