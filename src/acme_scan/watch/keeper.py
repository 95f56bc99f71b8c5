"""One writer: the index's lock, and the index file kept as this writer last wrote it.

The lock (`lock.IndexLock`) is held from the watcher's start to its stop. Other writers
(`acme-scan scan`, `check`) still write atomically; after each pass, the keeper checks that
the index file is still the one it wrote (device, inode, size, mtime), and if another
process replaced or deleted it, writes it again from memory (when its bytes differ).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from acme_scan.index.store import dump_raw, write_raw
from acme_scan.watch.lock import IndexLock

logger = logging.getLogger(__name__)


class IndexKeeper:
    """The lock of `index_path` (`acquire`/`release`) and the check of its file (`guard`)."""

    def __init__(self, index_path: Path, confined_to: Path | None) -> None:
        self.index_path = index_path
        self.confined_to = confined_to
        self.lock = IndexLock(index_path, confined_to)
        self._key: tuple[int, ...] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise `IndexLockedError` (naming the owner) at once."""
        self.lock.acquire()

    def release(self) -> None:
        self.lock.release()

    def guard(self, written: bool, data: dict[str, Any] | None) -> None:
        """Make sure the index file is still the one written last (`written`: just now);
        else write `data` again."""
        key = _file_key(self.index_path)
        if not written and (key is None or key != self._key):
            assert data is not None
            if write_raw(dump_raw(data), self.index_path, self.confined_to, durable=False):
                logger.info("the index file was replaced or deleted by another process: rewrote it")
            key = _file_key(self.index_path)
        self._key = key

    def forget(self) -> None:
        """After a failed write: the next `guard` writes the file whatever it holds now."""
        self._key = None


def _file_key(path: Path) -> tuple[int, ...] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
