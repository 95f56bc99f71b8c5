"""Loggers that load `logging` only when a record can be emitted.

`import logging` (with the `traceback`, `threading`, `string` and `weakref` it imports) costs
~3-5 ms, about a twelfth of a small project's scan; a scan that goes well logs nothing. So
every module of acme_scan takes its logger from here (`logger = _log.get(__name__)`): a
`Logger` with the methods the code calls (`debug` ... `exception`), which forwards them to
`logging.getLogger(name)`, loaded on first use.

While `logging` is not loaded, nothing has configured it: no handler exists and every level
is Python's default, WARNING. A `debug` or `info` record would then be dropped, so it is
dropped without loading anything; a warning or an error loads `logging` and goes through it,
so what is emitted, and where, is what a plain `logging.getLogger(name)` does. Once
`logging` is loaded (by anyone: an application, pytest), every call goes to it.

The command line's set-up (`acme_scan.cli.configure_logging`) is given to `configure`: it
runs at once when `logging` is loaded or wanted now (`-v`), else when the first record
loads it, before that record is handled.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

#: The set-up waiting for `logging` to load (`configure`): none, or one.
_pending: list[Callable[[ModuleType], None]] = []


def configure(setup: Callable[[ModuleType], None], *, now: bool = False) -> None:
    """Run `setup(logging)` now if `logging` is loaded (or `now`), else when a logger of this
    module first loads it; a later call replaces a set-up still waiting."""
    _pending.clear()
    if now or "logging" in sys.modules:
        import logging

        setup(logging)
    else:
        _pending.append(setup)


def _load() -> ModuleType:
    import logging

    while _pending:
        _pending.pop()(logging)
    return logging


class Logger:
    """`logging.getLogger(name)`, loaded when a record can be emitted (module docstring)."""

    __slots__ = ("_logger", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: Any = None

    def _real(self) -> Any:
        logger = self._logger
        if logger is None:
            logger = self._logger = _load().getLogger(self.name)
        return logger

    def _loaded(self) -> bool:
        return self._logger is not None or "logging" in sys.modules

    def _emit(self, level: str, message: object, args: tuple[object, ...], kwargs: Any) -> None:
        # `stacklevel` + 2 (this method and its caller's): the record names the file and line
        # that logged, not this module's.
        kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 2
        getattr(self._real(), level)(message, *args, **kwargs)

    def debug(self, message: object, *args: object, **kwargs: Any) -> None:
        if self._loaded():
            self._emit("debug", message, args, kwargs)

    def info(self, message: object, *args: object, **kwargs: Any) -> None:
        if self._loaded():
            self._emit("info", message, args, kwargs)

    def warning(self, message: object, *args: object, **kwargs: Any) -> None:
        self._emit("warning", message, args, kwargs)

    def error(self, message: object, *args: object, **kwargs: Any) -> None:
        self._emit("error", message, args, kwargs)

    def exception(self, message: object, *args: object, **kwargs: Any) -> None:
        # What `Logger.exception` does; called through it, Python 3.10 counts one frame more
        # and names `_log.py` as the caller.
        kwargs.setdefault("exc_info", True)
        self._emit("error", message, args, kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} {self.name}>"


def get(name: str) -> Logger:
    """The logger of module `name` (`logging.getLogger(name)`, loaded when needed)."""
    return Logger(name)


__all__ = ["Logger", "configure", "get"]
