"""One walker (`discovery.walk`): the full listing and the watcher's folder updates agree.

`discover` lists the whole tree (git's listing inside a work tree, else `walk` from the
root); `Indexer.update(folder)` lists one folder with `walk` from it and filters what it
finds as single paths are filtered. On a tree with ignored folders and files, a nested
`.gitignore` that re-includes, virtualenvs, excluded names, linked folders and file links
in and out of the root, both must see exactly the same files below every folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from acme_scan import scan_project
from acme_scan.index.discovery import _basic_filter, discover, filter_candidates, walk
from acme_scan.index.project import Indexer
from acme_scan.settings import load_settings
from tests.conftest import git

FLOW = "from prefect import flow\n\n\n@flow\ndef {name}() -> None: ...\n"

FILES = [
    "top.py",
    "pkg/__init__.py",
    "pkg/a.py",
    "pkg/sub/b.py",
    "pkg/build/kept.py",  # `build` is excluded at the top only
    "pkg/deep/er/est.py",
    "gen/generated.py",  # gen/ is ignored by the root's .gitignore
    "pkg/skip_gen.py",  # *_gen.py ignored ...
    "pkg/keep/keep_gen.py",  # ... but re-included by pkg/keep/.gitignore
    "pkg/keep/other.py",
    "pkg/logs/x.py",  # ignored by pkg/.gitignore, as a folder
    "env/lib/site.py",  # env/ holds pyvenv.cfg: a virtualenv, whatever its name
    ".venv/lib/hidden.py",
    "node_modules/pkg/n.py",
    "build/out.py",
    "pkg/__pycache__/c.py",
    "pkg/thing.egg-info/e.py",
    "docs/notes.txt",
]


def make_tree(root: Path, outside: Path) -> None:
    for index, rel in enumerate(FILES):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(FLOW.format(name=f"f{index}") if rel.endswith(".py") else "notes\n")
    (root / ".gitignore").write_text("gen/\n*_gen.py\n")
    (root / "pkg" / ".gitignore").write_text("logs/\n")
    (root / "pkg" / "keep" / ".gitignore").write_text("!keep_gen.py\n")
    (root / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / "pkg" / "folder.py").mkdir()  # a folder named like a module
    outside.mkdir()
    (outside / "o.py").write_text(FLOW.format(name="outside"))
    (root / "linked").symlink_to(root / "pkg", target_is_directory=True)  # never followed
    (root / "pkg" / "out.py").symlink_to(outside / "o.py")  # leaves the root: never listed
    (root / "pkg" / "in.py").symlink_to(root / "pkg" / "a.py")  # stays inside: listed
    (root / "pkg" / "dangling.py").symlink_to(root / "missing.py")


def folders(root: Path) -> list[str]:
    """Every real folder of the tree (POSIX, relative; "" is the root), excluded ones too."""
    found = [""]
    for directory, dirs, _ in os.walk(root):
        rel = Path(directory).relative_to(root).as_posix()
        if rel != ".":
            found.append(rel)
        dirs[:] = [d for d in dirs if d != ".git"]
    return sorted(found)


def below(rels: list[str], folder: str) -> set[str]:
    return {rel for rel in rels if not folder or rel.startswith(f"{folder}/")}


@pytest.fixture(params=["git", "no-git"])
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    make_tree(root, tmp_path / "outside")
    if request.param == "git":
        if shutil.which("git") is None:
            pytest.skip("needs git")
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "add", "-f", "gen/generated.py")  # tracked, though ignored: git lists it
        git(root, "commit", "-q", "-m", "tree")
    return root


def test_the_full_listing_is_what_the_tree_holds(tree: Path) -> None:
    """Guard: the tree does exercise every rule (else agreeing would prove little)."""
    listed = discover(tree, load_settings(tree))
    expected = {
        "top.py",
        "pkg/__init__.py",
        "pkg/a.py",
        "pkg/sub/b.py",
        "pkg/build/kept.py",
        "pkg/deep/er/est.py",
        "pkg/keep/keep_gen.py",
        "pkg/keep/other.py",
        "pkg/in.py",
    }
    if (tree / ".git").exists():
        expected.add("gen/generated.py")
    assert set(listed) == expected


def test_a_nested_gitignore_re_includes_outside_git(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_tree(root, tmp_path / "outside")
    assert "pkg/keep/keep_gen.py" in discover(root, load_settings(root))


def test_every_folder_lists_as_the_full_listing(tree: Path) -> None:
    settings = load_settings(tree)
    listed = discover(tree, settings)
    for folder in folders(tree):
        # the watcher's path: everything below, then each path filtered on its own
        update = filter_candidates(tree, walk(tree, folder, gitignore=False), settings)
        assert update == below(listed, folder), folder


def test_a_walk_from_a_folder_is_the_walk_from_the_root_below_it(tree: Path) -> None:
    settings = load_settings(tree)
    for gitignore in (True, False):
        full = list(walk(tree, gitignore=gitignore))
        for folder in folders(tree):
            part = list(walk(tree, folder, gitignore=gitignore))
            assert set(part) == below(full, folder), (folder, gitignore)
            # and as the listing outside git filters it
            kept = _basic_filter(tree, part, settings, links=False)
            assert set(kept) <= set(_basic_filter(tree, full, settings, links=False))


@pytest.mark.parametrize("folder", ["pkg", "pkg/keep", "pkg/logs", "gen", "env", "node_modules"])
def test_files_appearing_in_a_folder_update_to_the_cold_scan(tree: Path, folder: str) -> None:
    """Through the Indexer, as the watcher uses it: a folder's files appear (moved in), then
    `update([folder])` gives the index a cold scan of the tree gives."""
    cold = scan_project(tree, write=False, reuse=False).data
    away = tree.parent / "away"
    shutil.move(tree / folder, away)
    indexer = Indexer(tree)
    indexer.scan(write=False)
    shutil.move(away, tree / folder)
    indexer.update([folder], write=False)
    assert indexer.data == cold


def test_a_file_event_follows_the_nested_gitignore_outside_git(tmp_path: Path) -> None:
    """A watcher's file event outside git (`filter_candidates` without git) decides as the
    walk does: the deeper `!pattern` re-includes, an ignored folder on the way hides."""
    root = tmp_path / "project"
    make_tree(root, tmp_path / "outside")
    settings = load_settings(root)
    kept = filter_candidates(
        root, ["pkg/keep/keep_gen.py", "pkg/x_gen.py", "gen/generated.py"], settings
    )
    assert kept == {"pkg/keep/keep_gen.py"}
    indexer = Indexer(root)
    indexer.scan()
    (root / "pkg" / "keep" / "keep_gen.py").write_text(FLOW.format(name="edited"))
    indexer.update(["pkg/keep/keep_gen.py"])
    assert indexer.data == scan_project(root, reuse=False, write=False).data
