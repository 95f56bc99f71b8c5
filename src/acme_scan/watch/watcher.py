"""Keep a project's index file equal to what a cold scan would write, as its files change.

File-system events are hints (`hints`): the paths they name, both sides of moves, are
gathered (`batching`) until the tree has been quiet for `quiet` seconds (50 ms by default),
or for at most `max_wait` (1 s) after the first, since editors and `git checkout` change
files in bursts; then `Indexer.update` re-checks those paths on disk and decides from what
is there. So an atomic save (temporary file renamed over), a backup dance (original renamed
away, new file written, backup deleted) or a checkout of a thousand files is one pass, and
an event that says the wrong thing costs nothing as long as one names the path. A folder
created or moved in is watched first, then passed itself to `update`, which lists it: files
written in it before its watch existed are found so. What is watched: see `watches` and
`folders`.

A reconcile (a full incremental `Indexer.scan()`, then the folders surveyed again) runs when
a `.gitignore` changes, when the settings change (with a new `Indexer`), every
`reconcile_interval` seconds (60 by default; cheap: unchanged files are not read), when
watchdog reports that the kernel dropped events, and after a move to polling.

One writer (`keeper`): the index's lock (`lock.IndexLock`) is held from `start` to `stop`.
Other writers (`acme-scan scan`, `check`) still write atomically; after each pass, the
watcher checks that the index file is still the one it wrote (device, inode, size, mtime),
and if another process replaced or deleted it, writes it again from memory (when its bytes
differ). Readers come first: the index is only ever replaced whole (temporary file, fsync,
rename), and only when its bytes change.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler, FileSystemMovedEvent

from acme_scan.errors import AcmeScanError, ConfigError, RootError
from acme_scan.index.project import Indexer, ProjectScan
from acme_scan.settings import load_settings
from acme_scan.watch.batching import Batcher
from acme_scan.watch.hints import Hints, Kind, OwnFiles, classify, tops
from acme_scan.watch.keeper import IndexKeeper
from acme_scan.watch.watches import Watches

logger = logging.getLogger(__name__)

#: Set to 1 to poll instead of using the platform's file-system events.
POLLING_ENV = "ACME_SCAN_WATCH_POLLING"
DEFAULT_QUIET = 0.05
DEFAULT_MAX_WAIT = 1.0
DEFAULT_RECONCILE = 60.0
DEFAULT_POLL_INTERVAL = 1.0
#: After a failed write, the index is reconciled (and written) again this soon.
RETRY_AFTER = 5.0

Json = dict[str, Any]


@dataclass(frozen=True)
class WatchUpdate:
    """One pass of a watcher over the index.

    `generation` counts the passes (1 for the first after `start`); `paths` are the paths
    re-checked (empty for a reconcile); `reconciled` tells a reconcile ran; `added`,
    `removed` and `changed` are flow ids; `written` tells the index file was rewritten.
    """

    generation: int
    paths: tuple[str, ...]
    reconciled: bool
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    written: bool
    seconds: float


class _Handler(FileSystemEventHandler):
    def __init__(self, receive: Callable[[FileSystemEvent], None]) -> None:
        self.receive = receive

    def dispatch(self, event: FileSystemEvent) -> None:
        self.receive(event)


class Watcher:
    """Keeps the index file of `root` up to date until stopped.

    `start()` takes the index's lock (`IndexLockedError` when another watcher holds it),
    brings the index up to date, starts watching and returns that scan; `stop()` applies
    the paths already hinted, stops every thread and releases the lock; `with Watcher(root)`
    does both. After each pass over the index, `on_update` is called (in the watcher's
    thread) with a `WatchUpdate`, and `wait_until` callers re-check their condition.

    `polling` None means: poll when `ACME_SCAN_WATCH_POLLING=1`. A Watcher runs once.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        index_path: Path | None = None,
        polling: bool | None = None,
        quiet: float = DEFAULT_QUIET,
        max_wait: float = DEFAULT_MAX_WAIT,
        reconcile_interval: float = DEFAULT_RECONCILE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: Callable[[WatchUpdate], None] | None = None,
        workers: int | None = None,
    ) -> None:
        if min(quiet, max_wait, reconcile_interval) < 0 or not poll_interval > 0:
            raise ValueError("quiet, max_wait, reconcile_interval >= 0 and poll_interval > 0")
        if polling is None:
            polling = os.environ.get(POLLING_ENV, "").strip().lower() in ("1", "true", "yes")
        self._root_arg = root
        self._index_arg = Path(index_path).absolute() if index_path is not None else None
        self._polling = polling
        self.quiet = quiet
        self.max_wait = max(max_wait, quiet)
        self.reconcile_interval = reconcile_interval
        self.poll_interval = poll_interval
        self.on_update = on_update
        self.workers = workers
        #: The error that stopped the watcher on its own (None while it runs, or after stop()).
        self.error: BaseException | None = None
        #: How many passes over the index were made, and the last one.
        self.generation = 0
        self.last_update: WatchUpdate | None = None

        self._indexer: Indexer | None = None
        self._keeper: IndexKeeper | None = None
        self._watches: Watches | None = None
        self._worker: threading.Thread | None = None
        self._handler = _Handler(self._on_event)
        self._batcher = Batcher()
        self._updated = threading.Condition()  # guards generation and last_update
        self._halted = threading.Event()
        self._root_str = ""
        self._root_identity = (0, 0)
        self._own: OwnFiles | None = None

    # -- the public surface ---------------------------------------------------------------

    @property
    def indexer(self) -> Indexer:
        if self._indexer is None:
            raise RuntimeError("the watcher is not started")
        return self._indexer

    @property
    def root(self) -> Path:
        return self.indexer.root

    @property
    def index_path(self) -> Path:
        return self.indexer.index_path

    @property
    def polling(self) -> bool:
        """Whether the watcher polls (asked for, or fallen back to)."""
        return self._watches.polling if self._watches is not None else self._polling

    @property
    def watched_folders(self) -> frozenset[str]:
        """The folders watched now (POSIX, relative to the root; "" is the root)."""
        return self._watches.folders if self._watches is not None else frozenset()

    def start(self) -> ProjectScan:
        """Lock the index, bring it up to date and start watching; return that scan."""
        if self._indexer is not None:
            raise RuntimeError("a Watcher starts once")
        indexer = Indexer(self._root_arg, index_path=self._index_arg, workers=self.workers)
        self._indexer = indexer
        keeper = IndexKeeper(indexer.index_path, indexer.confined_to)
        keeper.acquire()
        self._keeper = keeper
        self._root_str = str(indexer.root)
        self._root_identity = _identity(indexer.root)
        self._own = OwnFiles(indexer.root, indexer.index_path)
        watches = Watches(
            indexer.root,
            self._handler,
            polling=self._polling,
            poll_interval=self.poll_interval,
            on_overflow=self.request_reconcile,
        )
        try:
            indexer.scan()  # before any thread starts: it may use a process pool
            self._watches = watches
            watches.start()
            watches.sync("", indexer.settings, indexer.records, force=False)
            watches.lost_events = False
            result = indexer.scan()  # what changed before the watches were in place
            keeper.guard(False, indexer.data)
            self._schedule_reconcile()
            self._worker = threading.Thread(target=self._run, name="acme-scan-watch", daemon=True)
            self._worker.start()
        except BaseException:
            watches.stop()
            keeper.release()
            self._halted.set()
            raise
        logger.info(
            "watching %s: %d folders, %s; index %s",
            indexer.root,
            len(watches.folders),
            f"polling every {self.poll_interval:g}s" if watches.polling else "native events",
            indexer.index_path,
        )
        return result

    def stop(self) -> None:
        """Apply the paths already hinted, stop watching, release the lock (idempotent)."""
        self._batcher.stop()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join()
        if self._watches is not None:
            self._watches.stop()
        if self._keeper is not None:
            self._keeper.release()
        self._halted.set()
        with self._updated:
            self._updated.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the watcher stops (`stop()`, or an error: see `error`); False on
        timeout."""
        return self._halted.wait(timeout)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Evaluate `predicate` now and after each pass over the index until it holds; False
        if it still does not after `timeout` seconds (or once the watcher stopped)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._updated:
                seen = self.generation
            if predicate():
                return True
            with self._updated:
                while self.generation == seen and not self._halted.is_set():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return predicate()
                    self._updated.wait(remaining)
            if self._halted.is_set():
                return predicate()

    def request_reconcile(self) -> None:
        """Ask for a reconcile (after the quiet period), as a dropped-events warning does."""
        self._batcher.add(Kind.RECONCILE, "")

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- events (the observer's thread) ---------------------------------------------------

    def _on_event(self, event: FileSystemEvent) -> None:
        paths = [event.src_path]
        if isinstance(event, FileSystemMovedEvent):
            paths.append(event.dest_path)
        for path in paths:
            rel = _relative(os.fsdecode(path), self._root_str) if path else None
            hint = classify(rel, event.is_directory, self._own) if rel is not None else None
            if hint is not None:
                logger.debug("hint: %s %s", hint[0].value, hint[1] or ".")
                self._batcher.add(*hint)

    # -- the watcher's thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            while (hints := self._batcher.take(self.quiet, self.max_wait)) is not None:
                self._apply(hints)
        except BaseException as exc:
            logger.debug("the watcher stops on an error", exc_info=True)
            self.error = exc
        finally:
            self._halted.set()
            with self._updated:
                self._updated.notify_all()

    def _apply(self, hints: Hints) -> None:
        started = time.perf_counter()
        if _identity(self.root) != self._root_identity:
            raise RootError(self.root, "the root folder was deleted or moved; stopping")
        watches, keeper = self._watches, self._keeper
        assert watches is not None
        assert keeper is not None
        before = self.indexer.data
        paths: tuple[str, ...] = ()
        written = False
        reconcile = hints.reconcile
        added: list[str] = []
        removed: list[str] = []
        changed: list[str] = []
        try:
            if hints.settings:
                reconcile = self._reload_settings() or reconcile
            if not reconcile:
                for top in tops(hints.folders):
                    watches.sync(top, self.indexer.settings, self.indexer.records, force=True)
                reconcile = watches.lost_events
            if reconcile:
                written = self._reconcile(watches)
                after = self.indexer.data
                if before is not None and after is not None and after is not before:
                    added, removed, changed = _diff(before, after)
            else:
                paths = tuple(sorted(hints.files | hints.folders))
                update = self.indexer.update(paths)
                written = update.written
                added, removed, changed = update.added, update.removed, update.changed
            keeper.guard(written, self.indexer.data)
        except AcmeScanError as exc:  # an unwritable index, say: tried again soon
            logger.error("%s", exc)
            keeper.forget()
            self._batcher.reconcile_within(RETRY_AFTER)
        self._log_changes(added, removed, changed, before)
        seconds = time.perf_counter() - started
        logger.debug(
            "%s in %.0f ms: +%d -%d ~%d flows; index %s",
            "reconciled" if reconcile else f"{len(paths)} paths re-checked",
            seconds * 1000,
            len(added),
            len(removed),
            len(changed),
            "written" if written else "unchanged",
        )
        with self._updated:
            self.generation += 1
            update_record = WatchUpdate(
                self.generation,
                paths,
                reconcile,
                tuple(added),
                tuple(removed),
                tuple(changed),
                written,
                seconds,
            )
            self.last_update = update_record
            self._updated.notify_all()
        if self.on_update is not None:
            try:
                self.on_update(update_record)
            except Exception:
                logger.exception("the on_update callback failed")

    def _reconcile(self, watches: Watches) -> bool:
        """A full incremental scan, then the folders surveyed again. True if written."""
        indexer = self.indexer
        # Scan first: which folders are watched depends on which files are indexed.
        written = indexer.scan().written
        fresh = watches.sync("", indexer.settings, indexer.records, force=False)
        watches.lost_events = False
        if fresh:  # files written there before their watch existed
            written = indexer.update(tops(fresh)).written or written
        self._schedule_reconcile()
        return written

    def _reload_settings(self) -> bool:
        """A new Indexer if `[tool.acme-scan]` changed (True: reconcile with it)."""
        current = self.indexer
        try:
            settings = load_settings(current.root)
        except ConfigError as exc:
            logger.error("%s; keeping the previous settings", exc)
            return False
        if settings == current.settings:
            logger.debug("pyproject.toml changed, the scan settings did not")
            return False
        if self._index_arg is None and settings.index != current.settings.index:
            logger.warning(
                "the index location changed in [tool.acme-scan]; still writing %s until "
                "`acme-scan watch` is restarted",
                current.index_path,
            )
        logger.info("the scan settings changed; rescanning")
        self._indexer = current.with_settings(settings)
        return True

    def _schedule_reconcile(self) -> None:
        self._batcher.schedule_reconcile(self.reconcile_interval)

    def _log_changes(
        self, added: list[str], removed: list[str], changed: list[str], before: Json | None
    ) -> None:
        if not (added or removed or changed) or not logger.isEnabledFor(logging.INFO):
            return
        after = _flows_by_id(self.indexer.data)
        old = _flows_by_id(before) if removed else {}
        for verb, ids, flows in (("added", added, after), ("removed", removed, old)):
            for flow_id in ids:
                logger.info("%s flow %s", verb, _describe(flows.get(flow_id), flow_id))
        for flow_id in changed:
            logger.info("changed flow %s", _describe(after.get(flow_id), flow_id))


def _relative(path: str, root: str) -> str | None:
    if path == root:
        return ""
    if path.startswith(root + os.sep):
        return path[len(root) + 1 :].replace(os.sep, "/")
    return None


def _identity(path: Path) -> tuple[int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (0, 0)
    return (info.st_dev, info.st_ino)


def _flows_by_id(data: Json | None) -> dict[str, Json]:
    return {flow["id"]: flow for flow in data["flows"]} if data is not None else {}


def _diff(before: Json, after: Json) -> tuple[list[str], list[str], list[str]]:
    old, new = _flows_by_id(before), _flows_by_id(after)
    added = [flow_id for flow_id in new if flow_id not in old]
    removed = [flow_id for flow_id in old if flow_id not in new]
    changed = [flow_id for flow_id in new if flow_id in old and new[flow_id] != old[flow_id]]
    return added, removed, changed


def _describe(flow: Json | None, flow_id: str) -> str:
    if flow is None:
        return flow_id
    name = flow["name"] if flow["name"] is not None else "<dynamic name>"
    return f"{name!r} ({flow['path']}:{flow['line']} {flow['qualname']})"
