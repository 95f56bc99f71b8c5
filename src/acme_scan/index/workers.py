"""Loading and scanning files, inline or across a process pool.

A job names a file and the hash its index record had; its outcome is a frozen, picklable
value: the new record and flows, or `record=None` when the bytes hash as before. OS errors
become AS003 diagnostics and scanner bugs AS000 diagnostics here, so one bad file never
aborts the run.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from stat import S_ISREG
from typing import Any, NamedTuple

from acme_scan import _log, codes
from acme_scan._collector import fewer_collections
from acme_scan._hashes import blake2b
from acme_scan.index.store import Segments, path_segments

logger = _log.get(__name__)

#: Below this many bytes of source to scan, a pool costs more than it saves. Cold scans of
#: the synthetic corpus, in process against two workers (median of 7, 2 cores): 32 KB
#: 0.05 s against 0.08 s, 98 KB even, 163 KB 0.14 s against 0.11 s, 326 KB 0.45 s against
#: 0.29 s.
POOL_MIN_BYTES = 120_000
#: Bytes of source a worker handles per round trip, at most (chunks keep both cores busy to
#: the end).
CHUNK_BYTES = 256_000
#: At most this many files per round trip.
CHUNK_FILES = 256
#: At least this many chunks per worker, when chunks of CHUNK_BYTES would be fewer: 80 large
#: modules in 256 KB chunks make 7 chunks for 2 workers, and the last one leaves a core idle.
CHUNKS_PER_WORKER = 8
#: Chunks are never smaller than this (each round trip costs about what 2 KB of parsing does).
MIN_CHUNK_BYTES = 16_000
#: Chunks per worker, at the end, cut in quarters (`_chunks`).
TAPERED = 2


# Jobs and outcomes cross the process boundary by the thousand: tuples pickle at a third
# of a dataclass's cost.
class Job(NamedTuple):
    """A file to scan: its path, the hash its record had, and its size when listed (when
    `unchecked`, an estimate: the file was not stat-ed by the caller)."""

    rel: str
    old_hash: str | None
    size: int = 0
    #: The caller has not stat-ed the file: it is stat-ed where it is scanned (in a worker,
    #: beside the others), and dropped (`gone`) when it is missing or not a regular file,
    #: as the caller's stat would have dropped it.
    unchecked: bool = False


class Outcome(NamedTuple):
    """A scanned file: its file record and flows as index JSON data (None: bytes unchanged)."""

    rel: str
    size: int
    mtime_ns: int
    record: dict[str, Any] | None
    flows: tuple[dict[str, Any], ...] = ()
    #: The record's and flows' bytes in the index (made where the file was scanned).
    segments: Segments | None = None
    #: An `unchecked` job's file is missing or not a regular file: it has no record.
    gone: bool = False

    @classmethod
    def of(
        cls, rel: str, size: int, mtime_ns: int, record: dict[str, Any], flows: tuple[Any, ...] = ()
    ) -> Outcome:
        return cls(rel, size, mtime_ns, record, flows, path_segments(rel, record, flows))


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def stats_under(root: str | os.PathLike[str]) -> Iterator[Callable[[str], os.stat_result]]:
    """`os.stat` of paths relative to `root`, for a loop over a project's files: through a
    descriptor of `root` where the OS allows it, so that the kernel resolves only the
    relative part (10,000 stats: 28 ms against 45 ms with the root joined to each path)."""
    folder = os.fspath(root)
    with _folder_fd(folder, os.stat in os.supports_dir_fd) as fd:
        if fd is None:
            prefix = os.path.join(folder, "")
            yield lambda rel: os.stat(prefix + rel)
        else:
            yield functools.partial(os.stat, dir_fd=fd)


_AT_ROOT = os.open in os.supports_dir_fd and os.stat in os.supports_dir_fd


def root_folder(root: str | os.PathLike[str]) -> contextlib.AbstractContextManager[int | None]:
    """A descriptor of the folder `root` for the block, to open (and stat) files relative to
    it; None where the OS has no `dir_fd` for `open` and `stat`, or `root` cannot be opened
    (files are then opened by their full path, and fail as they would)."""
    return _folder_fd(root, _AT_ROOT)


@contextlib.contextmanager
def _folder_fd(root: str | os.PathLike[str], usable: bool) -> Iterator[int | None]:
    """A descriptor of the folder `root` while the block runs, when `usable` (the OS takes
    `dir_fd` for the calls it is for) and it can be opened; else None."""
    fd = None
    if usable:
        with contextlib.suppress(OSError):
            fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


def file_digest(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


#: Files larger than this are not read (AS003): no hand-written module is this large, and a
#: generated one of 50 MB would cost gigabytes of memory to parse.
MAX_FILE_BYTES = 10 * 1024 * 1024


_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _read(full: str, root_fd: int | None = None, rel: str = "") -> tuple[os.stat_result, bytes]:
    """The bytes of a regular file (`full`, or `rel` in the folder open as `root_fd`).
    Opened with O_NONBLOCK, so a FIFO (or device) swapped in after discovery's stat never
    blocks; `fstat` of what was opened then refuses it."""
    if root_fd is None:
        fd = os.open(full, _READ_FLAGS)
    else:
        # The kernel resolves only the relative part: 10,000 opens take 30 ms, not 45.
        fd = os.open(rel, _READ_FLAGS, dir_fd=root_fd)
    try:
        info = os.fstat(fd)
        if not S_ISREG(info.st_mode):
            raise _Refused("not a regular file (a FIFO, device or socket is never read)", info)
        if info.st_size > MAX_FILE_BYTES:
            raise _Refused(
                f"{info.st_size:,} bytes, larger than the limit of {MAX_FILE_BYTES:,}: "
                "not read (a generated file?); exclude it",
                info,
            )
        # Read what the size promises, plus one byte to see the end: a buffered read of
        # the limit would allocate 10 MB per file (nine-tenths of the reading time). A
        # read that returns exactly the promised size, short of the byte asked beyond it,
        # ended at the end of the file: no second read (of 64 KB) to be told so.
        size = info.st_size
        first = os.read(fd, size + 1)
        if len(first) == size:
            return info, first
        parts: list[bytes] = [first] if first else []
        total = len(first)
        if total > MAX_FILE_BYTES:
            raise _Refused(f"grew past the limit of {MAX_FILE_BYTES:,} bytes while read", info)
        while part := os.read(fd, min(1 << 16, MAX_FILE_BYTES + 1 - total)):
            parts.append(part)
            total += len(part)
            if total > MAX_FILE_BYTES:
                raise _Refused(f"grew past the limit of {MAX_FILE_BYTES:,} bytes while read", info)
        return info, parts[0] if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)


class _Refused(Exception):
    """A file that is not read, and why; `info` is what `fstat` said of it."""

    def __init__(self, why: str, info: os.stat_result) -> None:
        super().__init__(why)
        self.info = info


def load_and_scan(
    root: str | os.PathLike[str],
    job: Job,
    prefilter: bool,
    frameworks: Sequence[str] | None = None,
    flows: bool = True,
    root_fd: int | None = None,
) -> Outcome:
    """Read and scan one file. Without `flows`, the outcome carries its flows only as their
    bytes in the index (`segments`): what a full scan needs, and cheap to send back.
    `root_fd`: `root` open as a folder (`root_folder`), to open the file relative to it."""
    full = os.path.join(root, job.rel)
    if job.unchecked:
        try:
            info = os.stat(job.rel, dir_fd=root_fd) if root_fd is not None else os.stat(full)
        except (FileNotFoundError, NotADirectoryError):
            return Outcome(job.rel, 0, 0, None, gone=True)
        except OSError as exc:
            return Outcome.of(job.rel, 0, 0, unreadable(job.rel, exc))
        if not S_ISREG(info.st_mode):  # never opened: a FIFO or device is not touched
            return Outcome(job.rel, 0, 0, None, gone=True)
    try:
        stat, data = _read(full, root_fd, job.rel)
    except _Refused as refused:
        # Its size and mtime: the file is refused again only once it changes (an unreadable
        # file keeps 0s, so a permission fix, which changes neither, is still seen).
        info = refused.info
        record = _failed(job.rel, codes.UNREADABLE, str(refused))
        return Outcome.of(job.rel, info.st_size, info.st_mtime_ns, record)
    except OSError as exc:
        return Outcome.of(job.rel, 0, 0, unreadable(job.rel, exc))
    digest = file_digest(data)
    if job.old_hash == digest:
        return Outcome(job.rel, len(data), stat.st_mtime_ns, None)
    from acme_scan.scanner import scan_data  # the scanner is loaded only when needed

    try:
        result = scan_data(data, job.rel, prefilter=prefilter, frameworks=frameworks)
    except Exception as exc:  # a bug in the scanner must not cost the rest of the project
        logger.exception("internal error while scanning %s", job.rel)
        message = f"acme-scan failed on this file ({type(exc).__name__}: {exc}); please report it"
        record = _record(len(data), digest, "failed", [], [])
        record["diagnostics"] = [_diagnostic(job.rel, codes.INTERNAL, message)]
        return Outcome.of(job.rel, len(data), stat.st_mtime_ns, record)
    found = tuple(result["flows"])
    record = _record(
        len(data),
        digest,
        result["status"],
        [flow["id"] for flow in found],
        result["diagnostics"],
    )
    outcome = Outcome.of(job.rel, len(data), stat.st_mtime_ns, record, found)
    if not flows and outcome.segments is not None:
        return Outcome(outcome.rel, outcome.size, outcome.mtime_ns, record, (), outcome.segments)
    return outcome


def _record(
    size: int,
    digest: str,
    status: str,
    flows: list[str],
    diagnostics: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "size": size,
        "hash": digest,
        "status": status,
        "flows": flows,
        "diagnostics": diagnostics,
    }


def _diagnostic(rel: str, code: codes.Code, message: str) -> dict[str, Any]:
    return {
        "path": rel,
        "line": 0,
        "column": 0,
        "code": code.code,
        "severity": code.severity,
        "message": message,
    }


def unreadable(rel: str, exc: OSError) -> dict[str, Any]:
    """The file record of a file that cannot be read (AS003), saying why."""
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        message = "the file vanished while it was scanned (deleted or renamed meanwhile)"
    elif exc.errno == errno.ELOOP:
        message = "cannot read the file: a symbolic link loop"
    elif isinstance(exc, PermissionError):
        message = f"cannot read the file: {exc.strerror or exc}; check its permissions"
    else:
        message = f"cannot read the file: {exc.strerror or exc}"
    return _failed(rel, codes.UNREADABLE, message)


def index_key(rel: str) -> str:
    """`rel` as the index names it: a name that is not valid UTF-8 (undecodable bytes, kept
    by the OS as surrogate escapes) is shown with `\\xNN` escapes."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "backslashreplace")
    return rel


