"""Plain slotted record classes: what `@dataclass` would generate, written once by hand.

`dataclasses` builds each class's methods from source text at import (about a millisecond a
class) and its `__init__` of a frozen class sets every field through `object.__setattr__`;
the scanner's ~20 record classes made that a fifth of a small scan, and the six of the
settings, the codes and the index cost ~3 ms at every start of the command line. Every
record class on the scan path is written with these instead. A record here declares
its fields in `__slots__`, annotates them in order, writes its own `__init__` and inherits
the rest:

- `Record`: a dataclass's `__repr__` (`Name(field=value, ...)`, `...` on recursion), identity
  equality and hashing (`eq=False`);
- `EqRecord`: plus a dataclass's `__eq__` (same class and equal fields in order, else
  `NotImplemented`) and no hashing (`eq=True`, not frozen);
- `FrozenRecord`: plus hashing of the fields' tuple, and a `__setattr__`/`__delattr__` that
  raise `FrozenInstanceError` (`frozen=True`); its `__init__` sets fields with `_set`
  (`object.__setattr__`), and it pickles and copies as a frozen dataclass does.

`_fields` (the annotated names, in order) are the fields `__repr__` shows, `_compare` (default:
`_fields`) those equality and hashing use (a dataclass field with `compare=False` is left
out of `_compare`). `replace(record, **changes)` is `dataclasses.replace`.
"""

from __future__ import annotations

from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, ClassVar, TypeVar

#: Sets a field of a frozen record in its `__init__` (the record's own `__setattr__` raises).
_set = object.__setattr__

_R = TypeVar("_R", bound="Record")


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen record (as `dataclasses.FrozenInstanceError`)."""


class Record:
    """Base of a record class: a dataclass's repr, identity equality (`eq=False`)."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _compare: ClassVar[tuple[str, ...]] = ()
    #: The `_compare` fields' values of a record, as a tuple.
    _key: ClassVar[Any] = staticmethod(lambda record: ())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The fields in the order they are annotated (`__slots__` may be sorted).
        # (`inspect.get_annotations` would import `inspect`, a few ms at start.)
        fields = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063
        if not fields and "__mypyc_attrs__" in cls.__dict__:
            # A class compiled by mypyc keeps no annotations; it lists its attributes, in the
            # order they are declared, in `__mypyc_attrs__` (with "__dict__" when it has one).
            fields = tuple(a for a in cls.__dict__["__mypyc_attrs__"] if a != "__dict__")
        if "__slots__" in cls.__dict__ and sorted(fields) != sorted(cls.__slots__):
            raise TypeError(f"{cls.__qualname__}: __slots__ must name the annotated fields")
        if fields:
            cls._fields = fields
        if "_compare" not in cls.__dict__:
            cls._compare = cls._fields
        compare = cls._compare
        if len(compare) >= 2:
            cls._key = staticmethod(attrgetter(*compare))
        elif len(compare) == 1:
            get = attrgetter(compare[0])
            cls._key = staticmethod(lambda record: (get(record),))
        else:
            cls._key = staticmethod(lambda record: ())

    @recursive_repr()
    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({values})"


class _Compared(Record):  # noqa: PLW1641 (each subclass says whether it hashes)
    """A dataclass's `__eq__`: same class and equal `_compare` fields, else NotImplemented."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            key = self._key
            return bool(key(self) == key(other))
        return NotImplemented


class EqRecord(_Compared):
    """A record compared by its fields, unhashable (a dataclass's `eq=True`, not frozen)."""

    __slots__ = ()

    __hash__ = None  # type: ignore[assignment]


class FrozenRecord(_Compared):
    """An immutable record compared and hashed by its fields (`frozen=True`)."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._key(self))

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self._fields, state, strict=True):
            _set(self, name, value)


def replace(record: _R, **changes: Any) -> _R:
    """A copy of `record` with some fields changed (`dataclasses.replace`): its class called
    with every field by name."""
    unknown = set(changes) - set(record._fields)
    if unknown:
        raise TypeError(f"{type(record).__qualname__} has no field {sorted(unknown)[0]!r}")
    values = {name: getattr(record, name) for name in record._fields}
    return type(record)(**{**values, **changes})
