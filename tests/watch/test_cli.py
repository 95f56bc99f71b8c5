"""`acme-scan watch` as a process: signals, the lock, polling, and readers of the index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from acme_scan.cli import main
from acme_scan.watch.watcher import Watcher
from tests.watch.conftest import (
    DEADLINE,
    Spawn,
    flow_names,
    flow_source,
    index_is_cold,
    index_of,
    poll,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for i in range(3):
        path = root / f"flows/f{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(flow_source(f"flow-{i}", f"flow_{i}"))
    return root


def leftovers(root: Path) -> list[str]:
    """What a stopped watcher must not leave in the index folder: its lock, temporary files."""
    return sorted(
        p.name
        for p in index_of(root).parent.iterdir()
        if p.name not in ("index.json", "index.json.state", ".gitignore")
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_cleanly(project: Path, spawn: Spawn, signum: signal.Signals) -> None:
    child = spawn(str(project))
    child.wait_ready()
    (project / "flows/f0.py").write_text(flow_source("edited", "flow_0"))
    assert poll(lambda: "edited" in flow_names(index_of(project)))
    child.process.send_signal(signum)
    assert child.wait() == 0, child.stderr
    assert index_is_cold(project, index_of(project))
    assert leftovers(project) == []
    assert "changed flow 'edited'" in child.stderr


def test_a_second_watcher_is_refused_and_a_killed_ones_lock_recovered(
    project: Path, spawn: Spawn
) -> None:
    first = spawn(str(project))
    first.wait_ready()
    second = spawn(str(project))
    assert second.wait() == 2
    assert "already kept up to date" in second.stderr
    assert f"pid {first.process.pid}" in second.stderr

    first.process.kill()  # no clean-up at all: the lock file stays behind
    assert first.wait() == -signal.SIGKILL
    lock = index_of(project).with_name("index.json.lock")
    assert lock.read_text().strip() == str(first.process.pid)

    third = spawn(str(project))
    third.wait_ready()
    assert lock.read_text().strip() == str(third.process.pid)
    (project / "flows/f1.py").unlink()
    assert poll(lambda: "flow-1" not in flow_names(index_of(project)))
    third.process.terminate()
    assert third.wait() == 0, third.stderr
    assert index_is_cold(project, index_of(project))


def test_polling_option(project: Path, spawn: Spawn) -> None:
    output = project.parent / "out" / "flows.json"
    child = spawn(str(project), "--polling", "-o", str(output), "--quiet-ms", "20")
    child.wait_ready()
    assert "polling every" in child.stderr
    (project / "flows/new").mkdir()
    (project / "flows/new/n.py").write_text(flow_source("polled"))
    assert poll(lambda: "polled" in flow_names(output))
    child.process.terminate()
    assert child.wait() == 0, child.stderr
    assert index_is_cold(project, output)
    assert not index_of(project).exists()


def test_usage_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["watch", str(project), "--quiet-ms", "-1"])
    assert raised.value.code == 2
    assert main(["watch", str(project / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_the_command_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "watch" in capsys.readouterr().out


READER = textwrap.dedent(
    """
    import json, os, sys

    index, stop = sys.argv[1], sys.argv[2]
    reads, versions = 0, set()
    while not os.path.exists(stop):
        with open(index, "rb") as handle:
            raw = handle.read()
        try:
            data = json.loads(raw)
            assert data["schema_version"] == 2 and isinstance(data["flows"], list)
        except Exception as exc:
            print(f"invalid index ({len(raw)} bytes): {exc!r}")
            sys.exit(1)
        reads += 1
        versions.add(hash(raw))
    print(reads, len(versions))
    """
)


def test_readers_never_see_a_partial_index(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    # A few hundred kilobytes of index: files that are not flows cost no parsing.
    for i in range(1800):
        folder = root / f"misc/m{i // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{i}.py").write_text(f"VALUE = {i}\n")
    target = root / "flows/f.py"
    target.write_text(flow_source("v-0"))
    stop = tmp_path / "stop"
    with Watcher(root, quiet=0.0) as watcher:
        assert watcher.index_path.stat().st_size > 200_000
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(watcher.index_path), str(stop)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            for version in range(1, 41):
                target.write_text(flow_source(f"v-{version}"))
                assert watcher.wait_until(_shows(watcher.index_path, f"v-{version}"), DEADLINE)
        finally:
            stop.touch()
            out, _ = reader.communicate(timeout=DEADLINE)
    assert reader.returncode == 0, out
    reads, versions = map(int, out.split())
    assert reads > 40
    assert versions > 10  # it read while the index was being rewritten
    assert not [p for p in os.listdir(watcher.index_path.parent) if p.endswith(".tmp")]


def _shows(index: Path, name: str) -> Callable[[], bool]:
    return lambda: name in flow_names(index)
