"""The demo package's shape, held by tests: no function above complexity 15 (radon), a pure
simulator (no ORM, no models), a docstring on every module, no import inside a function, and
the simulator's plain strings still the models' choices and the instance's default dispositions
and ticket categories."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from radon.complexity import cc_visit

from contactcenter.agents.models import BreakReason, Role, Status
from contactcenter.core.choices import Channel, Direction
from contactcenter.demo.simulator import contacts, texts, values
from customers.models import ContactPoint
from interactions.defaults import CATEGORIES, DISPOSITIONS
from interactions.models import Priority, SurveyKind, TicketStatus

PROJECT = Path(__file__).resolve().parent.parent
DEMO = PROJECT / "contactcenter" / "demo"
MAX_COMPLEXITY = 15

#: The pure modules: the simulator, and the error it raises.
PURE = [*sorted((DEMO / "simulator").glob("*.py")), DEMO / "errors.py"]
#: What a pure module may import besides the standard library and the pure modules themselves.
PURE_MAY_IMPORT = ("faker", "phonenumbers", "django.utils.translation")
PURE_PACKAGES = ("contactcenter.demo.simulator", "contactcenter.demo.errors")


def demo_files() -> list[Path]:
    return sorted(DEMO.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def imports(path: Path, source: str | None = None) -> Iterator[tuple[int, str]]:
    """``(line, module)`` of every import of ``path`` (or of ``source`` as if it were ``path``'s
    text), relative ones resolved."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    source = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])


def functions(code: str) -> list:
    """Every function, method and closure of ``code`` as radon scores it, nested ones included
    (radon lists a class's methods beside it, but not its inner classes' nor closures)."""
    found = {}

    def walk(blocks: Iterable) -> None:
        for block in blocks:
            if hasattr(block, "closures"):  # a function or a method
                found[block.lineno, block.fullname] = block
                walk(block.closures)
            else:  # a class
                walk(block.methods)
                walk(block.inner_classes)

    walk(cc_visit(code))
    return list(found.values())


def test_no_function_of_the_demo_is_more_complex_than_15():
    too_complex = set()
    for path in demo_files():
        for function in functions(path.read_text(encoding="utf-8")):
            if function.complexity > MAX_COMPLEXITY:
                where = f"{path.relative_to(PROJECT)}:{function.lineno}"
                too_complex.add(f"{where} {function.fullname} ({function.complexity})")

    assert not too_complex, f"cyclomatic complexity above {MAX_COMPLEXITY}: " + ", ".join(sorted(too_complex))


def test_the_checker_sees_functions_methods_and_closures():
    code = """
def f(x):
    def g(y):
        return 1 if y else 2
    return g
class C:
    def m(self, a):
        return a and a > 1
    class D:
        def n(self):
            pass
"""

    assert sorted(f.fullname for f in functions(code)) == ["C.m", "D.n", "f", "g"]


def test_the_simulator_imports_neither_the_orm_nor_the_models_nor_the_writer():
    assert len(PURE) > 5
    impure = []
    for path in PURE:
        for line, name in imports(path):
            if name.split(".")[0] in sys.stdlib_module_names and name.split(".")[0] != "django":
                continue
            if within(name, PURE_MAY_IMPORT) or within(name, PURE_PACKAGES):
                continue
            impure.append(f"{path.relative_to(PROJECT)}:{line} imports {name}")

    assert not impure, "the simulator must stay pure: " + ", ".join(impure)


def test_the_import_check_resolves_relative_imports():
    path = DEMO / "simulator" / "people.py"

    assert list(imports(path, "from django.db import models\n")) == [(1, "django.db")]
    assert list(imports(path, "from ..writer import bulk\n")) == [(1, "contactcenter.demo.writer")]
    assert list(imports(path, "from . import world\n")) == [(1, "contactcenter.demo.simulator")]
    assert list(imports(path, "import kpis.models as m\n")) == [(1, "kpis.models")]


def test_every_module_of_the_demo_says_what_it_holds():
    undocumented = [
        str(path.relative_to(PROJECT))
        for path in demo_files()
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]

    assert not undocumented


def test_no_import_inside_a_function():
    nested = []
    for path in demo_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        nested.append(f"{path.relative_to(PROJECT)}:{inner.lineno}")

    assert not nested


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (values.Channel, Channel),
        (values.Direction, Direction),
        (values.Role, Role),
        (values.Status, Status),
        (values.BreakReason, BreakReason),
        (values.PointKind, ContactPoint.Kind),
        (values.Priority, Priority),
        (values.TicketStatus, TicketStatus),
        (values.SurveyKind, SurveyKind),
    ],
    ids=lambda choices: choices.__qualname__,
)
def test_the_simulators_strings_are_the_models_choices(ours, theirs):
    names = [name for name in vars(ours) if name.isupper()]

    assert names
    for name in names:
        assert theirs[name].value == getattr(ours, name), f"{ours.__name__}.{name}"


def test_the_simulators_dispositions_and_categories_are_the_instances_defaults():
    resolves = {code: flag for code, _label, flag in DISPOSITIONS}
    for choices in contacts.RESOLVING.values():
        assert all(resolves[code] for code, _weight in choices)
    assert all(resolves[code] for code, _weight in contacts.RESOLVING_DEFAULT)
    assert not any(resolves[code] for code, _weight in contacts.NOT_RESOLVING)
    assert {code for code, _weight in contacts.OUTBOUND_CONNECTED} <= set(resolves)
    assert {"wrong-number", "no-answer", "voicemail", *contacts.OPENS_TICKET, *texts.NOTES} <= set(resolves)

    categories = {name for choices in texts.CATEGORY_BY_QUEUE.values() for name, _weight in choices}
    assert categories | {"Complaint"} <= set(CATEGORIES) == set(texts.SUBJECTS)
