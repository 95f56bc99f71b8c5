"""Hostile trees: odd names, loops, FIFOs, deep folders, huge files, dying workers.

Each is a diagnostic (or nothing, when the file is not Python), never a crash, and every
other file is still scanned.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from acme_scan import scan_project
from acme_scan.cli import main
from acme_scan.index import workers
from acme_scan.watch.watcher import Watcher
from tests.conftest import git, killed_parent_leaves

FLOW = "from prefect import flow\n\n@flow\ndef {name}(): ...\n"


def flows(root: Path) -> list[str]:
    return [flow["name"] for flow in scan_project(root, write=False).data["flows"]]


def diagnostics(root: Path) -> list[tuple[str, str, str]]:
    data = scan_project(root, write=False).data
    return [(d["path"], d["code"], d["message"]) for d in data["diagnostics"]]


@pytest.fixture(params=["git", "walk"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "good.py").write_text(FLOW.format(name="good"))
    if request.param == "git":
        git(root, "init", "-q")
    return root


def test_a_name_that_is_not_utf8_is_a_diagnostic(root: Path) -> None:
    bad = os.fsdecode(b"bad\xff.py")
    (root / bad).write_text(FLOW.format(name="bad"))
    assert flows(root) == ["good"]
    [(path, code, message)] = diagnostics(root)
    assert (path, code) == ("bad\\xff.py", "AS003")
    assert "not valid UTF-8" in message
    assert main(["scan", "--root", str(root), "-q"]) == 0
    assert main(["check", "--root", str(root), "-q"]) == 1  # AS003 is an error
    assert main(["scan", "--root", str(root), "-q"]) == 0  # warm, too


def test_symlink_loops_are_skipped(root: Path) -> None:
    os.symlink("loop_b.py", root / "loop_a.py")
    os.symlink("loop_a.py", root / "loop_b.py")
    os.symlink("self.py", root / "self.py")
    os.symlink(".", root / "here")  # a folder link to itself: never followed
    assert flows(root) == ["good"]
    assert main(["check", "--root", str(root), "-q"]) == 0


def test_a_fifo_swapped_in_never_blocks(tmp_path: Path) -> None:
    """The file is a FIFO by the time it is opened (no writer ever comes)."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "a.py").write_text(FLOW.format(name="a"))
    os.mkfifo(root / "fifo.py")
    outcome: list[workers.Outcome] = []
    thread = threading.Thread(
        target=lambda: outcome.append(
            workers.load_and_scan(root, workers.Job("fifo.py", None, 0), True)
        ),
        daemon=True,
    )
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "opening the FIFO blocked"
    record = outcome[0].record
    assert record is not None
    assert "not a regular file" in record["diagnostics"][0]["message"]
    assert flows(root) == ["a"]  # discovery itself never lists it


def test_a_vanished_file_says_so(tmp_path: Path) -> None:
    outcome = workers.load_and_scan(tmp_path, workers.Job("gone.py", None, 10), True)
    assert outcome.record is not None
    message = outcome.record["diagnostics"][0]["message"]
    assert "vanished" in message
    assert "permissions" not in message


