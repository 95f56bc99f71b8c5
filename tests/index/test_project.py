"""scan_project end to end on real directories: discovery, loading, the index file."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import orjson
import pytest

from acme_scan import (
    AcmeScanError,
    ConfigError,
    IndexFileError,
    RootError,
    dump_index,
    load_index,
    scan_project,
)
from acme_scan._version import SCHEMA_VERSION
from acme_scan.settings import load_settings
from tests.conftest import FIXTURES, WriteFiles, git

FLOW = "from prefect import flow\n\n@flow\ndef {name}(): ...\n"


def flow_paths(root: Path) -> list[str]:
    return [flow.path for flow in scan_project(root, write=False).index.flows]


def test_default_excludes(write_files: WriteFiles) -> None:
    root = write_files(
        {
            "a.py": FLOW.format(name="a"),
            "pkg/b.py": FLOW.format(name="b"),
            ".venv/lib/c.py": FLOW.format(name="c"),
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/d.py": FLOW.format(name="d"),
            "node_modules/m/e.py": FLOW.format(name="e"),
            "pkg/__pycache__/f.py": FLOW.format(name="f"),
            "lib/site-packages/g.py": FLOW.format(name="g"),
            ".hidden/h.py": FLOW.format(name="h"),
            "build/i.py": FLOW.format(name="i"),
            "src/build/j.py": FLOW.format(name="j"),
            "notes.txt": FLOW.format(name="k"),
        }
    )
    assert flow_paths(root) == ["a.py", "pkg/b.py", "src/build/j.py"]


def test_gitignore_without_git(write_files: WriteFiles) -> None:
    root = write_files(
        {
            ".gitignore": "generated/\n*_skip.py\n",
            "a.py": FLOW.format(name="a"),
            "b_skip.py": FLOW.format(name="b"),
            "generated/c.py": FLOW.format(name="c"),
            "sub/.gitignore": "local.py\n",
            "sub/local.py": FLOW.format(name="d"),
            "sub/kept.py": FLOW.format(name="e"),
        }
    )
    assert flow_paths(root) == ["a.py", "sub/kept.py"]


def test_gitignore_with_git_uses_gits_view(write_files: WriteFiles) -> None:
    root = write_files(
        {
            ".gitignore": "ignored/\n",
            "tracked.py": FLOW.format(name="a"),
            "untracked.py": FLOW.format(name="b"),
            "ignored/c.py": FLOW.format(name="c"),
            "forced.py": FLOW.format(name="d"),
        }
    )
    git(root, "init", "-q")
    (root / ".git" / "info" / "exclude").write_text("forced.py\n")
    git(root, "add", "tracked.py")
    git(root, "commit", "-q", "-m", "init")
    assert flow_paths(root) == ["tracked.py", "untracked.py"]
    (root / "tracked.py").unlink()  # deleted but still in git's index: not a file any more
    assert flow_paths(root) == ["untracked.py"]


def test_include_and_exclude_settings(write_files: WriteFiles) -> None:
    root = write_files(
        {
            "pyproject.toml": '[tool.acme-scan]\ninclude = ["flows/"]\n'
            'exclude = ["**/legacy_*.py"]\n',
            "flows/a.py": FLOW.format(name="a"),
            "flows/legacy_b.py": FLOW.format(name="b"),
            "other/c.py": FLOW.format(name="c"),
        }
    )
    assert flow_paths(root) == ["flows/a.py"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.acme-scan]\nincldue = []\n", "unknown key 'incldue'"),
        ("[tool.acme-scan]\nexclude = 'x'\n", "'exclude' must be a list of strings"),
        ("[tool.acme-scan\n", "not valid TOML"),
    ],
)
def test_invalid_settings_are_clear_errors(
    write_files: WriteFiles, toml: str, message: str
) -> None:
    root = write_files({"pyproject.toml": toml})
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(root)
    assert "pyproject.toml" in str(info.value)


def test_symlinks_never_escape_the_root(tmp_path: Path, write_files: WriteFiles) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.py").write_text(FLOW.format(name="o"))
    root = write_files({"a.py": FLOW.format(name="a")})
    (root / "link_dir").symlink_to(outside, target_is_directory=True)
    (root / "link_file.py").symlink_to(outside / "o.py")
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert flow_paths(root) == ["a.py"]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_is_a_diagnostic(write_files: WriteFiles) -> None:  # pragma: no cover
    root = write_files({"a.py": FLOW.format(name="a"), "b.py": FLOW.format(name="b")})
    (root / "b.py").chmod(0)
    index = scan_project(root, write=False).index
    assert [f.path for f in index.flows] == ["a.py"]
    assert [(d.path, d.code) for d in index.diagnostics] == [("b.py", "AS003")]


def test_unreadable_path_is_a_diagnostic_and_the_rest_completes(write_files: WriteFiles) -> None:
    root = write_files({"a.py": FLOW.format(name="a")})
    # A dangling link inside the root passes discovery's listing but cannot be read.
    (root / "b.py").mkdir()  # a directory named like a module: not a file, not scanned
    (root / "c.py").symlink_to(root / "missing.py")
    index = scan_project(root, write=False).index
    assert [f.path for f in index.flows] == ["a.py"]


def test_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RootError, match="not a directory"):
        scan_project(tmp_path / "nope")
    assert issubclass(RootError, AcmeScanError)


def test_index_file_is_written_atomically_and_only_when_changed(write_files: WriteFiles) -> None:
    root = write_files({"a.py": FLOW.format(name="a")})
    first = scan_project(root)
    assert first.written
    assert first.index_path == root / ".acme_scan" / "index.json"
    assert (root / ".acme_scan" / ".gitignore").read_text().endswith("*\n")
    raw = first.index_path.read_bytes()
    data = orjson.loads(raw)
    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert list(data) == sorted(data)
    assert [f["name"] for f in data["flows"]] == ["a"]
    second = scan_project(root)
    assert not second.written
    assert second.stats.reused == 1
    assert first.index_path.read_bytes() == raw
    assert not [p for p in first.index_path.parent.iterdir() if p.name.endswith(".tmp")]
    assert oct(first.index_path.stat().st_mode & 0o777) != oct(0o600)


def test_index_reflects_edits_and_deletes(write_files: WriteFiles) -> None:
    root = write_files({"a.py": FLOW.format(name="a"), "b.py": FLOW.format(name="b")})
    scan_project(root)
    (root / "a.py").write_text(FLOW.format(name="renamed_a"))
    os.utime(root / "a.py", ns=(1, 1))  # even with an old mtime, the size/hash differ
    (root / "b.py").unlink()
    (root / "c.py").write_text(FLOW.format(name="c"))
    index = scan_project(root).index
    assert [(f.path, f.name) for f in index.flows] == [("a.py", "renamed-a"), ("c.py", "c")]
    assert sorted(index.files) == ["a.py", "c.py"]


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b'{"hello": 1}', b'{"schema_version": 99}', b'{"schema_version": 1}'],
    ids=["empty", "corrupt", "foreign", "newer", "truncated"],
)
def test_bad_index_is_reported_and_rebuilt(write_files: WriteFiles, content: bytes) -> None:
    root = write_files({"a.py": FLOW.format(name="a")})
    index_path = root / ".acme_scan" / "index.json"
    index_path.parent.mkdir()
    index_path.write_bytes(content)
    with pytest.raises(IndexFileError):
        load_index(index_path)
    result = scan_project(root)
    assert result.stats.index_problem is not None
    assert str(index_path) in result.stats.index_problem
    assert [f.name for f in load_index(index_path).flows] == ["a"]


def test_index_and_ids_are_the_same_for_copies(tmp_path: Path) -> None:
    first = tmp_path / "one"
    second = tmp_path / "two"
    shutil.copytree(FIXTURES / "golden_project", first)
    shutil.copytree(FIXTURES / "golden_project", second)
    a = scan_project(first, write=False).index
    b = scan_project(second, write=False).index
    assert dump_index(a) == dump_index(b)
    assert [f.id for f in a.flows] == [f.id for f in b.flows]
    assert len({f.id for f in a.flows}) == len(a.flows)
