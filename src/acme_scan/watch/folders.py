"""Which folders of a project a watcher watches: those files can be scanned from.

A folder is left out, with everything below it, when the default rules exclude it (hidden
folders such as `.git` or `.venv`, `node_modules`, `__pycache__`, `site-packages`, ...: see
`discovery.is_excluded_dir`), when it holds `pyvenv.cfg` (a virtualenv, whatever its name),
when `.gitignore` rules ignore it (unless files the index holds live below it: git scans
tracked files in ignored folders), when it cannot be listed, or when it is a link. So a
`.venv` or a `node_modules` never costs a watch, nor a listing at each reconcile.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from acme_scan.index.discovery import ignored_folders, is_excluded_dir
from acme_scan.settings import Settings

#: (device, inode) of a folder: a folder replaced by another of the same name is another one.
Identity = tuple[int, int]


def survey(
    root: Path, top: str, settings: Settings, indexed: Iterable[str] = ()
) -> dict[str, Identity]:
    """The folders to watch at and below `top` (POSIX, relative to `root`; "" is the root),
    with their identities. `indexed` are the files the index holds (their folders are kept
    even when ignored). Empty when `top` itself is not to be watched or is gone.
    """
    keep = _folders_of(indexed)
    found: dict[str, Identity] = {}
    if top and (
        is_excluded_dir(top) or _inside_venv(root, top) or _ignored(root, [top], settings, keep)
    ):
        return found
    level: list[str] = [top]
    while level:
        children: list[str] = []
        for rel in level:
            listed = _list(root, rel)
            if listed is None:
                continue
            identity, subfolders, is_venv = listed
            if is_venv and rel:
                continue
            found[rel] = identity
            children.extend(subfolders)
        ignored = _ignored(root, children, settings, keep)
        level = [rel for rel in children if rel not in ignored]
    return found


def _list(root: Path, rel: str) -> tuple[Identity, list[str], bool] | None:
    """A folder's identity, its subfolders worth a look, and whether it is a virtualenv."""
    full = os.path.join(root, rel) if rel else str(root)
    try:
        info = os.stat(full, follow_symlinks=False)
        if not stat.S_ISDIR(info.st_mode):  # links to folders are not followed
            return None
        subfolders: list[str] = []
        is_venv = False
        with os.scandir(full) as entries:
            for entry in entries:
                if entry.name == "pyvenv.cfg":
                    is_venv = True
                    continue
                child = f"{rel}/{entry.name}" if rel else entry.name
                try:
                    if not entry.is_dir(follow_symlinks=False):
                        continue
                except OSError:
                    continue
                if not is_excluded_dir(child):
                    subfolders.append(child)
    except OSError:
        return None
    return (info.st_dev, info.st_ino), sorted(subfolders), is_venv


def _inside_venv(root: Path, rel: str) -> bool:
    parts = rel.split("/")[:-1]
    return any(
        os.path.isfile(os.path.join(root, *parts[:depth], "pyvenv.cfg"))
        for depth in range(1, len(parts) + 1)
    )


def _ignored(root: Path, rels: list[str], settings: Settings, keep: set[str]) -> set[str]:
    if not rels:
        return set()
    return ignored_folders(root, rels, settings) - keep


def _folders_of(files: Iterable[str]) -> set[str]:
    folders: set[str] = set()
    for rel in files:
        parent = rel.rpartition("/")[0]
        while parent and parent not in folders:
            folders.add(parent)
            parent = parent.rpartition("/")[0]
    return folders
