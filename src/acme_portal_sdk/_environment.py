"""Loading of the project's `.env` file when `acme_portal_sdk` is imported.

acme-portal-sdk 1.x called `dotenv.load_dotenv()` on import, so user code in
`.acme_portal_sdk/` may rely on variables (e.g. `PREFECT_API_URL`) defined only in `.env`.
This keeps that behaviour with two guarantees: a variable already set in the process
environment is never overridden, and nothing is printed or logged above DEBUG.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

ENV_FILE_NAME = ".env"


def find_env_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the nearest `.env` file in `start` (default: the cwd) or one of its parents.

    The extension runs its calls with the workspace root as the current directory, so the
    project's `.env` is found first; the upward walk matches python-dotenv's `find_dotenv`.
    Returns None when there is none or the directory cannot be determined.
    """
    try:
        directory = Path(start if start is not None else os.getcwd()).absolute()
    except OSError:  # the current directory was removed
        return None
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / ENV_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def load_env_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """Load the `.env` found by `find_env_file` into `os.environ` without overriding.

    Variables already present in the environment keep their value (`override=False`); the
    file is parsed by python-dotenv, as in acme-portal-sdk 1.x, so quoting, `export` and
    `${VAR}` interpolation behave the same. An unreadable file is skipped (logged at DEBUG):
    importing the SDK must not fail because of it. Returns the path loaded, or None.
    """
    path = find_env_file(start)
    if path is None:
        return None
    from dotenv import load_dotenv

    try:
        load_dotenv(path, override=False)
    except (OSError, ValueError) as exc:  # ValueError covers UnicodeDecodeError
        logger.debug("not loading %s: %s", path, exc)
        return None
    return path
