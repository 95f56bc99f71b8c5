"""The forked worker pool (`index.forks`): order, crash isolation, and no process left.

Each test forks real processes. A task that must kill its worker checks that it is not
running in pytest's own process first, so a broken fork can never kill the test run.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from acme_scan.index import forks
from tests.conftest import killed_parent_leaves

TEST_PROCESS = os.getpid()


def _children() -> set[int]:
    """This process's child processes, alive or not yet reaped (Linux)."""
    try:
        with open(f"/proc/{TEST_PROCESS}/task/{TEST_PROCESS}/children") as handle:
            return {int(pid) for pid in handle.read().split()}
    except OSError:  # pragma: no cover - not Linux
        pytest.skip("needs /proc/PID/task/PID/children")


@pytest.fixture(autouse=True)
def no_child_left() -> Iterator[None]:
    before = _children()
    yield
    assert _children() - before == set()


def _die() -> None:
    assert os.getpid() != TEST_PROCESS  # never pytest itself
    os.kill(os.getpid(), signal.SIGKILL)


def test_results_come_in_order_with_the_index_each_answers() -> None:
    def square(index: int) -> tuple[int, int]:
        time.sleep(0.002 * (index % 3))  # finishing out of order
        return index * index, os.getpid()

    results = list(forks.ordered_map(square, 40, 3))
    assert [index for index, _ in results] == list(range(40))
    values = [value for _, value in results if value is not None]
    assert [value[0] for value in values] == [i * i for i in range(40)]
    pids = {value[1] for value in values}
    assert TEST_PROCESS not in pids  # all computed in workers
    assert 1 < len(pids) <= 3


def test_a_result_larger_than_a_pipe_arrives_whole() -> None:
    results = dict(forks.ordered_map(lambda index: bytes([index]) * 3_000_000, 3, 2))
    assert results == {index: bytes([index]) * 3_000_000 for index in range(3)}


@pytest.mark.parametrize("how", ["killed", "exception"])
def test_a_dead_call_is_none_and_every_other_call_completes(how: str) -> None:
    def task(index: int) -> int:
        if index in (5, 11):
            if how == "killed":
                _die()
            raise RuntimeError("a bug that escapes the task")
        return index

    results = list(forks.ordered_map(task, 20, 2))
    assert results == [(i, None if i in (5, 11) else i) for i in range(20)]


def test_when_every_worker_dies_new_ones_take_over() -> None:
    results = list(forks.ordered_map(lambda index: _die() if index < 4 else index, 10, 2))
    assert results == [(i, None if i < 4 else i) for i in range(10)]


def test_a_consumer_that_stops_early_leaves_no_worker() -> None:
    def slow(index: int) -> int:
        time.sleep(0.01)
        return index

    iterator = forks.ordered_map(slow, 100, 2)
    assert next(iterator) == (0, 0)
    iterator.close()  # the fixture checks that both workers are gone


def test_without_processes_the_work_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert list(forks.ordered_map(lambda index: (index, os.getpid()), 3, 2)) == [
        (i, (i, TEST_PROCESS)) for i in range(3)
    ]
    assert forks.isolated(os.getpid) == (TEST_PROCESS, "")


def test_isolated_returns_the_result_or_how_the_process_died() -> None:
    assert forks.isolated(lambda: ("ok", os.getpid() != TEST_PROCESS)) == (("ok", True), "")
    assert forks.isolated(_die) == (None, "killed by SIGKILL")

    def fails() -> None:
        raise MemoryError

    assert forks.isolated(fails) == (None, "it ended without a result")


def test_workers_ignore_ctrl_c_and_are_ended_by_their_parent() -> None:
    """Ctrl-C signals the whole process group: a worker that died of it would be taken
    for a crash (and its files rescanned). Workers ignore SIGINT; the parent ends them."""

    def task(index: int) -> int:
        if index == 0:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        return index

    assert list(forks.ordered_map(task, 4, 2)) == [(i, i) for i in range(4)]


ISOLATED_SLEEPER = """
import sys, time
from acme_scan.index import forks
print("started", flush=True)
forks.isolated(lambda: time.sleep(600))
"""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_an_isolated_call_dies_with_its_parent() -> None:
    """As a worker does (`PR_SET_PDEATHSIG`): a file that hangs its isolated rescan must not
    outlive the scan that was killed."""
    before, left = killed_parent_leaves(ISOLATED_SLEEPER, [], processes=2)
    assert before == 2  # the parent and its isolated child
    assert left == []


_HEAP_SCRIPT = """
import resource, sys
from acme_scan.index import forks

def faults(_=None):
    # 4 MB of 1 KB objects (each malloc'd at the top of the heap) made and freed, 32 times
    # over: what a worker does for each file (its tree, its results).
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(32):
        made = [bytes(1000) for _ in range(4000)]
        del made
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

if sys.argv[1] == "default":
    forks._keep_heap = lambda libc: None
[(_, pooled)] = forks.ordered_map(faults, 1, 1)
isolated, _ = forks.isolated(faults)
print(pooled, isolated)
"""


def _worker_faults(mode: str) -> list[int]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _HEAP_SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return [int(n) for n in done.stdout.split()]


def test_a_worker_keeps_its_heap_instead_of_faulting_it_in_again() -> None:
    """By default glibc gives the freed top of its heap back to the OS (128 KB free is
    enough), and every page taken again is a page fault: ~1,000 a round here. A worker (and
    an isolated call's process) keeps it for the next allocation. In a fresh process, whose
    heap top the allocations reach (in pytest's, other objects hold it)."""
    try:
        os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):  # pragma: no cover - not glibc
        pytest.skip("glibc only")
    kept = _worker_faults("kept")
    default = _worker_faults("default")
    assert all(n < 4_000 for n in kept), kept  # ~1,000 pages faulted in once, then reused
    assert all(n > 2 * max(kept) for n in default), (default, kept)
