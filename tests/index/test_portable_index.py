"""The index file is a function of the tree: the same bytes in every clone, at any time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from acme_scan import scan_project
from acme_scan.cli import main
from tests.conftest import FIXTURES, git


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A git repository holding the golden project, committed."""
    repo = tmp_path / "origin"
    shutil.copytree(FIXTURES / "golden_project", repo, symlinks=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    return repo


def clone(origin: Path, target: Path) -> Path:
    git(origin.parent, "clone", "-q", str(origin), str(target))
    return target


def scan(root: Path, *args: str) -> bytes:
    assert main(["scan", "--root", str(root), "-q", *args]) == 0
    return (root / ".acme_scan" / "index.json").read_bytes()


def test_two_clones_write_the_same_bytes(origin: Path, tmp_path: Path) -> None:
    first = clone(origin, tmp_path / "a" / "first")
    second = clone(origin, tmp_path / "elsewhere" / "deeper" / "second")
    for number, path in enumerate(sorted(second.rglob("*.py"))):
        os.utime(path, ns=(10**18 + number, 10**18 + number))  # other times, too
    raw = scan(first)
    assert scan(second) == raw
    data = orjson.loads(raw)
    assert "root" not in data
    assert all("mtime_ns" not in record for record in data["files"].values())
    assert str(tmp_path).encode() not in raw
    # One record per line: a change to one file changes only its own lines.
    lines = raw.splitlines()
    assert len(lines) == len(data["flows"]) + len(data["diagnostics"]) + len(data["files"]) + 9
    assert all(orjson.loads(line.rstrip(b",")) for line in lines if line.startswith(b'{"code'))


def test_a_touch_changes_nothing_and_stays_warm(origin: Path, tmp_path: Path) -> None:
    root = clone(origin, tmp_path / "c")
    raw = scan(root)
    index = root / ".acme_scan" / "index.json"
    written = index.stat().st_mtime_ns
    for path in root.rglob("*.py"):
        path.touch()
    result = scan_project(root)
    assert not result.written
    assert result.stats.reused == result.stats.files  # same bytes: hashed, never parsed
    assert index.read_bytes() == raw
    assert index.stat().st_mtime_ns == written
    again = scan_project(root)
    assert again.stats.reused == again.stats.files  # the state file has the new mtimes


def test_a_forged_record_is_not_reused(origin: Path, tmp_path: Path) -> None:
    """An edited index (here: a flow renamed, its file's hash kept) is rebuilt, not trusted."""
    root = clone(origin, tmp_path / "d")
    raw = scan(root)
    index = root / ".acme_scan" / "index.json"
    forged = raw.replace(b'"name":"nightly"', b'"name":"forged"')
    assert forged != raw
    index.write_bytes(forged)
    assert orjson.loads(forged)["files"] == orjson.loads(raw)["files"]  # hashes all match
    assert scan(root) == raw
    # Also when size and mtime are restored, so that only the bytes tell.
    stat = index.stat()
    index.write_bytes(forged.replace(b"forged", b"fakeit"))
    os.utime(index, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = scan_project(root)
    assert result.data == scan_project(root, reuse=False, write=False).data
    assert index.read_bytes() == raw


def test_another_clones_index_is_rebuilt_not_trusted(origin: Path, tmp_path: Path) -> None:
    first = clone(origin, tmp_path / "e1")
    second = clone(origin, tmp_path / "e2")
    raw = scan(first)
    (second / ".acme_scan").mkdir()
    forged = raw.replace(b'"name":"nightly"', b'"name":"forged"')
    (second / ".acme_scan" / "index.json").write_bytes(forged)
    assert scan(second) == raw


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from acme_scan.index.store import write_raw

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # after the bytes are written, before the rename

os.replace = die
root = Path(sys.argv[2]) if len(sys.argv) > 2 else None
write_raw(b"{}" * 100_000, Path(sys.argv[1]), root, durable=False)
"""


@pytest.mark.parametrize("confined", [True, False])
def test_temp_files_of_a_killed_write_are_removed(tmp_path: Path, confined: bool) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "a.py").write_text("from prefect import flow\n@flow\ndef a(): ...\n")
    index = root / ".acme_scan" / "index.json"
    argv = [sys.executable, "-c", KILLED_WRITER, str(index)] + ([str(root)] if confined else [])
    result = subprocess.run(argv, capture_output=True, check=False)
    assert result.returncode == -signal.SIGKILL, result.stderr
    left = [p.name for p in index.parent.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1
    assert not index.exists()
    scan(root) if confined else scan_project(root, index_path=index)
    assert [p.name for p in index.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert orjson.loads(index.read_bytes())["flows"][0]["name"] == "a"
