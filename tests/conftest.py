"""Shared fixtures: temporary projects, real git repositories."""

from __future__ import annotations

import os
import subprocess
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

#: Set by tests/test_compiled_build.py when it runs tests against the compiled scanner.
EXPECT_COMPILED = "ACME_TEST_EXPECT_COMPILED"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Where the scanner is compiled (and only where it is asked to be), tests that patch its
    Python code are skipped: a compiled class's methods cannot be replaced."""
    from acme_scan.scanner import compiled

    if os.environ.get(EXPECT_COMPILED) == "1":
        if not compiled():
            raise pytest.UsageError(f"{EXPECT_COMPILED}=1, but the scanner runs as Python")
        skip = pytest.mark.skip(reason="patches the scanner's Python code; it is compiled here")
        for item in items:
            if item.get_closest_marker("pure_python") is not None:
                item.add_marker(skip)
    elif compiled():
        raise pytest.UsageError(f"the scanner is compiled here: set {EXPECT_COMPILED}=1")


def pytest_collection_finish(session: pytest.Session) -> None:
    """The compiled wheels the selected tests need are built in the background from now on,
    while the other tests run (`tests._prebuild`); not in the nested compiled suite."""
    if os.environ.get(EXPECT_COMPILED) == "1":
        return
    from tests import _prebuild

    # The fixtures that wait for a build, in the order the tests first use them: asked of
    # once each (finding an interpreter runs processes), not once per test.
    used: list[str] = []
    for item in session.items:
        for fixture in getattr(item, "fixturenames", ()):
            if fixture in _PREBUILT and fixture not in used:
                used.append(fixture)
    _prebuild.start([key for fixture in used for key in _prebuild_keys(fixture)])


#: The fixtures that wait for a background build (`tests._prebuild`).
_PREBUILT = ("compiled", "venvs", "venv310")


def _prebuild_keys(fixture: str) -> list[str]:
    """The background builds `fixture` waits for (none for a missing interpreter)."""
    from tests._prebuild import key_of_venv

    if fixture == "compiled":
        return ["compiled"]
    if fixture == "venvs":
        from tests.test_newer_pythons import VERSIONS
        from tests.test_python310 import find_python

        return [key_of_venv(v, dev=False) for v in VERSIONS if find_python(v) is not None]
    from tests.test_python310 import find_python310

    return [key_of_venv("3.10", dev=True)] if find_python310() is not None else []


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests import _prebuild

    _prebuild.stop()


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


#: The reaper (`reap_if_pytest_dies`): polls for its parent's death, then ends the group.
_REAPER = """
import os, signal, sys, time
parent, group = int(sys.argv[1]), int(sys.argv[2])
def alive():
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
while os.getppid() == parent:
    if not alive():
        sys.exit(0)  # stopped as it should be
    time.sleep(0.5)
for sig in (signal.SIGTERM, signal.SIGKILL):
    if not alive():
        break
    os.killpg(group, sig)
    deadline = time.monotonic() + 10
    while alive() and time.monotonic() < deadline:
        time.sleep(0.2)
"""


def reap_if_pytest_dies(group: int) -> subprocess.Popen[bytes]:
    """Ends the process group `group` (a session fixture's server, started in a session of
    its own) should this process die without stopping it: a killed pytest, a CI timeout.
    The reaper runs in a session of its own, so Ctrl-C in the terminal does not end it
    first; it exits by itself once the group is gone (wait for it after stopping the
    server)."""
    import sys

    return subprocess.Popen(
        [sys.executable, "-c", _REAPER, str(os.getpid()), str(group)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def end_reaper(reaper: subprocess.Popen[bytes]) -> None:
    """Wait for a reaper whose server was stopped (it exits within a second of the group's
    end); one that outlives a lingering process of the group is ended."""
    try:
        reaper.wait(timeout=15)
    except subprocess.TimeoutExpired:
        reaper.kill()
        reaper.wait()


def python_in_fresh_process(code: str) -> subprocess.CompletedProcess[str]:
    """`python -c CODE` in an interpreter of its own (this one), its output captured as text."""
    import sys

    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def cli_in_fresh_process(argv: Sequence[str], heavy: Sequence[str]) -> tuple[int, list[str], str]:
    """`acme-scan ARGV` in an interpreter of its own: its exit code, which of the `heavy`
    modules it loaded, and its stdout."""
    import json

    code = (
        "import json, sys; from acme_scan.cli import main;"
        f"code = main({list(argv)!r});"
        f"loaded = sorted(m for m in {tuple(heavy)!r} if m in sys.modules);"
        "print(json.dumps(loaded), file=sys.stderr); sys.exit(code)"
    )
    result = python_in_fresh_process(code)
    lines = result.stderr.strip().splitlines()
    try:
        loaded: list[str] = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise AssertionError(f"the command did not finish:\n{result.stderr}") from None
    return result.returncode, loaded, result.stdout


def processes_with(marker: str) -> list[int]:
    """The processes whose command line holds `marker` (Linux `/proc`)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if marker.encode() in handle.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def killed_parent_leaves(code: str, args: Sequence[str], processes: int) -> tuple[int, list[int]]:
    """Run `python -c CODE ARGS... MARKER` (CODE prints "started" once it is under way),
    wait until `processes` processes hold the marker (it and the ones it forked), SIGKILL
    it: (how many held the marker before, those still holding it 10 s after)."""
    import signal
    import sys
    import uuid

    marker = f"marker-{uuid.uuid4().hex}"
    child = subprocess.Popen([sys.executable, "-c", code, *args, marker], stdout=subprocess.PIPE)
    assert child.stdout is not None
    assert child.stdout.readline() == b"started\n"
    deadline = time.monotonic() + 20
    while len(processes_with(marker)) < processes and time.monotonic() < deadline:
        time.sleep(0.05)
    before = len(processes_with(marker))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return before, processes_with(marker)
