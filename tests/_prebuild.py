"""The compiled wheels the suite needs, built in the background while the other tests run.

Three modules test the wheel whose scanner mypyc compiles: `test_compiled_build` (this
interpreter), `test_newer_pythons` (3.13 by default) and `test_python310` (3.10, with the
dev group). Each build takes ~60 s of one core. pytest runs one test at a time, which leaves
the second core of a CI machine idle most of the time, so when a session selects those
tests, `start` launches one background process (`python -m tests._prebuild WORK KEY...`)
that makes them one after the other while the suite runs. The fixtures ask `prebuilt`,
which waits for the background build of their key, or builds it in the test's own process
when none was started (a module run alone, `ACME_TEST_PREBUILD=0`): one recipe per key
(`build`) either way.

The background process is a plain child process (no thread in pytest's process, whose
scans would then refuse to fork their worker pools). It runs in a session of its own, which is
stopped by its PID (its uv and compilers with it) when the session ends, and its folder removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: How long a test waits for its background build before failing.
WAIT_SECONDS = 900.0


class _Background:
    """The session's background build: its process, folder and keys (None: none started)."""

    process: ClassVar[subprocess.Popen[bytes] | None] = None
    work: ClassVar[Path | None] = None
    keys: ClassVar[tuple[str, ...]] = ()


def key_of_venv(version: str, *, dev: bool) -> str:
    return f"venv-{version}{'-dev' if dev else ''}"


def start(keys: list[str]) -> None:
    """Build `keys` (in this order) in one background process, unless that is turned off."""
    if not keys or os.environ.get("ACME_TEST_PREBUILD", "1") == "0":
        return
    work = Path(tempfile.mkdtemp(prefix="acme-prebuild-"))
    log = (work / "log.txt").open("wb")
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    command = [sys.executable, "-m", "tests._prebuild", str(work), *keys]
    _Background.process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    _Background.work, _Background.keys = work, tuple(keys)


def stop() -> None:
    """Stop the background build (by its PID) if it still runs, and remove its folder."""
    process, work = _Background.process, _Background.work
    if process is not None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its uv and compilers too
        process.wait()
    if work is not None:
        shutil.rmtree(work, ignore_errors=True)
    _Background.process, _Background.work, _Background.keys = None, None, ()


def prebuilt(key: str, work: Path) -> Path:
    """What `key` names (`build`): the background build's when the session started one for
    `key` (waited for), else built into `work` in this process."""
    if key not in _Background.keys:
        return build(key, work)
    process, folder = _Background.process, _Background.work
    assert process is not None
    assert folder is not None
    done = folder / f"{key}.json"
    deadline = time.monotonic() + WAIT_SECONDS
    while not done.exists():
        if process.poll() is not None and not done.exists():
            pytest.fail(f"the background build ended before {key}:\n{_log_tail(folder)}")
        if time.monotonic() > deadline:
            pytest.fail(f"the background build of {key} took over {WAIT_SECONDS:.0f} s")
        time.sleep(0.2)
    outcome = json.loads(done.read_text())
    if "error" in outcome:
        pytest.fail(f"the background build of {key} failed: {outcome['error']}")
    return Path(outcome["path"])


def _log_tail(folder: Path) -> str:
    try:
        return (folder / "log.txt").read_text(errors="replace")[-3000:]
    except OSError:
        return "(no log)"


def build(key: str, folder: Path) -> Path:
    """Make `key` in `folder`: "compiled" (the compiled wheel for this interpreter, unpacked)
    or `key_of_venv(...)` (a virtualenv holding it). The one recipe of each, for the
    background process and for a test that builds its own."""
    folder.mkdir(parents=True, exist_ok=True)
    if key == "compiled":
        from tests.test_compiled_build import build_compiled

        return build_compiled(folder)
    version, _, dev = key.removeprefix("venv-").partition("-")
    from tests.test_python310 import find_python, find_python310, uv_executable, wheel_venv

    python = find_python310() if version == "3.10" else find_python(version)
    uv = uv_executable()
    if python is None or uv is None:
        raise RuntimeError(f"no Python {version} interpreter (or no uv) here")
    return wheel_venv(python, uv, folder, dev=dev == "dev")


def main(argv: list[str]) -> int:
    work = Path(argv[0])
    for key in argv[1:]:
        try:
            outcome = {"path": str(build(key, work / key))}
        except BaseException as exc:  # a failed assertion, or a skip, is the test's to report
            outcome = {"error": f"{type(exc).__name__}: {exc}"}
        temp = work / f"{key}.json.tmp"
        temp.write_text(json.dumps(outcome))
        os.replace(temp, work / f"{key}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
