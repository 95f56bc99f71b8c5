"""Files a repository chooses, kept inside its root: the index, its state, lock and temp files,
and the deploy config.

A repository is input. Its `pyproject.toml` names the index file and the deploy config, and
its tree can hold links (`.acme_scan/index.json -> ~/.bashrc`), FIFOs and devices. So every
path that comes from a repository, as opposed to one typed by the user (`-o FILE`), is:

1. checked as text (`relative_setting`): relative, without NUL, not leaving the root by
   `..`;
2. opened folder by folder from the root with `O_NOFOLLOW | O_DIRECTORY` (`Folder`): a link
   anywhere on the way, or a component that is not a folder, is refused, and missing folders
   are created only there, below the root;
3. read and written only as a regular file: opened with `O_NOFOLLOW | O_NONBLOCK` (a FIFO
   never blocks, a link at the last component is refused), and replaced by renaming a
   temporary file created in that same folder, so nothing outside the root is ever written
   through.

Everything is relative to an open descriptor of the folder (`dir_fd`), so a link swapped in
between a check and a use cannot redirect it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import BinaryIO

from acme_scan.errors import AcmeScanError

#: What a file is written from: its bytes, or pieces whose concatenation they are (written
#: one after the other, never joined: a spliced index is mostly views of the old one).
Data = bytes | Sequence[bytes | memoryview]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def size_of(data: Data) -> int:
    return len(data) if isinstance(data, bytes) else sum(len(piece) for piece in data)


def same_bytes(current: bytes, data: Data) -> bool:
    """Whether `data` is `current`, byte for byte."""
    return current == (data if isinstance(data, bytes) else b"".join(data))


def write_data(handle: BinaryIO, data: Data) -> None:
    if isinstance(data, bytes):
        handle.write(data)
    else:
        handle.writelines(data)


def temp_name(target: str) -> str:
    """A new temporary file name for `target`: `.TARGET.PID-RANDOM.tmp` (the writer's PID
    tells a later writer whether it died before renaming it)."""
    return f".{target}.{os.getpid()}-{os.urandom(6).hex()}.tmp"


def stale_temp(name: str, target: str) -> bool:
    """Whether `name` is a temporary file of `target` left by a writer no longer running."""
    prefix = f".{target}."
    if not (name.startswith(prefix) and name.endswith(".tmp")):
        return False
    pid_text, dash, _ = name[len(prefix) : -len(".tmp")].partition("-")
    if not dash or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


class OutsideRootError(AcmeScanError):
    """A path a repository chose leaves the project root, or is not a regular file/folder."""

    def __init__(self, path: os.PathLike[str] | str, message: str) -> None:
        self.path = Path(path)
        super().__init__(f"{path}: {message}")


def relative_setting(value: str) -> str | None:
    """Why `value` cannot name a file inside the root (None when it can).

    It must be a non-empty relative path, without NUL, that does not climb out with `..`.
    """
    if not value or "\0" in value:
        return "must be a non-empty path without NUL characters"
    posix = value.replace("\\", "/")
    if posix.startswith("/") or os.path.isabs(value) or (len(value) > 1 and value[1] == ":"):
        return "must be relative to the project root (an absolute path is refused)"
    parts = [part for part in PurePosixPath(posix).parts if part not in ("", ".")]
    depth = 0
    for part in parts:
        depth += -1 if part == ".." else 1
        if depth < 0:
            return "must stay inside the project root (`..` leaves it)"
    if depth == 0:
        return "must name a file inside the project root"
    return None


def relative_parts(root: Path, path: Path) -> tuple[str, ...]:
    """The components of `path` below `root`, compared as written (no links resolved).

    `OutsideRootError` when `path` is not lexically below `root`.
    """
    absolute = Path(os.path.abspath(path))
    base = Path(os.path.abspath(root))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        raise OutsideRootError(path, f"is outside the project root {base}") from None
    parts = relative.parts
    if not parts:
        raise OutsideRootError(path, "is the project root itself, not a file in it")
    return parts


def is_inside(root: Path, path: Path) -> bool:
    """Whether `path`, links resolved, is inside `root` (links resolved)."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True


