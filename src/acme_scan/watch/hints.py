"""What a file-system event asks a watcher to re-check: its hint.

Events are hints, never facts: the path an event names is re-checked on disk, whatever the
event said happened there. Python files and folders (created, deleted or moved: both sides
count) are re-checked; a `.gitignore` asks for a reconcile (which files are scanned may
have changed anywhere below it); the root's `pyproject.toml` asks for the settings to be
read again; a `pyvenv.cfg` asks for its folder (it became, or stopped being, a
virtualenv). Anything in an excluded folder, other files, and the index file with its
temporary and lock files (the watcher's own writes) are no hint at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from acme_scan.index.discovery import is_excluded_dir


class Kind(Enum):
    FILE = "file"
    FOLDER = "folder"
    RECONCILE = "reconcile"
    SETTINGS = "settings"


@dataclass
class Hints:
    """The hints gathered since the last pass, and when the first and last came."""

    files: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)
    reconcile: bool = False
    settings: bool = False
    first: float = 0.0
    last: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.files or self.folders or self.reconcile or self.settings)

    def add(self, kind: Kind, rel: str, now: float) -> None:
        if not self:
            self.first = now
        self.last = now
        if kind is Kind.FILE:
            self.files.add(rel)
        elif kind is Kind.FOLDER:
            self.folders.add(rel)
        elif kind is Kind.SETTINGS:
            self.settings = True
        else:
            self.reconcile = True

    def due(self, quiet: float, max_wait: float) -> float:
        """When to act on them: after `quiet` without news, at most `max_wait` after the first."""
        return min(self.last + quiet, self.first + max_wait)


class OwnFiles:
    """The index file, its temporary files and its lock file, when they are under the root."""

    def __init__(self, root: Path, index_path: Path) -> None:
        try:
            rel: str | None = index_path.resolve().relative_to(root).as_posix()
        except ValueError:
            rel = None
        self.inside = rel is not None
        self.folder, _, self.name = (rel or "").rpartition("/")

    def holds(self, rel: str) -> bool:
        if not self.inside:
            return False
        folder, _, name = rel.rpartition("/")
        if folder != self.folder:
            return False
        return name in (self.name, f"{self.name}.lock") or (
            name.startswith(f".{self.name}.") and name.endswith(".tmp")
        )


def classify(rel: str, is_dir: bool, own: OwnFiles | None = None) -> tuple[Kind, str] | None:
    """The hint of an event on `rel` (POSIX, relative to the root), or None."""
    if not rel:
        return Kind.RECONCILE, ""  # the root itself went away: the next pass notices
    folder, _, name = rel.rpartition("/")
    if (folder and is_excluded_dir(folder)) or (own is not None and own.holds(rel)):
        return None
    if is_dir:
        return None if is_excluded_dir(rel) else (Kind.FOLDER, rel)
    if name == ".gitignore":
        return Kind.RECONCILE, rel
    if rel == "pyproject.toml":
        return Kind.SETTINGS, rel
    if name == "pyvenv.cfg":
        return (Kind.FOLDER, folder) if folder else (Kind.RECONCILE, rel)
    if name.endswith(".py"):
        return Kind.FILE, rel
    return None


def tops(folders: Iterable[str]) -> list[str]:
    """The folders none of whose ancestors is among `folders` ("" is the root)."""
    chosen: list[str] = []
    for rel in sorted(folders):
        if not any(under(rel, top) for top in chosen):
            chosen.append(rel)
    return chosen


def under(rel: str, top: str) -> bool:
    """Whether `rel` is `top` or below it ("" is the root)."""
    return not top or rel == top or rel.startswith(f"{top}/")
