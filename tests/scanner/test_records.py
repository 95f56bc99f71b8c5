"""The scanner's record classes know their fields, as Python and compiled by mypyc.

Equality, hashing and `repr` of a record (`acme_scan._records`) read its `_fields`, taken from
the class's annotations, or from `__mypyc_attrs__` where mypyc compiled the class (it keeps no
annotations). Without them every record of a class would be equal to every other: two flows
defined in two branches would merge into one.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from acme_scan._records import Record

MODULES = sorted(
    f"acme_scan.scanner.{path.stem}"
    for path in Path(inspect.getfile(Record)).parent.joinpath("scanner").glob("*.py")
    if path.stem != "__init__"
)


def declared_fields(source: Path) -> dict[str, tuple[str, ...]]:
    """Each class's annotated names, in order (ClassVars left out), read from its source."""
    fields: dict[str, tuple[str, ...]] = {}
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            fields[node.name] = tuple(
                statement.target.id
                for statement in node.body
                if isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and "ClassVar" not in ast.unparse(statement.annotation)
            )
    return fields


@pytest.mark.parametrize("name", MODULES)
def test_each_record_class_has_its_declared_fields(name: str) -> None:
    module = importlib.import_module(name)
    source = Path(module.__file__ or "").with_name(name.rsplit(".", 1)[1] + ".py")
    declared = declared_fields(source)
    records = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Record) and value.__module__ == name
    ]
    for record in records:
        own = declared[record.__name__]
        if own:
            assert record._fields == own, record.__qualname__
            assert set(record._compare) <= set(own), record.__qualname__


def test_records_with_different_fields_differ() -> None:
    from acme_scan.scanner._symbols import Choice, Made
    from acme_scan.scanner.prefect import FlowSpec

    first = FlowSpec(None, "f", (), False, False, name="one")
    second = FlowSpec(None, "f", (), False, False, name="two")
    assert first != second
    assert Made(first) != Made(second)
    assert Made(first) == Made(first)
    assert Choice((Made(first),)) != Choice((Made(second),))
    assert "name='one'" in repr(first)