def bad_name(key: str) -> dict[str, Any]:
    """The record of a file whose name is not valid UTF-8 (AS003: not scanned)."""
    message = (
        "the file name is not valid UTF-8 (shown with \\x escapes): no entrypoint can name "
        "it, so it is not scanned; rename it"
    )
    return _failed(key, codes.UNREADABLE, message)


def unlistable(key: str, why: str) -> dict[str, Any]:
    """The record of a folder that cannot be listed (AS003): its files are not scanned."""
    message = f"cannot list this folder: {why}; the files in it are not scanned"
    return _failed(key, codes.UNREADABLE, message)


def _failed(rel: str, code: codes.Code, message: str) -> dict[str, Any]:
    record = _record(0, "", "failed", [], [])
    record["diagnostics"] = [_diagnostic(rel, code, message)]
    return record


def _crashed(job: Job, how: str) -> Outcome:
    """The outcome of a file whose scan killed the process scanning it (AS000)."""
    message = f"acme-scan's worker process died scanning this file ({how}); please report it"
    return Outcome.of(job.rel, 0, 0, _failed(job.rel, codes.INTERNAL, message))


def _can_fork() -> bool:
    """Workers are forked: they inherit the loaded scanner and never re-run the caller's
    `__main__` (the extension's runner script, say), as spawned workers would. Forking a
    process that runs other threads is unsafe, so then the scan stays in this process."""
    # Every thread but the main one is started through `threading` (or registers with it
    # when it calls it): while `threading` is not loaded, none runs (and it is not loaded
    # just to ask, ~0.6 ms at start).
    threading = sys.modules.get("threading")
    return hasattr(os, "fork") and (threading is None or threading.active_count() == 1)


