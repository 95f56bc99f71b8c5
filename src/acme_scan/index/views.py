"""Typed, read-only views of index JSON data, for consumers that need no validation.

`acme_scan.models` validates index data with pydantic, which costs ~0.17 s to import and
~40 µs per flow to validate; data this process built, or read and checked
(`store.load_raw_digest`), is valid already. A view gives the same attributes as the
model (`flow.name` for `data["name"]`), computed on access. The `...Like` protocols are
what both offer, so code typed with them (the checks of `acme_scan check`) accepts a model
or a view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

Json = dict[str, Any]


class ValueLike(Protocol):
    """A keyword argument's or default's value (`models.Value`)."""

    @property
    def value(self) -> Any: ...
    @property
    def source(self) -> str: ...
    @property
    def dynamic(self) -> bool: ...


class ParameterLike(Protocol):
    """A flow parameter (`models.Parameter`)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def annotation(self) -> str | None: ...


class FlowLike(Protocol):
    """A flow or DAG of the index (`models.Flow`): the fields the checks read."""

    @property
    def framework(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def function(self) -> str | None: ...
    @property
    def qualname(self) -> str | None: ...
    @property
    def path(self) -> str: ...
    @property
    def form(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def is_method(self) -> bool: ...
    @property
    def description(self) -> str | None: ...
    @property
    def kwargs(self) -> Mapping[str, ValueLike]: ...
    @property
    def parameters(self) -> Sequence[ParameterLike]: ...
    @property
    def parameter_schema(self) -> dict[str, Any] | None: ...
    @property
    def deployable(self) -> bool: ...


class _View:
    """A view of a JSON object: its attributes are the object's items, since the object is
    the view's `__dict__` (not copied: reading `view.name` is a dict lookup, not a call).
    What a subclass declares is what mypy checks against the protocols; a property of the
    subclass (a data descriptor) takes precedence over the item of its name."""

    def __init__(self, data: Json) -> None:
        self.__dict__ = data

    @property
    def data(self) -> Json:
        return self.__dict__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.data!r})"


class ValueView(_View):
    value: Any
    source: str
    dynamic: bool


class ParameterView(_View):
    name: str
    kind: str
    annotation: str | None


class FlowView(_View):
    """A flow of index data (`models.Flow` without validation)."""

    framework: str
    name: str | None
    function: str | None
    qualname: str | None
    path: str
    form: str
    line: int
    column: int
    is_method: bool
    description: str | None
    parameter_schema: dict[str, Any] | None
    deployable: bool

    @property
    def kwargs(self) -> Mapping[str, ValueLike]:
        return {key: ValueView(value) for key, value in self.data["kwargs"].items()}

    @property
    def parameters(self) -> Sequence[ParameterLike]:
        return [ParameterView(parameter) for parameter in self.data["parameters"]]
