"""A module imported when one of its attributes is first used, not when it is named.

`orjson` costs ~11 ms at every start (it imports `dataclasses`, `inspect`, `uuid`,
`datetime` and `json` to know their types), a fifth of a warm scan that finds nothing
changed, which never serialises anything. Modules on that path name it lazily:

    if TYPE_CHECKING:
        import orjson
    else:
        orjson = LazyModule("orjson")

The type checker sees the real module. At run time the first attribute looked up imports
it; each attribute is then kept on the stand-in, so later uses cost a plain attribute
lookup.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for the module `name` until an attribute is asked for (see the module)."""

    def __init__(self, name: str) -> None:
        self.__dict__["_lazy_name"] = name

    def __getattr__(self, attribute: str) -> Any:
        # Called only for attributes not yet kept here (`__dict__` is looked in first).
        value = getattr(importlib.import_module(self.__dict__["_lazy_name"]), attribute)
        self.__dict__[attribute] = value
        return value

    def __repr__(self) -> str:
        return f"<lazily imported module {self.__dict__['_lazy_name']!r}>"


__all__ = ["LazyModule"]
