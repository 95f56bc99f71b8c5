"""One writer per index file: an exclusive lock on `<index>.lock`, next to the index.

The lock is `flock(2)` on that file, which also holds the owner's PID (for the message a
second writer gets). The kernel releases a `flock` when its process dies, however it dies,
so a lock left by a killed process is never stale: the next owner simply takes it. The
owner deletes the file when it is done; a process that opened the file just before it was
deleted notices, after locking, that its file is no longer the one at the path, and starts
over, so two owners can never each hold a lock on a different file.

`acme-scan watch` holds this lock while it runs. `acme-scan scan` and `check` do not take it:
their writes are atomic too, and the watcher notices a foreign write (see `Watcher`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from acme_scan.confined import Folder
from acme_scan.errors import IndexFileError, IndexLockedError
from acme_scan.index.store import index_folder, make_index_folder


class IndexLock:
    """The writer lock of the index file `index_path` (`acquire`/`release`, or `with`)."""

    def __init__(self, index_path: Path, confined_to: Path | None = None) -> None:
        self.index_path = index_path
        self.path = index_path.with_name(index_path.name + ".lock")
        #: The root the lock file must stay in (its path came from the repository's settings):
        #: opened without following links, in a folder reached without following links.
        self.confined_to = confined_to
        self._fd: int | None = None
        self._folder: Folder | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, or raise `IndexLockedError` (naming the owner) at once."""
        if self._fd is not None:
            return
        try:
            if self.confined_to is not None:
                self._folder = index_folder(self.confined_to, self.index_path)
            else:
                make_index_folder(self.index_path)
            while True:
                fd = self._open()
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    owner = _read_pid(fd)
                    os.close(fd)
                    raise IndexLockedError(self.index_path, owner) from None
                except BaseException:
                    os.close(fd)
                    raise
                if self._is_at(fd):
                    break
                os.close(fd)  # deleted by its previous owner meanwhile: start over
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            self._close_folder()
            raise IndexFileError(
                self.path, f"cannot create the lock file: {exc.strerror or exc}"
            ) from exc
        except BaseException:
            self._close_folder()
            raise
        self._fd = fd

    def _open(self) -> int:
        if self._folder is not None:
            return self._folder.open_lock(self.path.name)
        return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def _is_at(self, fd: int) -> bool:
        """Whether `fd` is still the file at the lock's path (not deleted or replaced)."""
        try:
            if self._folder is not None:
                current = os.stat(self.path.name, dir_fd=self._folder.fd, follow_symlinks=False)
            else:
                current = os.stat(self.path)
        except FileNotFoundError:
            return False
        return os.path.samestat(os.fstat(fd), current)

    def _close_folder(self) -> None:
        folder, self._folder = self._folder, None
        if folder is not None:
            folder.close()

    def release(self) -> None:
        """Give the lock up (deleting the lock file while still holding it)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            if self._is_at(fd):
                if self._folder is not None:
                    self._folder.unlink(self.path.name)
                else:
                    os.unlink(self.path)
        os.close(fd)
        self._close_folder()

    def __enter__(self) -> IndexLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


#: Where Linux lists every file lock of the system (`FLOCK ... WRITE <pid> <dev>:<inode>`).
PROC_LOCKS = Path("/proc/locks")


def lock_holder(index_path: Path) -> int | None:
    """The PID holding the writer lock of `index_path` (an `acme-scan watch`), else None.

    It only looks: it takes no lock, so it can never make a starting watcher fail. It reads
    `/proc/locks` (Linux) for an exclusive `flock` on the lock file; elsewhere, or when that
    cannot be read, the answer is None ("not known to be held").
    """
    lock_path = index_path.with_name(index_path.name + ".lock")
    try:
        info = os.stat(lock_path)
        table = PROC_LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    for line in table.splitlines():
        parts = line.split()
        # "<n>: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> <start> <end>"
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[3] == "WRITE" and parts[5] == device:
            return int(parts[4]) if parts[4].isdigit() else None
    return None
