"""Which folder is the project: found by walking up from where a command starts.

The rule, as ruff, mypy and pytest apply it: from the start folder upwards, the nearest
folder whose `pyproject.toml` has a `[tool.acme-scan]` table; else the nearest folder with a
`pyproject.toml`; else the top of the git work tree holding the start folder; else the start
folder itself.

The walk never leaves the git work tree it starts in, and never enters a folder that another
user owns or that anyone may write to (a shared `/tmp`, say): a `pyproject.toml` or `.env`
planted there by someone else must not decide which project this is.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from acme_scan.errors import AcmeScanError, RootError
from acme_scan.text import shown

_SECTION = b"[tool.acme-scan]"


def find_root(start: os.PathLike[str] | str | None = None) -> Path:
    """The project root for `start` (a folder or a file; default: the current directory)."""
    here = Path(os.path.abspath(start if start is not None else os.getcwd()))
    if not here.is_dir():
        here = here.parent
    nearest: Path | None = None
    git_top: Path | None = None
    for folder in _trusted_ancestors(here):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            if _has_section(pyproject):
                return folder
            if nearest is None:
                nearest = folder
        if (folder / ".git").exists():
            git_top = folder
            break
    if nearest is not None:
        return nearest
    return git_top if git_top is not None else here


def _trusted_ancestors(start: Path) -> list[Path]:
    """`start` and the folders above it, up to the first one we must not trust."""
    folders = [start]
    for parent in start.parents:
        if _shared(parent):
            break
        folders.append(parent)
    return folders


def _shared(folder: Path) -> bool:
    """A folder anyone may write to, or another user owns (or that cannot be stat'ed)."""
    try:
        info = folder.stat()
    except OSError:
        return True
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    return bool(info.st_mode & stat.S_IWOTH) or (uid is not None and info.st_uid not in (uid, 0))


def _has_section(pyproject: Path) -> bool:
    try:
        raw = pyproject.read_bytes()
    except OSError:
        return False
    if _SECTION not in raw and b'"acme-scan"' not in raw and b"'acme-scan'" not in raw:
        return False
    try:
        import tomllib

        data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "acme-scan" in tool


class ProjectPathsError(AcmeScanError):
    """The paths given to a command do not belong to one project (or not to `--root`)."""


def project_root(
    paths: Sequence[str | os.PathLike[str]] = (),
    root: str | os.PathLike[str] | None = None,
) -> Path:
    """The one project a command works on (resolved), as every command decides it.

    With `root` (`--root`), that folder, which must exist; every path must then be inside
    it. Without, `find_root` of each path (of the current directory when there is none);
    paths of different projects are an error, never some of them silently ignored.
    Missing paths are the caller's to report (`check` names them); they count here by the
    folder they would be in.
    """
    if root is not None:
        chosen = Path(os.path.abspath(root))
        if not chosen.exists():
            raise RootError(chosen, "no such directory (given as the project root)")
        if not chosen.is_dir():
            raise RootError(chosen, "not a directory: give the root folder of a project")
        chosen = chosen.resolve()
        outside = [str(path) for path in paths if not _inside(Path(path), chosen)]
        if outside:
            listed = ", ".join(shown(path) for path in outside[:5])
            raise ProjectPathsError(
                f"outside the project root {chosen}: {listed}; "
                "give paths inside --root, or another --root"
            )
        return chosen
    if not paths:
        return find_root().resolve()
    found: dict[Path, list[str]] = {}
    cwd = Path(os.getcwd())
    for path in paths:
        start = _existing(Path(path))
        folder = find_root(start)
        if not _marked(folder) and _inside(start, cwd):
            # No project around the path: the project the cwd is in, as ruff does; but a
            # cwd that is no project and never could be one (the filesystem's root, a
            # shared world-writable folder such as /tmp) leaves the path its own root.
            around = find_root(cwd)
            if _marked(around) or not _unfit_root(around):
                folder = around
        found.setdefault(folder.resolve(), []).append(str(path))
    if len(found) > 1:
        listed = "; ".join(
            f"{folder} ({', '.join(shown(p) for p in given[:3])})"
            for folder, given in sorted(found.items())
        )
        raise ProjectPathsError(
            f"the paths belong to {len(found)} projects: {listed}; "
            "check one project at a time (or give --root)"
        )
    return next(iter(found))


def _unfit_root(folder: Path) -> bool:
    """The filesystem's root, or a folder others may write to (or own): never a project
    unless it says so."""
    return folder.parent == folder or _shared(folder)


def _marked(folder: Path) -> bool:
    """Whether `find_root` chose `folder` for a reason (not as the start folder)."""
    return (folder / "pyproject.toml").is_file() or (folder / ".git").exists()


def _existing(path: Path) -> Path:
    """`path`, or its nearest existing ancestor (a missing path counts by its folder)."""
    absolute = Path(os.path.abspath(path))
    while not absolute.exists() and absolute != absolute.parent:
        absolute = absolute.parent
    return absolute


def _inside(path: Path, root: Path) -> bool:
    absolute = Path(os.path.abspath(path))
    for candidate in (absolute, _existing(absolute).resolve()):
        try:
            candidate.relative_to(root)
        except ValueError:
            continue
        return True
    return False


def relative_to_cwd(
    path: os.PathLike[str] | str,
    root: os.PathLike[str] | str | None = None,
    cwd: os.PathLike[str] | str | None = None,
) -> str:
    """`path` as every command prints it (POSIX): relative to the current directory when it
    is below it, or when the current directory is inside the project `root` (`../a.py`
    from a subfolder); absolute otherwise."""
    base = os.path.abspath(cwd if cwd is not None else os.getcwd())
    absolute = os.path.abspath(path)
    inside = [absolute] if root is None else [absolute, os.path.abspath(root)]
    if any(_below(base, candidate) for candidate in inside):
        return Path(os.path.relpath(absolute, base)).as_posix()
    return Path(absolute).as_posix()


def _below(base: str, path: str) -> bool:
    """Whether one of `base` and `path` is inside the other."""
    return os.path.commonpath([base, path]) in (base, path)
