"""Forked worker processes over pipes: the scan's pool, with nothing else to import.

`ordered_map(task, count, workers)` runs `task(0)` ... `task(count - 1)` in forked worker
processes and yields each index with its result, in index order; `isolated(task)` runs one
call in a process of its own. A worker inherits `task` (and everything it refers to) through
the fork, so only an index (4 bytes) goes to it and only the pickled result comes back.

A call whose process dies (a crash in a parser, the OOM killer, an exception that escapes
`task`) yields None, never an exception: the caller decides what to do with that work. The
other calls are unaffected: a replacement worker takes over the dead one's queued indices.

This replaces `concurrent.futures.ProcessPoolExecutor`, whose imports (`multiprocessing`,
`concurrent.futures.process`, `socket`...) took ~20 ms and whose start (a manager thread, a
queue feeder thread, every job pickled) another ~30 ms of every pooled scan.

Workers are forked: the caller must run no other thread (see `workers._can_fork`). They end
with `os._exit` (no inherited buffer is flushed twice, no `atexit` handler runs), when their
task pipe closes, and on Linux when the parent dies (`PR_SET_PDEATHSIG`), so none is left
behind however the parent ends.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
from collections import deque
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from acme_scan import _log

if sys.platform.startswith("linux"):
    # Every forked process calls `prctl` and `mallopt` through it (`_become_child`): loaded
    # once, here, not again in each child (~3.5 ms). This module is loaded only to fork.
    import ctypes

logger = _log.get(__name__)

T = TypeVar("T")

#: Indices sent ahead to each worker: it starts the next as soon as it sends a result.
_AHEAD = 2
_HEADER = 8  # the length of a pickled result, little-endian
_READ = 1 << 16  # a pipe's capacity


class _Worker:
    """One forked worker: its process, its pipes, the indices it was sent, what it sent."""

    __slots__ = ("buffer", "pid", "queued", "results", "tasks")

    def __init__(self, pid: int, tasks: int, results: int) -> None:
        self.pid = pid
        self.tasks = tasks  # write end: indices to run
        self.results = results  # read end: results, in the order of `queued`
        self.queued: deque[int] = deque()
        self.buffer = bytearray()

    def send(self, index: int) -> None:
        self.queued.append(index)
        # 4 bytes: never a partial write. A worker that died meanwhile is seen at the end
        # of its results, where the indices it never answered are handed on.
        with contextlib.suppress(BrokenPipeError):
            os.write(self.tasks, index.to_bytes(4, "little"))

    def received(self) -> list[tuple[int, Any]]:
        """The complete results in the buffer, unpickled, each with the index it answers."""
        return [(self.queued.popleft(), result) for result in _results(self.buffer)]


def _results(buffer: bytearray) -> list[Any]:
    """The complete results (`_write_result`'s frames) at the start of `buffer`, unpickled
    and taken out of it; an incomplete one stays. Each is unpickled where it lies in the
    buffer: a result of a few hundred KB is not copied out first."""
    results: list[Any] = []
    start = 0
    with memoryview(buffer) as view:
        while len(buffer) - start >= _HEADER:
            end = start + _HEADER + int.from_bytes(view[start : start + _HEADER], "little")
            if len(buffer) < end:
                break
            with view[start + _HEADER : end] as payload:
                results.append(pickle.loads(payload))
            start = end
    del buffer[:start]
    return results


def ordered_map(
    task: Callable[[int], T], count: int, workers: int
) -> Generator[tuple[int, T | None], None, None]:
    """`(index, task(index))` for every index below `count`, in order, computed in up to
    `workers` forked processes; None for a call whose process died."""
    pending = deque(range(count))
    done: dict[int, T | None] = {}
    running: dict[int, _Worker] = {}  # by the fd of its results pipe
    poller = select.poll()

    def start() -> None:
        inherited = [fd for other in running.values() for fd in (other.tasks, other.results)]
        try:
            worker = _fork_worker(task, inherited)
        except OSError as exc:  # no process can be made (EAGAIN, ENOMEM)
            if running:
                return  # the others go on
            logger.warning("cannot start a worker process (%s): scanning in this one", exc)
            while pending:
                index = pending.popleft()
                done[index] = task(index)
            return
        running[worker.results] = worker
        poller.register(worker.results, select.POLLIN)
        feed(worker)

    def feed(worker: _Worker) -> None:
        while pending and len(worker.queued) < _AHEAD:
            worker.send(pending.popleft())

    def retire(worker: _Worker) -> None:
        poller.unregister(worker.results)
        del running[worker.results]
        _close(worker.tasks, worker.results)
        _reap(worker.pid)

    try:
        for _ in range(min(workers, count)):
            start()
        for index in range(count):
            while index not in done:
                for fd, _ in poller.poll():
                    worker = running[fd]
                    data = os.read(fd, _READ)
                    if data:
                        worker.buffer += data
                        for answered, result in worker.received():
                            done[answered] = result
                        feed(worker)
                        if not worker.queued:
                            retire(worker)  # nothing left to send it: it exits at EOF
                        continue
                    # The worker died: the index it was running has no result; those it
                    # had not started go to a new worker.
                    if worker.queued:
                        done[worker.queued.popleft()] = None
                        pending.extendleft(reversed(worker.queued))
                        worker.queued.clear()
                    retire(worker)
                    if pending:
                        start()
            yield index, done.pop(index)
    finally:
        for worker in list(running.values()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)  # left early: an error, or closed
            retire(worker)


def isolated(task: Callable[[], T]) -> tuple[T | None, str]:
    """`task()` run in a process of its own: (its result, "") or (None, how it died).

    When no process can be made, `task()` runs in this one."""
    results_read, results_write = os.pipe()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError as exc:
        _close(results_read, results_write)
        logger.warning("cannot start a process (%s): scanning in this one", exc)
        return task(), ""
    if pid == 0:  # pragma: no cover - the child (its coverage is not collected)
        try:
            _become_child(parent, results_read)
            _write_result(results_write, task())
        finally:
            os._exit(0)
    os.close(results_write)
    message = bytearray()
    try:
        while data := os.read(results_read, _READ):
            message += data
    finally:
        os.close(results_read)
        status = _reap(pid)
    results = _results(message)
    if len(results) == 1 and not message:
        return results[0], ""
    return None, _how_it_ended(status)


def _fork_worker(task: Callable[[int], Any], inherited: list[int]) -> _Worker:
    tasks_read, tasks_write = os.pipe()
    results_read, results_write = os.pipe()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        _close(tasks_read, tasks_write, results_read, results_write)
        raise
    if pid == 0:  # pragma: no cover - the child (its coverage is not collected)
        try:
            # The other workers' pipes: holding the write end of one's tasks would keep it
            # from seeing the end of its input.
            _become_child(parent, tasks_write, results_read, *inherited)
            _serve(task, tasks_read, results_write)
        finally:
            os._exit(0)
    _close(tasks_read, results_write)
    return _Worker(pid, tasks_write, results_read)


def _serve(task: Callable[[int], Any], tasks: int, results: int) -> None:
    """In a worker: run each index read from `tasks` and write its result to `results`,
    until `tasks` ends (the parent closed it, or died)."""
    while True:
        header = b""
        while len(header) < 4:
            data = os.read(tasks, 4 - len(header))
            if not data:
                return
            header += data
        _write_result(results, task(int.from_bytes(header, "little")))


def _write_result(fd: int, result: Any) -> None:
    payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(payload).to_bytes(_HEADER, "little") + payload)
    while view:
        view = view[os.write(fd, view) :]


def _close(*fds: int) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _reap(pid: int) -> int:
    """Wait for the process `pid` to end; its wait status (0 if it was already reaped)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}"
    if os.WIFEXITED(status) and os.WEXITSTATUS(status):
        return f"exit status {os.WEXITSTATUS(status)}"
    return "it ended without a result"


