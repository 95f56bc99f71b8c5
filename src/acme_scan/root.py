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
from pathlib import Path

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
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    for parent in start.parents:
        try:
            info = parent.stat()
        except OSError:
            break
        if info.st_mode & stat.S_IWOTH or (uid is not None and info.st_uid not in (uid, 0)):
            break
        folders.append(parent)
    return folders


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