def _scan_chunk(
    root: str | os.PathLike[str],
    jobs: Sequence[Job],
    prefilter: bool,
    frameworks: Sequence[str] | None,
    flows: bool = True,
) -> list[Outcome]:
    from acme_scan.scanner._parse import warnings_ignored

    # One warnings context and one descriptor of the root for the chunk, not one per file.
    with warnings_ignored(), root_folder(root) as fd:
        return [load_and_scan(root, job, prefilter, frameworks, flows, fd) for job in jobs]


def _chunks(jobs: Sequence[Job], workers: int = 1) -> list[Sequence[Job]]:
    """`jobs` in order, cut into round trips of at most CHUNK_BYTES and CHUNK_FILES, and
    small enough that each of `workers` gets CHUNKS_PER_WORKER of them."""
    total = sum(job.size for job in jobs)
    limit = max(MIN_CHUNK_BYTES, min(CHUNK_BYTES, total // (workers * CHUNKS_PER_WORKER)))
    chunks: list[Sequence[Job]] = []
    start = size = 0
    for index, job in enumerate(jobs):
        size += job.size
        if size >= limit or index + 1 - start >= CHUNK_FILES:
            chunks.append(jobs[start : index + 1])
            start, size = index + 1, 0
    if start < len(jobs):
        chunks.append(jobs[start:])
    if workers > 1 and len(chunks) > TAPERED * workers:
        # The last chunks cut in quarters: when one worker has sent its last result, the
        # other is at most about a quarter chunk from its end, not up to a chunk.
        tail = [part for chunk in chunks[-TAPERED * workers :] for part in _quarters(chunk)]
        chunks[-TAPERED * workers :] = tail
    return chunks


def _quarters(chunk: Sequence[Job]) -> list[Sequence[Job]]:
    """`chunk` cut into (up to) four runs of about equal bytes, in order."""
    total = sum(job.size for job in chunk)
    parts: list[Sequence[Job]] = []
    start = size = 0
    for index, job in enumerate(chunk):
        size += job.size
        if size * 4 >= total * (len(parts) + 1) and len(parts) < 3:
            parts.append(chunk[start : index + 1])
            start = index + 1
    if start < len(chunk):
        parts.append(chunk[start:])
    return parts


def pool_pays(size: int) -> bool:
    """Whether `size` bytes of source to scan pay for a process pool."""
    return size >= POOL_MIN_BYTES


def may_pool(jobs: Sequence[Job]) -> bool:
    """Whether `run_jobs` may scan `jobs` in a process pool: when their bytes pay for one
    (and the process runs no other thread then, so that it can fork)."""
    return pool_pays(sum(job.size for job in jobs))


def run_jobs(
    root: Path,
    jobs: Sequence[Job],
    prefilter: bool,
    workers: int | None = None,
    frameworks: Sequence[str] | None = None,
    *,
    flows: bool = True,
) -> Iterator[Outcome]:
    """Outcomes of `jobs`, in order; in a process pool when the bytes to scan pay for it."""
    folder = os.fspath(root)  # joined with every file's path: a str joins at a third of the cost
    count = default_workers() if workers is None else max(1, workers)
    chunks = _chunks(jobs, count) if count > 1 and may_pool(jobs) else []
    # A module's syntax tree is tens of thousands of objects, none in a reference cycle
    # (nor is anything a walk makes, see `Walker.release`): all is freed by reference
    # counts, and frequent collections would only cost time (in the workers too).
    with fewer_collections():
        if len(chunks) < 2 or not _can_fork():
            with root_folder(folder) as fd:
                for job in jobs:
                    yield load_and_scan(folder, job, prefilter, frameworks, flows, fd)
        else:
            yield from _pooled(folder, chunks, count, prefilter, frameworks, flows)


def _pooled(
    root: str | os.PathLike[str],
    chunks: Sequence[Sequence[Job]],
    count: int,
    prefilter: bool,
    frameworks: Sequence[str] | None,
    flows: bool,
) -> Iterator[Outcome]:
    import gc

    # What every worker loads, loaded once here and inherited: the scanner and orjson (each
    # outcome's index bytes; ~9 ms with the modules it loads, which this process needs
    # afterwards anyway). `forks` loads what a worker's start needs itself.
    import orjson  # noqa: F401

    import acme_scan.scanner  # noqa: F401
    from acme_scan.index import forks

    def scan(index: int) -> list[Wire]:
        return [_to_wire(o) for o in _scan_chunk(root, chunks[index], prefilter, frameworks, flows)]

    # The objects this process has now are never collected in a worker: a collection there
    # would write to each one's header, and so copy every page the fork shares.
    gc.freeze()
    try:
        for index, outcomes in forks.ordered_map(scan, len(chunks), count):
            if outcomes is not None:
                for wire in outcomes:
                    yield _from_wire(wire)
            else:
                # Its worker died (a crash in the parser, the OOM killer): the chunk is
                # scanned again, each file in a process of its own, so that only the file
                # that kills its process is blamed.
                for job in chunks[index]:
                    yield _isolated(root, job, prefilter, frameworks, flows)
    finally:
        gc.unfreeze()


#: An Outcome as it crosses the process boundary: a plain tuple, its segments one too.
#: A NamedTuple pickles through a Python-level `__getnewargs__` and unpickles through its
#: Python-level `__new__`; plain tuples pickle and unpickle in C (about 1.5 us an outcome
#: less, on each side).
Wire = tuple[
    str, int, int, "dict[str, Any] | None", tuple[Any, ...], "tuple[Any, ...] | None", bool
]
_new = tuple.__new__


def _to_wire(outcome: Outcome) -> Wire:
    segments = outcome.segments
    return (
        outcome.rel,
        outcome.size,
        outcome.mtime_ns,
        outcome.record,
        outcome.flows,
        None if segments is None else (segments[0], segments[1], segments[2]),
        outcome.gone,
    )


def _from_wire(wire: Wire) -> Outcome:
    segments = wire[5]
    made = None if segments is None else _new(Segments, segments)
    return _new(Outcome, (*wire[:5], made, wire[6]))


def _isolated(
    root: str | os.PathLike[str],
    job: Job,
    prefilter: bool,
    frameworks: Sequence[str] | None,
    flows: bool = True,
) -> Outcome:
    """`load_and_scan` of one file in a process of its own (AS000 if that process dies)."""
    from acme_scan.index import forks

    outcome, how = forks.isolated(lambda: load_and_scan(root, job, prefilter, frameworks, flows))
    if outcome is None:
        return _crashed(job, f"{how}: a crash, or killed for its memory")
    assert isinstance(outcome, Outcome)
    return outcome
