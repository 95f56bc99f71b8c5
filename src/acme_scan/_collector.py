"""Fewer runs of the cyclic garbage collector while acme-scan does large work.

Python's collector runs its youngest generation every 700 allocations of container objects
and the older ones every 10 of those; a full collection traces every live container. A
project's index is a million of them once parsed (a 15 MB index: 15,715 flows), and a
cold scan allocates tens of thousands per module (its syntax tree). None of acme-scan's own
data holds a reference cycle (`Walker.release`; JSON data never does), so collections find
nothing and only cost time. On the 10k-file project (15,715 flows), whole processes
alternating with the commit before this module, CPU medians: `acme-scan check` 934 → 805 ms
(12 rounds), the SDK's flow listing after one file changed (the index parsed, the listing
built anew) 895 → 730 ms (8 rounds); cold scans unchanged (they raised the first threshold
to 50,000 already).

`fewer_collections()` raises the thresholds (never lowers one a caller raised) for a
block and restores them after: the command line holds it for the whole command, the SDK
for each call that may load an index, a scan while it scans. Cyclic garbage is still
collected, 200,000 allocations later at most (mypy's command line uses these thresholds).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Allocations between runs of the youngest generation, and runs of each generation between
#: runs of the next.
THRESHOLDS = (200_000, 30, 30)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The collector's thresholds raised to `THRESHOLDS` while the block runs."""
    before = gc.get_threshold()
    gc.set_threshold(*(max(now, raised) for now, raised in zip(before, THRESHOLDS, strict=True)))
    try:
        yield
    finally:
        gc.set_threshold(*before)


__all__ = ["THRESHOLDS", "fewer_collections"]
