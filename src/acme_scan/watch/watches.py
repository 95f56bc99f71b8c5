"""A watchdog observer and its watches: one non-recursive watch per folder to watch.

Why per folder: watchdog's recursive inotify watch descends into every folder, so a
`.venv` or a `node_modules` would take thousands of inotify watches (and their events would
flood in); watching only the folders `folders.survey` keeps costs one watch per folder that
can hold scanned files. Each watch runs one emitter thread in watchdog, blocked while
nothing happens (no CPU), which is cheap for the hundreds of folders of real projects.

Watches follow the tree: `sync(top)` watches exactly the folders to watch at and below
`top`, keeping a watch while its folder is the same one (device and inode) and its emitter
runs (an emitter stops when its folder is deleted), and surveying again until nothing new
turns up (a folder created before its parent's watch existed sends no event).

Native events (inotify on Linux) are used unless polling is asked for; when the native
observer cannot start, or a watch cannot be added for lack of kernel resources, the watches
move to watchdog's polling observer (and `lost_events` tells the caller to reconcile).
Watchdog logs, and otherwise swallows, the kernel's "queue overflowed" notice; it is
forwarded to `on_overflow`.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Collection
from pathlib import Path

import watchdog.events
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from acme_scan.settings import Settings
from acme_scan.watch.folders import Identity, survey
from acme_scan.watch.hints import under

logger = logging.getLogger(__name__)

#: Attribute changes (`touch`, `chmod`): their own event since watchdog 7; watchdog 6 (the
#: newest for Python 3.10) reports them as `FileModifiedEvent`s.
_ATTRIB_EVENTS: list[type[FileSystemEvent]] = (
    [watchdog.events.FileAttribEvent] if hasattr(watchdog.events, "FileAttribEvent") else []
)
#: What the watches ask for: no opens, reads or folder-modified noise.
EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    *_ATTRIB_EVENTS,
    FileClosedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
#: Survey rounds of one sync.
_ROUNDS = 5
_OVERFLOW_LOGGER = "watchdog.observers.inotify_c"
_OVERFLOW_MESSAGE = "Inotify queue overflowed"


class Watches:
    """The observer of `root` and its per-folder watches, all sending events to `handler`."""

    def __init__(
        self,
        root: Path,
        handler: FileSystemEventHandler,
        *,
        polling: bool,
        poll_interval: float,
        on_overflow: Callable[[], None],
    ) -> None:
        self.root = root
        self.handler = handler
        self.polling = polling
        self.poll_interval = poll_interval
        #: Set when events may have been lost (the move to polling); the caller resets it.
        self.lost_events = False
        self._root = str(root)
        self._observer: BaseObserver | None = None
        self._watches: dict[str, tuple[ObservedWatch, Identity]] = {}
        self._folders: frozenset[str] = frozenset()
        self._alarm = _OverflowAlarm(on_overflow)

    @property
    def folders(self) -> frozenset[str]:
        """The folders watched now (POSIX, relative to the root; "" is the root)."""
        return self._folders

    def start(self) -> None:
        """Start the observer (no watches yet): native events unless polling, or they fail."""
        if not self.polling:
            try:
                observer = _native_observer()
                observer.start()
            except OSError as exc:
                logger.warning(
                    "cannot use native file-system events (%s); polling every %gs instead",
                    exc.strerror or exc,
                    self.poll_interval,
                )
                self.polling = True
            else:
                self._observer = observer
                logging.getLogger(_OVERFLOW_LOGGER).addHandler(self._alarm)
                return
        observer = PollingObserver(timeout=self.poll_interval)
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        """Stop the observer and all its threads (idempotent)."""
        observer, self._observer = self._observer, None
        logging.getLogger(_OVERFLOW_LOGGER).removeHandler(self._alarm)
        self._watches.clear()
        self._folders = frozenset()
        if observer is not None:
            observer.stop()
            if observer.is_alive():
                observer.join()

    def sync(
        self, top: str, settings: Settings, indexed: Collection[str], *, force: bool
    ) -> list[str]:
        """Watch exactly the folders to watch at and below `top`; return those newly watched.
        `indexed` are the files the index holds (see `folders.survey`).

        `force` drops the watches there first: for folders just created, deleted or moved, a
        watch may belong to a folder of the same name that is gone.
        """
        fresh: list[str] = []
        try:
            self._sync(top, settings, indexed, force, fresh)
        except OSError as exc:
            if self.polling:
                raise
            self._move_to_polling(exc)
            fresh.clear()
            self._sync("", settings, indexed, False, fresh)
        finally:
            self._folders = frozenset(self._watches)
        return fresh

    def _sync(
        self,
        top: str,
        settings: Settings,
        indexed: Collection[str],
        force: bool,
        fresh: list[str],
    ) -> None:
        observer = self._observer
        if observer is None:
            return
        if force:
            for rel in [rel for rel in self._watches if under(rel, top)]:
                self._unwatch(rel)
        for _ in range(_ROUNDS):
            wanted = survey(self.root, top, settings, indexed)
            running = {emitter.watch for emitter in list(observer.emitters) if emitter.is_alive()}
            for rel in [rel for rel in self._watches if under(rel, top)]:
                watch, identity = self._watches[rel]
                if wanted.get(rel) != identity or watch not in running:
                    self._unwatch(rel)
            added = [rel for rel in sorted(wanted) if rel not in self._watches]
            added = [rel for rel in added if self._watch(observer, rel, wanted[rel])]
            fresh.extend(added)
            if not added:
                return

    def _watch(self, observer: BaseObserver, rel: str, identity: Identity) -> bool:
        path = os.path.join(self._root, rel) if rel else self._root
        try:
            watch = observer.schedule(self.handler, path, recursive=False, event_filter=EVENTS)
        except (FileNotFoundError, NotADirectoryError):
            return False  # gone meanwhile: an event says so
        except PermissionError as exc:
            logger.warning("cannot watch %s: %s", rel or ".", exc.strerror or exc)
            return False
        self._watches[rel] = (watch, identity)
        logger.debug("watching %s", rel or ".")
        return True

    def _unwatch(self, rel: str) -> None:
        watch, _ = self._watches.pop(rel)
        if self._observer is not None:
            with contextlib.suppress(KeyError):
                self._observer.unschedule(watch)
        logger.debug("no longer watching %s", rel or ".")

    def _move_to_polling(self, exc: OSError) -> None:
        logger.warning(
            "cannot watch more folders with native events (%s; on Linux, raise "
            "fs.inotify.max_user_watches); polling every %gs instead",
            exc.strerror or exc,
            self.poll_interval,
        )
        self.stop()
        self.polling = True
        self.start()
        self.lost_events = True


class _OverflowAlarm(logging.Handler):
    """Watchdog's "inotify queue overflowed" warning, as a call."""

    def __init__(self, alarm: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self.alarm = alarm

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith(_OVERFLOW_MESSAGE):
            self.alarm()


def _native_observer() -> BaseObserver:
    """The platform's observer (inotify on Linux); OSError when it cannot be had."""
    from watchdog.observers import Observer

    return Observer()