@pytest.mark.parametrize("pooled", [True, False])
def test_files_gone_or_replaced_after_listing_in_a_cold_scan_are_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pooled: bool
) -> None:
    """Tracked files that git still lists, but which are deleted, or replaced by a FIFO or a
    folder, are dropped without a diagnostic, as a stat before scanning drops them. In a
    cold scan of enough bytes for a pool, the files after the first pool's worth are stat-ed
    by the workers instead (`Job.unchecked`): the index is the same bytes as when every file
    is stat-ed first and scanned in this process."""
    root = tmp_path / "p"
    root.mkdir()
    git(root, "init", "-q")
    helpers = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n" for i in range(6000))
    (root / "a_big.py").write_text(FLOW.format(name="big") + helpers)
    assert (root / "a_big.py").stat().st_size > workers.POOL_MIN_BYTES
    for name in ["b", "c_deleted", "d_fifo", "e_folder", "f", "g_link"]:
        (root / f"{name}.py").write_text(FLOW.format(name=name))
    (root / "h").mkdir()
    (root / "h" / "i.py").write_text(FLOW.format(name="i"))
    git(root, "add", ".")
    (root / "c_deleted.py").unlink()
    (root / "d_fifo.py").unlink()
    os.mkfifo(root / "d_fifo.py")
    (root / "e_folder.py").unlink()
    (root / "e_folder.py").mkdir()
    (root / "g_link.py").unlink()
    os.symlink("e_folder.py", root / "g_link.py")  # a tracked file now a link to a folder
    (root / "h" / "i.py").unlink()
    (root / "h").rmdir()
    (root / "h").write_text("")  # `h/i.py`: its folder is a file now (ENOTDIR)
    if not pooled:
        monkeypatch.setattr(workers, "POOL_MIN_BYTES", 10**12)
    monkeypatch.setattr(workers, "_can_fork", lambda: pooled)
    index = root / "index.json"
    assert main(["scan", "--root", str(root), "-o", str(index), "-q"]) == 0
    data = orjson.loads(index.read_bytes())
    assert sorted(data["files"]) == ["a_big.py", "b.py", "f.py"]
    assert sorted(flow["name"] for flow in data["flows"]) == ["b", "big", "f"]
    assert data["diagnostics"] == []
    if pooled:  # the same bytes through both paths
        monkeypatch.setattr(workers, "POOL_MIN_BYTES", 10**12)
        monkeypatch.setattr(workers, "_can_fork", lambda: False)
        again = root / "again.json"
        assert main(["scan", "--root", str(root), "-o", str(again), "-q", "--cold"]) == 0
        assert again.read_bytes() == index.read_bytes()


def test_an_unchecked_job_is_stat_ed_where_it_is_scanned(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(FLOW.format(name="a"))
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "folder.py").mkdir()
    for name in ["fifo.py", "folder.py", "missing.py", "a.py/x.py"]:
        outcome = workers.load_and_scan(tmp_path, workers.Job(name, None, 0, True), True)
        assert outcome.gone, name
        assert outcome.record is None
    found = workers.load_and_scan(tmp_path, workers.Job("a.py", None, 0, True), True)
    assert not found.gone
    assert found.record is not None
    assert found.record["flows"]
    assert found.size == (tmp_path / "a.py").stat().st_size


