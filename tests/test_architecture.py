"""The import arrows, read from the source with ``ast``: no cycle, and nothing points the wrong way.

Every ``import`` counts — at module level, inside functions, and under ``TYPE_CHECKING`` — since a cycle
hidden in a function is still two modules that cannot be understood (or changed) one at a time. The rules:

* ``core`` imports no platform library (discord, slack_sdk, slack_bolt), no ``adapters`` and no ``bot``;
* ``adapters`` import no ``bot`` (the composition root builds them, not the other way round), and one
  adapter never imports another (``adapters.host`` and ``adapters.<x>.config`` are the shared ground);
* ``sandbox`` (it ships as the embedded default) imports no ``adapters`` and no ``bot``;
* no cycle among the project's modules. A package's ``__init__`` re-exporting its submodules is part of
  the graph like any module, so a submodule importing its own package's ``__init__`` is a cycle too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "adapters", "bot", "sandbox")
PLATFORM_LIBRARIES = ("discord", "slack_sdk", "slack_bolt")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imported(name: str, path: Path) -> Iterator[str]:
    """Every module name ``name`` (at ``path``) imports, as written (absolute)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            for alias in node.names:
                # ``from core.dashscope import reconcile`` imports the submodule; a name is the module's.
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in MODULES else base


def _project_target(imported: str) -> str | None:
    """The project module an import lands in (``core.store.JobStore`` → ``core.store``), if any."""
    parts = imported.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for imported in _imported(name, path):
            target = _project_target(imported)
            if target is not None and target != name:
                edges[name].add(target)
    return edges


def raw_imports() -> dict[str, set[str]]:
    return {name: set(_imported(name, path)) for name, path in MODULES.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


#: What each top-level package may never import.
FORBIDDEN = {
    "core": (*PLATFORM_LIBRARIES, "adapters", "bot"),
    "adapters": ("bot",),
    "sandbox": ("adapters", "bot"),
}


def _crosses_adapters(name: str, target: str) -> bool:
    """One adapter importing another's module (the shared ``adapters.host`` and configs are fine)."""
    if _top(name) != "adapters" or _top(target) != "adapters":
        return False
    mine, theirs = name.split(".")[1:2], target.split(".")[1:2]
    shared = theirs in (["host"], []) or target.endswith(".config") or mine == ["host"]
    return mine != theirs and not shared


def _violations() -> list[str]:
    bad = []
    for name, imported in raw_imports().items():
        for target in sorted({_project_target(i) or i for i in imported}):
            if _top(target) in FORBIDDEN.get(_top(name), ()) or _crosses_adapters(name, target):
                bad.append(f"{name} imports {target}")
    return bad


def test_no_module_imports_against_the_arrows() -> None:
    assert _violations() == []


def test_there_is_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_checks_see_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from b import B\n"
        "def f():\n    from .c import C\n    import d.e\n"
    )
    path = tmp_path / "a.py"
    path.write_text(source, encoding="utf-8")
    seen = set(_imported("core.x.a", path))
    assert {"b", "core.x.c", "d.e"} <= seen
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


#: What only the core decides: reading the store, pricing, permissions, seeds, the engine itself.
BUSINESS_NAMES = {"store", "estimated_cost", "authorize", "randbelow", "recent_for_user", "usage_totals",
                  "JobStore", "Engine", "checks_for"}
BUSINESS_MODULES = ("core.store", "core.budget", "core.engine", "core.jobbook", "core.creates", "core.ledger")


def _business_rules_in(name: str, path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in BUSINESS_NAMES:
            found.append(f"{name}:{node.lineno} uses .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in BUSINESS_NAMES:
            found.append(f"{name}:{node.lineno} uses {node.id}")
    for imported in _imported(name, path):
        if imported.startswith(BUSINESS_MODULES):
            found.append(f"{name} imports {imported}")
    return found


def test_adapters_hold_no_business_rules() -> None:
    """Adapters parse, call ``core.actions`` and render: they never read the store, price a request, check
    a permission, pick a seed or touch the engine (a reviewer's grep, made a test)."""
    found = [hit for name, path in MODULES.items() if _top(name) == "adapters"
             for hit in _business_rules_in(name, path)]
    assert found == []
