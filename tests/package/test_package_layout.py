"""The package's rooms (api, notebook, portal, monitoring, network, patterns, runtime) import
each other without a circle, and the runtime code imports no CDK."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "constructs" / "sagemaker_notebook_access"
ROOMS = ("api", "monitoring", "network", "notebook", "patterns", "portal", "runtime")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_at_load(path: Path) -> set[str]:
    """The package modules ``path`` imports when it loads: module-level imports only (not
    under ``if TYPE_CHECKING:`` and not inside functions, which run later)."""
    me = module_name(path).split(".")
    package = me if path.name == "__init__.py" else me[:-1]
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(target)
            if not node.module:
                found.update(f"{target}.{alias.name}".strip(".") for alias in node.names)
    return {name for name in found if name and not name.startswith("lambda_src")}


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if module_name(p)}
    return {
        name: {t for t in imports_at_load(path) if t in modules} for name, path in modules.items()
    }


def cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, ()):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_the_graph_sees_the_rooms():
    edges = graph()
    assert {name.split(".")[0] for name in edges} >= set(ROOMS)
    assert "api.presigned_url_api" in edges and "notebook.instance" in edges["api.served_notebooks"]


def test_no_module_imports_itself_back():
    edges = graph()
    cycles = [c for c in (cycle_from(name, edges) for name in edges) if c]
    assert cycles == []


def test_monitoring_builds_on_no_construct_it_measures():
    """Metrics are composed into the API and the notebook, not mixed in: the factories know
    their host by duck typing, so monitoring imports neither."""
    measured = {"api.presigned_url_api", "notebook.instance", "patterns.restricted_notebook"}
    edges = graph()
    for name, targets in edges.items():
        if name.startswith("monitoring."):
            assert not targets & measured, name


def test_the_checker_and_the_client_import_no_cdk():
    """The checker runs on the notebook (Python 3.9, no CDK); the client must start fast."""
    for path in (PACKAGE / "runtime").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module and not node.level
        }
        assert not names & {"aws_cdk", "constructs", "jsii"}, path.name


def test_the_cycle_check_has_teeth():
    assert cycle_from("a", {"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_from("a", {"a": {"b"}, "b": set()}) is None


# ---------------------------------------------------------------- sizes

LIBRARY_ROOTS = (REPO_ROOT / "constructs", REPO_ROOT / "lambda")
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 300
MAX_FUNCTION_LINES = 60


def oversized(path: Path, source: str) -> list[str]:
    """What in ``source`` is over the limits: the module's lines, each class's and each
    function's (from its ``def``/``class`` line, decorators not counted, to its last line)."""
    found = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{path}: module {lines} lines > {MAX_MODULE_LINES}")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            limit, kind = MAX_CLASS_LINES, "class"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            limit, kind = MAX_FUNCTION_LINES, "function"
        else:
            continue
        size = node.end_lineno - node.lineno + 1
        if size > limit:
            found.append(f"{path}:{node.lineno}: {kind} {node.name} {size} lines > {limit}")
    return found


def test_no_library_module_class_or_function_is_over_its_size():
    """~400 lines a module, 300 a class, 60 a function, in constructs/ and lambda/."""
    found = [
        problem
        for root in LIBRARY_ROOTS
        for path in sorted(root.rglob("*.py"))
        for problem in oversized(path.relative_to(REPO_ROOT), path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_size_check_has_teeth():
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    source = f"def long():\n{body}\n\n\ndef short():\n    return 1\n"
    assert oversized(Path("m.py"), source) == ["m.py:1: function long 61 lines > 60"]
    methods = "\n".join(f"    def m{i}(self):\n        return {i}" for i in range(150))
    assert oversized(Path("c.py"), f"class Big:\n{methods}\n") == [
        "c.py:1: class Big 301 lines > 300"
    ]
    assert oversized(Path("n.py"), "x = 1\n" * 401) == ["n.py: module 401 lines > 400"]
    assert oversized(Path("ok.py"), "x = 1\n" * 400) == []


def test_every_room_is_a_package_the_wheel_ships():
    # pyproject.toml lists the packages by name: a new room left out of it is missing from
    # the wheel (the hub and spoke rooms once were; tests/package/test_wheel.py caught it late).
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    rooms = {
        "sagemaker_notebook_access." + init.parent.name
        for init in (REPO_ROOT / "constructs" / "sagemaker_notebook_access").glob("*/__init__.py")
    }
    assert rooms <= listed, sorted(rooms - listed)