def _with_a_huge_file(tmp_path: Path) -> Path:
    """A project of one flow module, `a.py`, and `huge.py`, one byte over the size limit."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "a.py").write_text(FLOW.format(name="a"))
    with open(root / "huge.py", "wb") as handle:
        handle.write(b"from prefect import flow\n")
        handle.truncate(workers.MAX_FILE_BYTES + 1)
    return root


def test_a_huge_file_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _with_a_huge_file(tmp_path)
    assert flows(root) == ["a"]
    [(path, code, message)] = diagnostics(root)
    assert (path, code) == ("huge.py", "AS003")
    assert "larger than the limit" in message


def test_a_huge_file_unchanged_leaves_the_next_scan_unchanged(tmp_path: Path) -> None:
    """A refused file's size and mtime are kept: the next scan does not refuse it again
    (which made every warm scan rescan it and rewrite the state file)."""
    root = _with_a_huge_file(tmp_path)
    scan_project(root)
    state = root / ".acme_scan" / "index.json.state"
    before = state.stat().st_mtime_ns, state.read_bytes()
    again = scan_project(root)
    assert again.stats.reused == again.stats.files == 2
    assert (state.stat().st_mtime_ns, state.read_bytes()) == before
    with open(root / "huge.py", "ab") as handle:  # changed: refused again, still AS003
        handle.write(b"\n")
    changed = scan_project(root)
    assert changed.stats.reused == 1
    assert [d["code"] for d in changed.data["diagnostics"]] == ["AS003"]


def _stat_saying(size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """`fstat` reports `size` bytes: the file grew (or shrank) after it was measured."""
    real = os.fstat

    def fstat(fd: int) -> os.stat_result:
        info = real(fd)
        fields = list(info)
        fields[6] = size  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", fstat)


def test_a_file_that_grew_after_its_size_was_read_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = FLOW.format(name="grown") + "# padding\n" * 20_000  # 200 KB: several reads
    (tmp_path / "a.py").write_text(source)
    _stat_saying(10, monkeypatch)
    _, data = workers._read(str(tmp_path / "a.py"))
    assert data == source.encode()
    _stat_saying(len(source) * 2, monkeypatch)  # shrank: one read, then the end
    _, data = workers._read(str(tmp_path / "a.py"))
    assert data == source.encode()


def test_a_file_of_the_size_its_stat_gave_is_read_in_one_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.read
    calls: list[int] = []

    def counted(fd: int, size: int) -> bytes:
        calls.append(size)
        return real(fd, size)

    monkeypatch.setattr(os, "read", counted)
    for size in (0, 1, 65_535, 65_536, 65_537, 300_000):
        (tmp_path / "a.py").write_bytes(b"x" * size)
        calls.clear()
        _, data = workers._read(str(tmp_path / "a.py"))
        assert data == b"x" * size
        assert calls == [size + 1]  # the byte beyond the size shows the end: no second read


def test_stats_under_a_root_are_the_stats_of_the_joined_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "link.py").symlink_to("pkg/a.py")
    expected = os.stat(tmp_path / "pkg" / "a.py")
    for through_descriptor in (True, False):
        if not through_descriptor:  # an OS without `dir_fd` for stat: the root is joined
            monkeypatch.setattr(os, "supports_dir_fd", set())
        with workers.stats_under(tmp_path) as stat_of:
            for rel in ("pkg/a.py", "link.py"):
                got = stat_of(rel)
                assert (got.st_ino, got.st_size, got.st_mtime_ns) == (
                    expected.st_ino,
                    expected.st_size,
                    expected.st_mtime_ns,
                )
            with pytest.raises(FileNotFoundError):
                stat_of("missing.py")
            with pytest.raises(NotADirectoryError):
                stat_of("pkg/a.py/b.py")


def test_a_file_that_grew_past_the_limit_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _with_a_huge_file(tmp_path)
    _stat_saying(100, monkeypatch)
    assert flows(root) == ["a"]
    [(path, code, message)] = diagnostics(root)
    assert (path, code) == ("huge.py", "AS003")
    assert "grew past the limit" in message


def test_a_thousand_folders_deep_walk(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    folder = os.open(root, os.O_RDONLY)
    try:  # relative to descriptors: the full path is longer than PATH_MAX
        for _ in range(1000):
            os.mkdir("d", dir_fd=folder)
            inner = os.open("d", os.O_RDONLY, dir_fd=folder)
            os.close(folder)
            folder = inner
    finally:
        os.close(folder)
    (root / "a.py").write_text(FLOW.format(name="a"))
    try:
        assert flows(root) == ["a"]
    finally:
        while (root / "d").exists():  # unwind it one level at a time (rmtree recurses)
            if (root / "d" / "d").exists():
                os.rename(root / "d" / "d", root / "next")
            os.rmdir(root / "d")
            if (root / "next").exists():
                os.rename(root / "next", root / "d")


def test_an_unlistable_folder_is_a_diagnostic(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root lists anything")
    root = tmp_path / "p"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "x.py").write_text(FLOW.format(name="x"))
    (root / "a.py").write_text(FLOW.format(name="a"))
    (root / "locked").chmod(0)
    try:
        codes = [(path, code) for path, code, _ in diagnostics(root)]
    finally:
        (root / "locked").chmod(0o755)
    assert codes == [("locked/", "AS003")]


def test_a_dying_worker_blames_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed (SIGKILL, as the OOM killer does) while it scans one file: that file
    is AS000, every other file of the pool is scanned, the index is written."""
    root = tmp_path / "p"
    for number in range(60):
        (root / f"m{number // 10}").mkdir(parents=True, exist_ok=True)
        (root / f"m{number // 10}" / f"f{number}.py").write_text(FLOW.format(name=f"f{number}"))
    (root / "m3" / "killer.py").write_text(FLOW.format(name="killer"))
    real = workers.load_and_scan
    test_process = os.getpid()

    def load_and_scan(
        root: Path,
        job: workers.Job,
        prefilter: bool,
        frameworks: Sequence[str] | None = None,
        flows: bool = True,
    ) -> workers.Outcome:
        if job.rel.endswith("killer.py") and os.getpid() != test_process:  # never pytest
            os.kill(os.getpid(), signal.SIGKILL)
        return real(root, job, prefilter, frameworks, flows)

    monkeypatch.setattr(workers, "load_and_scan", load_and_scan)
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(workers, "CHUNK_FILES", 8)
    # Forking is refused while other threads run; an earlier test's idle thread must not
    # turn this into an in-process scan.
    monkeypatch.setattr(workers, "_can_fork", lambda: True)
    started = time.monotonic()
    result = scan_project(root, workers=2)
    assert time.monotonic() - started < 60
    data = orjson.loads(result.index_path.read_bytes()) if result.index_path else {}
    assert sorted(flow["name"] for flow in data["flows"]) == sorted(f"f{n}" for n in range(60))
    assert [(d["path"], d["code"]) for d in data["diagnostics"]] == [("m3/killer.py", "AS000")]


