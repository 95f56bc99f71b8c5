"""Which files of a project are scanned.

Inside a git work tree git itself answers (`git ls-files --cached --others --exclude-standard`),
so `.gitignore`, `.git/info/exclude` and the global excludes file apply exactly as git applies
them. Elsewhere the tree is walked and `.gitignore` files are applied with `pathspec`. In both
cases the default excludes (VCS folders, virtual environments, `site-packages`,
`node_modules`, caches, build output, hidden folders) and `[tool.acme-scan]` include/exclude
patterns apply; symlinks never lead out of the root and directory links are not followed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pathspec

from acme_scan.settings import Settings

logger = logging.getLogger(__name__)

#: Folder names never descended into (any depth below the root).
DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        "__pycache__",
        "site-packages",
        "dist-packages",
        "node_modules",
        "venv",
        "__pypackages__",
    }
)
#: Build output folders, excluded at the top of the root only (a package may be named `build`).
DEFAULT_EXCLUDED_TOP_DIRS = frozenset({"build", "dist"})


def _excluded_dir_name(name: str, top: bool = False) -> bool:
    return (
        name.startswith(".")
        or name in DEFAULT_EXCLUDED_DIRS
        or name.endswith(".egg-info")
        or (top and name in DEFAULT_EXCLUDED_TOP_DIRS)
    )


def _pattern_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec[Any] | None:
    return pathspec.GitIgnoreSpec.from_lines(patterns) if patterns else None


def discover(root: Path, settings: Settings) -> list[str]:
    """POSIX paths (relative to `root`) of the Python files to scan, sorted."""
    files: list[str] | None = None
    if settings.respect_gitignore:
        files = _git_files(root)
    if files is None:
        files = list(_walk(root, settings.respect_gitignore))
    include = _pattern_spec(settings.include)
    exclude = _pattern_spec(settings.exclude)
    venvs: dict[str, bool] = {}
    result: list[str] = []
    for rel in files:
        if not rel.endswith(".py"):
            continue
        parts = rel.split("/")
        if any(_excluded_dir_name(part, i == 0) for i, part in enumerate(parts[:-1])):
            continue
        if len(parts) > 1 and _inside_venv(root, parts[:-1], venvs):
            continue
        if exclude is not None and exclude.match_file(rel):
            continue
        if include is not None and not include.match_file(rel):
            continue
        if not _inside_root(root, rel):
            continue
        result.append(rel)
    result.sort()
    return result


def _inside_venv(root: Path, dirs: list[str], cache: dict[str, bool]) -> bool:
    """A folder holding `pyvenv.cfg` is a virtual environment, whatever its name."""
    current = ""
    for part in dirs:
        current = f"{current}/{part}" if current else part
        if current not in cache:
            cache[current] = os.path.isfile(os.path.join(root, current, "pyvenv.cfg"))
        if cache[current]:
            return True
    return False


def _inside_root(root: Path, rel: str) -> bool:
    """False for a file link leading out of the root (or dangling).

    Neither git nor the walk descends into linked folders, so only the file itself can be
    a link.
    """
    full = os.path.join(root, rel)
    if not os.path.islink(full):
        return True
    try:
        Path(full).resolve(strict=True).relative_to(root.resolve())
    except (OSError, ValueError):
        logger.debug("skipping %s: a link that leaves the root or dangles", rel)
        return False
    return True


def _git_files(root: Path) -> list[str] | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        inside = subprocess.run(
            [git, "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        ignored = subprocess.run(
            [git, "-C", str(root), "check-ignore", "-q", "."],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if ignored.returncode == 0:
            # The root itself is ignored by its work tree (say, a .venv inside a checkout):
            # git lists nothing there, so walk it, honouring the .gitignore files inside it.
            return None
        listing = subprocess.run(
            [
                git,
                "-C",
                str(root),
                "-c",
                "core.quotepath=off",
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                "*.py",
            ],
            capture_output=True,
            check=False,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning(
            "git could not list files under %s (%s); walking the tree instead", root, exc
        )
        return None
    if listing.returncode != 0:
        logger.warning(
            "git ls-files failed under %s: %s; walking the tree instead",
            root,
            listing.stderr.decode(errors="replace").strip(),
        )
        return None
    names = listing.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    unique = sorted({name for name in names if name})
    return [name for name in unique if os.path.isfile(root / name)]


def _walk(root: Path, respect_gitignore: bool) -> Iterator[str]:
    specs: list[tuple[str, pathspec.PathSpec[Any]]] = []

    def ignored(rel: str, is_dir: bool) -> bool:
        for base, spec in specs:
            if base and not rel.startswith(base + "/"):
                continue
            sub = rel[len(base) + 1 :] if base else rel
            if spec.match_file(sub + ("/" if is_dir else "")):
                return True
        return False

    def walk(directory: Path, rel_dir: str) -> Iterator[str]:
        pushed = False
        if respect_gitignore:
            gitignore = directory / ".gitignore"
            try:
                lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            if lines:
                specs.append((rel_dir, pathspec.GitIgnoreSpec.from_lines(lines)))
                pushed = True
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            logger.warning("cannot list %s: %s", directory, exc.strerror or exc)
            entries = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if _excluded_dir_name(entry.name, not rel_dir) or ignored(rel, True):
                        continue
                    yield from walk(Path(entry.path), rel)
                elif entry.name.endswith(".py") and entry.is_file() and not ignored(rel, False):
                    yield rel
            except OSError:
                continue
        if pushed:
            specs.pop()

    yield from walk(root, "")
