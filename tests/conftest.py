"""Shared fixtures: temporary projects, real git repositories."""

from __future__ import annotations

import os
import subprocess
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

WriteFiles = Callable[[dict[str, str | bytes]], Path]


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(cwd),
    }
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.fixture
def write_files(tmp_path: Path) -> WriteFiles:
    """Write {relative path: text or bytes} under a fresh project root and return the root."""
    root = tmp_path / "project"
    root.mkdir()

    def write(files: dict[str, str | bytes]) -> Path:
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content), encoding="utf-8")
        return root

    return write


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    """A test must stop the threads it starts (within a second of its end).

    A thread left running in the pytest process makes every later scan refuse to fork its
    worker pool (`index.workers._can_fork`): the pool tests would then silently scan in
    process, and a test that kills a worker would kill pytest itself.
    """
    before = {thread.ident for thread in threading.enumerate()}
    yield
    deadline = time.monotonic() + 1.0
    while True:
        left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not left, f"threads left running: {[t.name for t in left]}"
