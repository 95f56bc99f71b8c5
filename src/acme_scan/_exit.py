"""What a one-shot command leaves for the process's exit to free.

`acme-scan scan` and `acme-scan check` end with `os._exit` (`cli.console`): the process's
memory goes back to the OS at once, and no object is freed. An object whose last reference
goes away before that, when the function holding it returns, is still freed then, one
object at a time: after `check` on the 10k-file project, the ~1.7 million objects of the
index it parsed. `leave(*objects)` keeps objects alive until the exit, but only once `arm()`
was called, which the console script does for a command that ends when its work is done.
For every other caller (the SDK, the tests, `cli.main`, `acme-scan watch`) it keeps nothing.
"""

from __future__ import annotations

from typing import ClassVar


class _Kept:
    #: What `leave` was given since `arm()`; None while unarmed (nothing is kept).
    objects: ClassVar[list[object] | None] = None


def arm() -> None:
    """Keep what `leave` is given from now on, until the process ends with `os._exit`."""
    if _Kept.objects is None:
        _Kept.objects = []


def leave(*objects: object) -> None:
    """Leave `objects` for the process's exit to free, when armed; else do nothing."""
    if _Kept.objects is not None:
        _Kept.objects.extend(objects)


__all__ = ["arm", "leave"]
