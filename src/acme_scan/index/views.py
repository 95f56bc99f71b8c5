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
from typing import Any, Generic, Protocol, TypeVar, overload

Json = dict[str, Any]
T = TypeVar("T")


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
    __slots__ = ("data",)

    def __init__(self, data: Json) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.data!r})"


class _Item(Generic[T]):
    """A view's attribute: the item of its data of the same name (`view.name` is
    `view.data["name"]`), typed `T`."""

    __slots__ = ("key",)

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name

    @overload
    def __get__(self, view: None, owner: type) -> _Item[T]: ...
    @overload
    def __get__(self, view: _View, owner: type) -> T: ...
    def __get__(self, view: _View | None, owner: type) -> _Item[T] | T:
        if view is None:
            return self
        value: T = view.data[self.key]
        return value


class ValueView(_View):
    __slots__ = ()

    value = _Item[Any]()
    source = _Item[str]()
    dynamic = _Item[bool]()


class ParameterView(_View):
    __slots__ = ()

    name = _Item[str]()
    kind = _Item[str]()
    annotation = _Item[str | None]()


class FlowView(_View):
    """A flow of index data (`models.Flow` without validation)."""

    __slots__ = ()

    framework = _Item[str]()
    name = _Item[str | None]()
    function = _Item[str | None]()
    qualname = _Item[str | None]()
    path = _Item[str]()
    form = _Item[str]()
    line = _Item[int]()
    column = _Item[int]()
    is_method = _Item[bool]()
    description = _Item[str | None]()
    parameter_schema = _Item[dict[str, Any] | None]()
    deployable = _Item[bool]()

    @property
    def kwargs(self) -> Mapping[str, ValueLike]:
        return {key: ValueView(value) for key, value in self.data["kwargs"].items()}

    @property
    def parameters(self) -> Sequence[ParameterLike]:
        return [ParameterView(parameter) for parameter in self.data["parameters"]]