def _become_child(parent: int, *inherited: int) -> None:
    """In a forked process (a worker, or an isolated call): close the parent's `inherited`
    pipe ends, ignore Ctrl-C (it reaches the whole process group: the parent ends its
    children) and be killed when the parent dies (Linux), so that none is left behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _close(*inherited)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            _keep_heap(libc)
        if os.getppid() != parent:  # the parent died before the call
            os._exit(1)


#: glibc's `mallopt` parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def _keep_heap(libc: Any) -> None:
    """In a child (short-lived, it ends with `os._exit`): glibc keeps 16 MB of slack at the
    top of its heap and never gives freed memory back. By default it trims the heap whenever
    128 KB at its top are free, and every page then taken again is a page fault, 4.4 us
    each on this project's CI machines: a worker scanning half the 10k-file project took
    6,160 faults, 2,290 with these settings. The mmap threshold is fixed at 32 MB (setting
    the others stops glibc from raising it), so a chunk's pickled results stay in the heap.
    Nothing is done on another C library (musl's `mallopt` does nothing anyway)."""
    try:
        os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        return
    libc.mallopt(_M_TOP_PAD, 16 << 20)
    libc.mallopt(_M_TRIM_THRESHOLD, 256 << 20)
    libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)


__all__ = ["isolated", "ordered_map"]
