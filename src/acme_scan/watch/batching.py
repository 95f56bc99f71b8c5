"""Event batching: the hints gathered until the tree is quiet, and when a reconcile is due.

Editors and `git checkout` change files in bursts, so the hints of events are gathered until
the tree has been quiet for `quiet` seconds, or for at most `max_wait` after the first, and
acted on as one batch. A reconcile is due every `reconcile_interval` seconds, or sooner when
asked. The observer's thread adds hints; the watcher's thread takes the batches.
"""

from __future__ import annotations

import threading
import time

from acme_scan.watch.hints import Hints, Kind


class Batcher:
    """The hints since the last batch, whether stopping, and when the next reconcile is due."""

    def __init__(self) -> None:
        self._cond = threading.Condition()  # guards _hints, _stopping, _next_reconcile
        self._hints = Hints()
        self._stopping = False
        self._next_reconcile: float | None = None

    def add(self, kind: Kind, rel: str) -> None:
        with self._cond:
            was_idle = not self._hints
            self._hints.add(kind, rel, time.monotonic())
            if was_idle:
                self._cond.notify_all()

    def stop(self) -> None:
        """The batch after this is the last: the files and folders hinted so far."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def take(self, quiet: float, max_wait: float) -> Hints | None:
        """Wait for hints to act on (quiet period, maximum wait) or a reconcile to be due;
        None when stopping with nothing left to re-check."""
        with self._cond:
            while True:
                now = time.monotonic()
                hints = self._hints
                if self._stopping:
                    self._hints = Hints()
                    if not (hints.files or hints.folders):
                        return None
                    hints.reconcile = hints.settings = False
                    return hints
                if hints:
                    due = hints.due(quiet, max_wait)
                    if now >= due:
                        self._hints = Hints()
                        return hints
                    self._cond.wait(min(due - now, threading.TIMEOUT_MAX))
                elif self._next_reconcile is not None and now >= self._next_reconcile:
                    return Hints(reconcile=True)
                else:
                    wait = None if self._next_reconcile is None else self._next_reconcile - now
                    self._cond.wait(None if wait is None else min(wait, threading.TIMEOUT_MAX))

    def schedule_reconcile(self, interval: float) -> None:
        """The next reconcile `interval` seconds from now (never, for 0)."""
        with self._cond:
            self._next_reconcile = time.monotonic() + interval if interval else None

    def reconcile_within(self, seconds: float) -> None:
        """A reconcile at the latest `seconds` from now."""
        with self._cond:
            soon = time.monotonic() + seconds
            if self._next_reconcile is None or self._next_reconcile > soon:
                self._next_reconcile = soon
