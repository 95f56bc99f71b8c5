"""Fixtures for the watcher's tests: real observers, real files, real processes.

Every test must leave no thread and no child process behind: `no_leaks` waits (with a
deadline) for the threads and children a test started to be gone, and fails otherwise.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import pytest

from acme_scan import scan_project
from acme_scan.index.discovery import discover
from acme_scan.settings import load_settings

#: Generous: the machine running the tests may be busy with other work.
DEADLINE = 20.0

FLOW = "from prefect import flow\n\n\n@flow(name={name!r})\ndef {func}() -> None:\n    pass\n"


def flow_source(name: str, func: str = "main") -> str:
    return FLOW.format(name=name, func=func)


def index_of(root: Path) -> Path:
    return root / ".acme_scan" / "index.json"


def read_index(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


def flow_names(path: Path) -> set[str]:
    try:
        return {flow["name"] for flow in read_index(path)["flows"]}
    except (OSError, orjson.JSONDecodeError):
        return set()


def cold_scan(root: Path) -> dict[str, Any]:
    return scan_project(root, reuse=False, write=False).data


def index_is_cold(root: Path, index: Path) -> bool:
    """The index file holds exactly what a cold scan of `root` gives now."""
    try:
        data = read_index(index)
    except (OSError, orjson.JSONDecodeError):
        return False
    # A cheap look first (the same files and sizes), then the real comparison.
    files = discover(root.resolve(), load_settings(root))
    if sorted(data["files"]) != files:
        return False
    for rel in files:
        try:
            stat = os.stat(root / rel)
        except OSError:
            return False
        record = data["files"][rel]
        if record["size"] != stat.st_size:
            return False
    return data == cold_scan(root)


def poll(predicate: Callable[[], bool], timeout: float = DEADLINE) -> bool:
    """Evaluate `predicate` until it holds or the deadline passes (for other processes'
    doings, which no event of ours tells)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return predicate()
        time.sleep(0.02)
    return True


def _children() -> set[int]:
    """This process's child processes (Linux: /proc), zombies included."""
    pid = os.getpid()
    found: set[int] = set()
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        with contextlib.suppress(OSError):
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
            found.update(int(child) for child in text.split())
    return found


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    threads = set(threading.enumerate())
    children = _children()
    yield
    deadline = time.monotonic() + 10.0
    for thread in threading.enumerate():
        if thread not in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
    leaked = [t.name for t in threading.enumerate() if t not in threads and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"
    assert poll(lambda: not (_children() - children), timeout=10.0), (
        f"child processes left: {sorted(_children() - children)}"
    )


class Spawned:
    """`acme-scan watch` in a child process, its stderr in a file."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path, handle: IO[bytes]) -> None:
        self.process = process
        self.log = log
        self.handle = handle

    @property
    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        ready = poll(lambda: "watching" in self.stderr or self.process.poll() is not None)
        assert ready, self.stderr
        assert self.process.poll() is None, self.stderr

    def wait(self) -> int:
        try:
            return self.process.wait(DEADLINE)
        finally:
            self.handle.close()


Spawn = Callable[..., Spawned]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    spawned: list[Spawned] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Spawned:
        log = tmp_path / f"watch-{len(spawned)}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "acme_scan", "watch", "-v", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=handle,
            env={**os.environ, **(env or {})},
        )
        spawned.append(Spawned(process, log, handle))
        return spawned[-1]

    yield start
    left = []
    for child in spawned:
        if child.process.poll() is None:
            left.append(child.process.args)
            child.process.kill()
        child.process.wait()
        child.handle.close()
    assert not left, f"still running at the end of the test: {left}"
