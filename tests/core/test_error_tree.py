"""The error tree drawn in ``core/errors.py``'s docstring is the real one.

Every ``WanbotError`` subclass of the project (core, adapters, bot, sandbox) must be drawn, under its
real parent, in its real module: a line's ``(module)``, else its parent's module (``core.errors`` at the root).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import core.errors
from core.errors import WanbotError

PACKAGES = ("core", "adapters", "bot", "sandbox")
#: One drawn class: the tree's branch, then the name, then an optional ``(module)``.
_NODE = re.compile(r"^(?P<lead>(?:[│ ]   )*)(?:[├└]── )?(?P<name>[A-Z]\w*)(?:\s+\((?P<module>[a-z_][\w.]*)\))?")


@dataclass(frozen=True)
class Drawn:
    name: str
    parent: str | None
    module: str


def drawn_tree(doc: str) -> dict[str, Drawn]:
    """Parse the ``::`` block of ``doc``: one class per ``├──``/``└──`` line, depth from its column."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith("::")) + 2
    tree: dict[str, Drawn] = {}
    path: list[str] = []
    for line in lines[start:]:
        if not line.strip():
            break
        body = line[4:]  # the block is indented by four spaces
        if "── " not in body and path:
            continue  # a continuation line of the description above
        found = _NODE.match(body)
        assert found, f"cannot read this line of the drawn tree: {line!r}"
        depth = len(found["lead"]) // 4 + (1 if "── " in body else 0)
        name = found["name"]
        assert name not in tree, f"{name} is drawn twice"
        assert depth <= len(path), f"{name} is drawn deeper than a child of the line above"
        del path[depth:]
        parent = tree[path[-1]] if path else None
        module = found["module"] or (parent.module if parent else "core.errors")  # a child lives with its parent
        tree[name] = Drawn(name, parent.name if parent else None, module)
        path.append(name)
    return tree


def project_modules() -> Iterator[str]:
    for package in PACKAGES:
        root = importlib.import_module(package)
        yield package
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if info.name.rsplit(".", 1)[-1] != "__main__":  # running it would start the bot
                yield info.name


def real_tree() -> dict[str, type[WanbotError]]:
    for name in project_modules():
        importlib.import_module(name)
    found: dict[str, type[WanbotError]] = {}
    stack: list[type[WanbotError]] = [WanbotError]
    while stack:
        cls = stack.pop()
        if cls.__module__.split(".")[0] in PACKAGES:
            assert cls.__name__ not in found or found[cls.__name__] is cls, f"two classes named {cls.__name__}"
            found[cls.__name__] = cls
        stack.extend(cls.__subclasses__())
    return found


def wanbot_parent(cls: type[WanbotError]) -> str | None:
    if cls is WanbotError:
        return None
    parents = [base for base in cls.__bases__ if issubclass(base, WanbotError)]
    assert len(parents) == 1, f"{cls.__name__} has {len(parents)} WanbotError bases: the tree cannot draw it"
    return parents[0].__name__


def problems(drawn: dict[str, Drawn], real: dict[str, type[WanbotError]]) -> list[str]:
    found = [f"{name} is not drawn" for name in sorted(set(real) - set(drawn))]
    found += [f"{name} is drawn but does not exist" for name in sorted(set(drawn) - set(real))]
    for name in sorted(set(real) & set(drawn)):
        cls = real[name]
        if drawn[name].parent != wanbot_parent(cls):
            found.append(f"{name} is drawn under {drawn[name].parent}, not {wanbot_parent(cls)}")
        if drawn[name].module != cls.__module__:
            found.append(f"{name} is drawn in {drawn[name].module}, not {cls.__module__}")
    return found


def the_doc() -> str:
    assert core.errors.__doc__ is not None
    return core.errors.__doc__


def test_every_error_class_is_drawn_under_its_parent_and_module() -> None:
    real = real_tree()
    assert len(real) > 20  # the walk found the tree, not just the root
    assert problems(drawn_tree(the_doc()), real) == []


@pytest.mark.parametrize(("edit", "problem"), [
    (("    │   └── ResultDenied", "    │   │   └── ResultDenied"),
     "ResultDenied is drawn under ResultExpired, not DownloadError"),
    (("    │   └── NotYourJob", "    ├── NotYourJob"), "NotYourJob is drawn under WanbotError, not ActionRefused"),
    (("(core.budget) ", ""), "BudgetExceeded is drawn in core.errors, not core.budget"),
    (("    │   └── CannotFit", "    │   └── CannotFitAnything"), "CannotFit is not drawn"),
])
def test_a_wrong_drawing_is_reported(edit: tuple[str, str], problem: str) -> None:
    old, new = edit
    assert old in the_doc()
    reported = problems(drawn_tree(the_doc().replace(old, new, 1)), real_tree())
    assert any(line.startswith(problem) for line in reported), reported


DOC = """Errors.

Tree::

    WanbotError              root
    ├── QuotaExceeded        a cap
    │   │                    (a continuation line)
    │   └── UserCapReached   UserCap
    └── StoreError           (core.store.errors) the store
        └── StaleJob         a child lives with its parent

After.
"""


def test_the_drawing_is_parsed_by_depth() -> None:
    assert drawn_tree(DOC) == {
        "WanbotError": Drawn("WanbotError", None, "core.errors"),
        "QuotaExceeded": Drawn("QuotaExceeded", "WanbotError", "core.errors"),
        "UserCapReached": Drawn("UserCapReached", "QuotaExceeded", "core.errors"),
        "StoreError": Drawn("StoreError", "WanbotError", "core.store.errors"),
        "StaleJob": Drawn("StaleJob", "StoreError", "core.store.errors"),
    }