class Folder:
    """An open folder below a root, reached without following any link.

    `Folder(root, path_of_a_file)` opens the file's folder; with `create=True` missing
    folders are made on the way (only below the root). Use as a context manager.
    """

    def __init__(self, root: Path, file_path: Path, *, create: bool = False) -> None:
        parts = relative_parts(root, file_path)
        self.root = root
        self.path = file_path
        self.name = parts[-1]
        self.created: list[str] = []
        self._fd = self._open(root, parts[:-1], create)

    def _open(self, root: Path, folders: tuple[str, ...], create: bool) -> int:
        try:
            fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise OutsideRootError(root, f"cannot open the project root: {_reason(exc)}") from exc
        where = root
        try:
            for part in folders:
                where = where / part
                if part == "..":
                    raise OutsideRootError(where, "leaves the project root")
                try:
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o777, dir_fd=fd)
                        self.created.append(str(where))
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise OutsideRootError(
                    where, "is a link or not a folder: refusing to follow it out of the root"
                ) from exc
            raise
        except BaseException:
            os.close(fd)
            raise
        return fd

    @property
    def fd(self) -> int:
        return self._fd

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def __enter__(self) -> Folder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def lstat(self, name: str | None = None) -> os.stat_result | None:
        """`lstat` of `name` (default: the file) in this folder; None when missing."""
        try:
            return os.stat(name or self.name, dir_fd=self._fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def read(self, name: str | None = None) -> bytes:
        """The bytes of the regular file `name` (default: the file); OSError as `open` raises.

        A link (`ELOOP`) or anything but a regular file raises `OutsideRootError`.
        """
        target = name or self.name
        try:
            fd = os.open(target, _READ_FLAGS, dir_fd=self._fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutsideRootError(
                    self.path.with_name(target), "is a link: refusing to read through it"
                ) from exc
            raise
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise OutsideRootError(self.path.with_name(target), "is not a regular file")
            return handle.read()

    def check_replaceable(self, name: str | None = None) -> None:
        """`OutsideRootError` unless `name` is missing or a regular file (not a link)."""
        current = self.lstat(name)
        if current is not None and not stat.S_ISREG(current.st_mode):
            what = "a link" if stat.S_ISLNK(current.st_mode) else "not a regular file"
            raise OutsideRootError(
                self.path.with_name(name or self.name),
                f"is {what}: refusing to write through it (remove it, or set another path)",
            )

    def write_atomic(
        self,
        data: Data,
        name: str | None = None,
        *,
        compare: bool = True,
        durable: bool = True,
    ) -> bool:
        """Replace `name` (default: the file) by `data`, atomically; False when unchanged.

        The bytes go to a new temporary file in this folder (`O_EXCL | O_NOFOLLOW`), are
        fsynced (when `durable`: the file and then this folder) and renamed over the
        target, which must be missing or a regular file. Without `compare` the caller knows
        the bytes are new (they are not compared with the file's first).
        """
        target = name or self.name
        self.check_replaceable(target)
        current = self.lstat(target)
        if compare and current is not None and current.st_size == size_of(data):
            with contextlib.suppress(OSError):
                if same_bytes(self.read(target), data):
                    return False
        self.remove_stale_temps(target)
        temp = temp_name(target)
        fd = os.open(
            temp,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o666,
            dir_fd=self._fd,
        )
        try:
            with os.fdopen(fd, "wb") as handle:
                write_data(handle, data)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            self.check_replaceable(target)
            os.replace(temp, target, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=self._fd)
            raise
        if durable:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
        return True

    def remove_stale_temps(self, target: str) -> None:
        """Delete the temporary files of `target` whose writer died (killed mid-write)."""
        with contextlib.suppress(OSError):
            for name in os.listdir(self._fd):
                if stale_temp(name, target):
                    with contextlib.suppress(OSError):
                        os.unlink(name, dir_fd=self._fd)

    def write_new(self, name: str, data: bytes) -> None:
        """Create `name` with `data` unless something already has that name."""
        with contextlib.suppress(FileExistsError):
            fd = os.open(
                name,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o666,
                dir_fd=self._fd,
            )
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)

    def open_lock(self, name: str) -> int:
        """Open (creating) the regular file `name` for reading and writing, never via a link."""
        try:
            fd = os.open(
                name,
                os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                0o644,
                dir_fd=self._fd,
            )
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutsideRootError(
                    self.path.with_name(name), "is a link: refusing to open it"
                ) from exc
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OutsideRootError(self.path.with_name(name), "is not a regular file")
        return fd

    def unlink(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self._fd)


def read_confined(root: Path, path: Path) -> bytes:
    """The bytes of the regular file `path` below `root`, reached without following links."""
    with Folder(root, path) as folder:
        return folder.read()


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