def test_a_link_loop_created_during_a_watch(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.py").write_text(FLOW.format(name="a"))
    with Watcher(root, quiet=0.0) as watcher:
        os.symlink("loop2.py", root / "loop1.py")
        os.symlink("loop1.py", root / "loop2.py")
        os.mkdir(root / "sub")
        os.symlink("../sub", root / "sub" / "up")
        (root / "b.py").write_text(FLOW.format(name="b"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and watcher.error is None:
            names = {f["name"] for f in orjson.loads(watcher.index_path.read_bytes())["flows"]}
            if names == {"a", "b"}:
                break
            time.sleep(0.05)
        assert watcher.error is None
        assert names == {"a", "b"}


STUCK_SCAN = """
import sys, time
from pathlib import Path
from acme_scan.index import project, workers

def stuck(*args, **kwargs):  # whatever load_and_scan takes
    time.sleep(600)

workers.load_and_scan = stuck
workers.POOL_MIN_BYTES = 0
workers.CHUNK_FILES = 8
print("started", flush=True)
project.scan_project(Path(sys.argv[1]), workers=2, write=False)
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    for number in range(40):
        (root / f"f{number}.py").write_text(FLOW.format(name=f"f{number}"))
    before, left = killed_parent_leaves(STUCK_SCAN, [str(root)], processes=3)
    assert before >= 3  # the parent and its two workers
    assert left == []


def test_a_name_that_is_not_utf8_during_a_watch(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "a.py").write_text(FLOW.format(name="a"))
    bad = root / os.fsdecode(b"bad\xfe.py")
    with Watcher(root, quiet=0.0) as watcher:
        bad.write_text(FLOW.format(name="bad"))
        (root / "b.py").write_text(FLOW.format(name="b"))

        def index() -> dict[str, Any]:
            data: dict[str, Any] = orjson.loads(watcher.index_path.read_bytes())
            return data

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and watcher.error is None:
            if "bad\\xfe.py" in index()["files"] and "b.py" in index()["files"]:
                break
            time.sleep(0.05)
        assert watcher.error is None
        assert "bad\\xfe.py" in index()["files"]
        bad.unlink()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "bad\\xfe.py" in index()["files"]:
            time.sleep(0.05)
        assert "bad\\xfe.py" not in index()["files"]
        assert watcher.error is None
