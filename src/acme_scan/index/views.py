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
    __slots__ = ("data",)

    def __init__(self, data: Json) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.data!r})"


class ValueView(_View):
    __slots__ = ()

    @property
    def value(self) -> Any:
        return self.data["value"]

    @property
    def source(self) -> str:
        source: str = self.data["source"]
        return source

    @property
    def dynamic(self) -> bool:
        return bool(self.data["dynamic"])


class ParameterView(_View):
    __slots__ = ()

    @property
    def name(self) -> str:
        name: str = self.data["name"]
        return name

    @property
    def kind(self) -> str:
        kind: str = self.data["kind"]
        return kind

    @property
    def annotation(self) -> str | None:
        annotation: str | None = self.data["annotation"]
        return annotation


class FlowView(_View):
    """A flow of index data (`models.Flow` without validation)."""

    __slots__ = ()

    @property
    def framework(self) -> str:
        return str(self.data["framework"])

    @property
    def name(self) -> str | None:
        name: str | None = self.data["name"]
        return name

    @property
    def function(self) -> str | None:
        function: str | None = self.data["function"]
        return function

    @property
    def qualname(self) -> str | None:
        qualname: str | None = self.data["qualname"]
        return qualname

    @property
    def path(self) -> str:
        return str(self.data["path"])

    @property
    def form(self) -> str:
        return str(self.data["form"])

    @property
    def line(self) -> int:
        return int(self.data["line"])

    @property
    def column(self) -> int:
        return int(self.data["column"])

    @property
    def is_method(self) -> bool:
        return bool(self.data["is_method"])

    @property
    def description(self) -> str | None:
        description: str | None = self.data["description"]
        return description

    @property
    def kwargs(self) -> Mapping[str, ValueLike]:
        return {key: ValueView(value) for key, value in self.data["kwargs"].items()}

    @property
    def parameters(self) -> Sequence[ParameterLike]:
        return [ParameterView(parameter) for parameter in self.data["parameters"]]

    @property
    def parameter_schema(self) -> dict[str, Any] | None:
        schema: dict[str, Any] | None = self.data["parameter_schema"]
        return schema

    @property
    def deployable(self) -> bool:
        return bool(self.data["deployable"])
