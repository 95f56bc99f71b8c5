"""Conversion between the SDK's data classes and the JSON objects the extension exchanges."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import MISSING, asdict, fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Record = TypeVar("_Record", bound="DataclassInstance")


def record_to_dict(record: DataclassInstance) -> dict[str, Any]:
    """Return `record` as a new JSON-ready dict (nested containers are copied)."""
    return {field.name: _plain(getattr(record, field.name)) for field in fields(record)}


def _plain(value: Any) -> Any:
    """A copy of JSON-like data (new dicts and lists, shared leaves): what `asdict` returns for
    these records, at a fraction of its cost (it deep-copies every leaf)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value


def record_from_dict(cls: type[_Record], data: Mapping[str, Any]) -> _Record:
    """Build a `cls` instance from `data`, ignoring keys that are not fields of `cls`.

    The extension sends back whole objects it received earlier, possibly produced by another
    SDK version, so unknown keys are dropped rather than rejected. Missing required keys raise
    `TypeError` (as calling the constructor with a missing argument does), naming every key.
    """
    init_fields = [f for f in fields(cls) if f.init]
    missing = [
        f.name
        for f in init_fields
        if f.name not in data and f.default is MISSING and f.default_factory is MISSING
    ]
    if missing:
        raise TypeError(f"{cls.__name__}.from_dict: missing required key(s): {', '.join(missing)}")
    known = {f.name for f in init_fields}
    return cls(**{key: copy.deepcopy(value) for key, value in data.items() if key in known})
