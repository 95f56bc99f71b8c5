"""The watcher's parts on their own: hints, the folders to watch, the index lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from acme_scan.errors import IndexFileError, IndexLockedError
from acme_scan.settings import Settings
from acme_scan.watch.folders import survey
from acme_scan.watch.hints import Hints, Kind, OwnFiles, classify, tops
from acme_scan.watch.lock import IndexLock
from tests.conftest import git

ROOT = Path("/project")
OWN = OwnFiles(ROOT, ROOT / "out/index.json")


@pytest.mark.parametrize(
    ("rel", "is_dir", "expected"),
    [
        ("flows/a.py", False, (Kind.FILE, "flows/a.py")),
        ("flows/a.txt", False, None),
        ("flows/sub", True, (Kind.FOLDER, "flows/sub")),
        (".venv", True, None),
        ("pkg/node_modules", True, None),
        ("pkg/__pycache__/a.py", False, None),
        ("build", True, None),  # top-level build output
        ("pkg/build", True, (Kind.FOLDER, "pkg/build")),
        (".gitignore", False, (Kind.RECONCILE, ".gitignore")),
        ("pkg/.gitignore", False, (Kind.RECONCILE, "pkg/.gitignore")),
        ("pyproject.toml", False, (Kind.SETTINGS, "pyproject.toml")),
        ("pkg/pyproject.toml", False, None),
        ("env/pyvenv.cfg", False, (Kind.FOLDER, "env")),
        ("out/index.json", False, None),
        ("out/index.json.lock", False, None),
        ("out/.index.json.k2j3h4.tmp", False, None),
        ("out/.index.json.k2j3h4.py", False, (Kind.FILE, "out/.index.json.k2j3h4.py")),
        ("index.json", False, None),
        ("", True, (Kind.RECONCILE, "")),
    ],
)
def test_classify(rel: str, is_dir: bool, expected: tuple[Kind, str] | None) -> None:
    assert classify(rel, is_dir, OWN) == expected


def test_own_files_outside_the_root_are_no_concern() -> None:
    outside = OwnFiles(ROOT, Path("/elsewhere/index.json"))
    assert not outside.holds("index.json")


def test_hints_are_due_after_quiet_or_max_wait() -> None:
    hints = Hints()
    assert not hints
    hints.add(Kind.FILE, "a.py", now=10.0)
    hints.add(Kind.FOLDER, "pkg", now=10.3)
    assert hints.due(quiet=0.05, max_wait=1.0) == pytest.approx(10.35)
    hints.add(Kind.FILE, "b.py", now=10.98)
    assert hints.due(quiet=0.05, max_wait=1.0) == pytest.approx(11.0)
    assert (hints.files, hints.folders) == ({"a.py", "b.py"}, {"pkg"})


def test_tops() -> None:
    assert tops({"a", "a/b", "ab", "c/d", "c/d/e"}) == ["a", "ab", "c/d"]
    assert tops({"", "a"}) == [""]


def test_survey_skips_what_is_never_scanned(tmp_path: Path) -> None:
    for rel in [
        "flows/sub/x.py",
        ".venv/lib/x.py",
        ".git/objects/x",
        "node_modules/pkg/x.py",
        "flows/__pycache__/x.pyc",
        "env/pyvenv.cfg",
        "env/lib/x.py",
        "build/x.py",
        "pkg/build/x.py",
        "data/big/x.py",
        "docs/x.md",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text("data/\n")
    (tmp_path / "link").symlink_to(tmp_path / "flows")
    expected = {"", "flows", "flows/sub", "pkg", "pkg/build", "docs"}
    assert set(survey(tmp_path, "", Settings())) == expected
    assert set(survey(tmp_path, "", Settings(respect_gitignore=False))) == {
        *expected,
        "data",
        "data/big",
    }
    assert set(survey(tmp_path, "flows", Settings())) == {"flows", "flows/sub"}
    assert survey(tmp_path, "env/lib", Settings()) == {}  # inside a virtualenv
    assert survey(tmp_path, "data/big", Settings()) == {}  # inside an ignored folder
    assert survey(tmp_path, "missing", Settings()) == {}
    # An ignored folder holding indexed files (tracked ones, in git) is still watched.
    assert "data/big" in survey(tmp_path, "", Settings(), indexed=["data/big/x.py"])


def test_survey_asks_git_inside_a_work_tree(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    info = tmp_path / ".git/info/exclude"
    info.write_text("private/\n")
    for rel in ["private/x.py", "public/x.py"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    assert set(survey(tmp_path, "", Settings())) == {"", "public"}


def test_the_lock_refuses_a_second_owner_until_released(tmp_path: Path) -> None:
    index = tmp_path / ".acme_scan/index.json"
    with IndexLock(index) as first:
        assert first.path.read_text().strip() == str(os.getpid())
        assert (tmp_path / ".acme_scan/.gitignore").exists()  # the default folder ignores itself
        with pytest.raises(IndexLockedError) as raised:
            IndexLock(index).acquire()
        assert raised.value.owner == os.getpid()
    assert not first.held
    assert not first.path.exists()
    with IndexLock(index):
        pass


def test_a_lock_left_by_a_dead_process_is_taken(tmp_path: Path) -> None:
    index = tmp_path / "index.json"
    code = (
        "import os, sys; from pathlib import Path; from acme_scan.watch.lock import IndexLock; "
        "IndexLock(Path(sys.argv[1])).acquire(); os._exit(0)"  # dies holding it
    )
    subprocess.run([sys.executable, "-c", code, str(index)], check=True)
    lock = index.with_name("index.json.lock")
    assert lock.exists()
    with IndexLock(index):
        assert lock.read_text().strip() == str(os.getpid())


def test_an_unwritable_lock_folder_is_an_index_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(IndexFileError, match="cannot create the lock file"):
        IndexLock(tmp_path / "file" / "index.json").acquire()
