"""The module import graph of apps/: no import circle inside any app, and domain and shared
delivery code depend one way, core ← taxonomy ← papers ← ingestion.

Built with `ast` from the source (imports inside functions count too: a lazy import that
closes a circle is still a circle). Delivery-only modules (HTML and API views, serializers,
admin, URLs, feeds, template tags, commands) may read across apps, as DESIGN.md allows.
"""

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[2] / "apps"
LAYERS = {"core": 0, "taxonomy": 1, "papers": 2, "ingestion": 3}
DELIVERY_PARTS = {"views", "serializers", "admin", "urls", "feeds", "templatetags", "management"}


def module_files(root: Path = APPS) -> dict[str, Path]:
    modules = {}
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module → the modules of `modules` it imports (`from a import b` counts a.b if it is one)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join([*base, node.module] if node.module else base)
                else:
                    module = node.module or ""
                targets.add(module)
                targets.update(f"{module}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, ()))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
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


def upward_imports(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports by domain or shared delivery code of an app above its own layer."""
    wrong = []
    for module, targets in graph.items():
        parts = module.split(".")
        if len(parts) < 2 or parts[1] not in LAYERS or DELIVERY_PARTS & set(parts[2:]):
            continue
        for target in targets:
            app = target.split(".")[1]
            if LAYERS.get(app, -1) > LAYERS[parts[1]]:
                wrong.append(f"{module} → {target}")
    return sorted(wrong)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(module_files())


def test_no_app_has_an_import_circle(graph: dict[str, set[str]]) -> None:
    for app in LAYERS:
        inside = {
            module: {t for t in targets if t.startswith(f"apps.{app}.") or t == f"apps.{app}"}
            for module, targets in graph.items()
            if module.startswith(f"apps.{app}.") or module == f"apps.{app}"
        }
        assert cycles(inside) == [], f"import circle in apps/{app}"


def test_domain_and_shared_code_depend_one_way(graph: dict[str, set[str]]) -> None:
    assert upward_imports(graph) == []


def test_the_checks_catch_a_circle_and_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: a three-module circle (one import inside a function) and a core
    helper reading papers are both reported."""
    app = tmp_path / "apps"
    for package in ("apps", "apps/ingestion", "apps/core", "apps/papers"):
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    (app / "ingestion" / "tasks.py").write_text("from apps.ingestion import engine\n")
    (app / "ingestion" / "engine.py").write_text("from apps.ingestion.services import start\n")
    (app / "ingestion" / "services.py").write_text(
        "def start():\n    from apps.ingestion.tasks import run\n"
    )
    (app / "papers" / "selectors.py").write_text("")
    (app / "core" / "permissions.py").write_text("from apps.papers.selectors import x\n")
    (app / "core" / "views.py").write_text("from apps.papers import selectors\n")

    fake = import_graph(module_files(app))

    assert cycles(fake) == [
        ["apps.ingestion.engine", "apps.ingestion.services", "apps.ingestion.tasks"]
    ]
    assert upward_imports(fake) == ["apps.core.permissions → apps.papers.selectors"]
