"""Loading of the project's `.env` file when `acme_portal_sdk` is imported, and which
settings came from it.

acme-portal-sdk 1.x called `dotenv.load_dotenv()` on import, so user code in
`.acme_portal_sdk/` may rely on variables (e.g. `PREFECT_API_URL`) defined only in `.env`.
This keeps that behaviour with these guarantees:

- only the project's own `.env` is read: the one in the project root that
  `acme_scan.root.find_root` finds from the current directory (the workspace, under the
  extension). A `.env` in a folder above the project (a shared `/tmp`, a parent checkout) is
  never read;
- a variable already set in the process environment is never overridden;
- nothing is printed or logged above DEBUG;
- the names it set are remembered (`source_of`), so that an API URL from `.env` is never
  combined with an API key from elsewhere (see `check_credential_sources`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from acme_scan import _log

logger = _log.get(__name__)

ENV_FILE_NAME = ".env"
#: Set to `1` to let a server URL and a credential come from different sources.
ALLOW_MIXED_SOURCES = "ACME_PORTAL_SDK_ALLOW_MIXED_CREDENTIALS"

#: Variables this process got from a `.env` file, and which file.
_from_env_file: dict[str, Path] = {}


def find_env_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The `.env` of the project holding `start` (default: the cwd), or None.

    Only the project root's own file counts (`acme_scan.root.find_root`), never one above it.
    """
    from acme_scan.root import find_root

    try:
        root = find_root(start)
    except OSError:  # the current directory was removed
        return None
    candidate = root / ENV_FILE_NAME
    return candidate if candidate.is_file() else None


def load_env_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """Load the `.env` found by `find_env_file` into `os.environ` without overriding.

    Variables already present in the environment keep their value; the file is parsed by
    python-dotenv, as in acme-portal-sdk 1.x, so quoting, `export` and `${VAR}`
    interpolation behave the same. An unreadable file is skipped (logged at DEBUG):
    importing the SDK must not fail because of it. Returns the path loaded, or None.
    """
    path = find_env_file(start)
    if path is None:
        return None
    from dotenv import load_dotenv

    before = set(os.environ)
    try:
        load_dotenv(path, override=False)
    except (OSError, ValueError) as exc:  # ValueError covers UnicodeDecodeError
        logger.debug("not loading %s: %s", path, exc)
        return None
    _from_env_file.update(dict.fromkeys(set(os.environ) - before, path))
    return path


def source_of(name: str) -> str | None:
    """Where the environment variable `name` comes from: the `.env` file (its path), the
    process environment (`"the environment"`), or None when it is not set.

    A `.env` in the current directory that defines it also counts when the environment does
    not: Prefect's own settings read that file.
    """
    if name in _from_env_file and os.environ.get(name) is not None:
        return str(_from_env_file[name])
    if name in os.environ:
        return "the environment"
    local = Path(ENV_FILE_NAME)
    if local.is_file():
        from dotenv import dotenv_values

        try:
            if dotenv_values(local).get(name) is not None:
                return str(local.absolute())
        except (OSError, ValueError):
            return None
    return None


def check_credential_sources(url_setting: str, credentials: Iterable[str]) -> None:
    """Refuse a server URL and a credential that come from different sources.

    `credentials` are the names of the credential settings that have a value (from any
    source, a Prefect profile included). A source is a `.env` file, the environment, or
    (neither) a profile. Without this, a `.env` naming only the URL would make the client
    send the user's own key to whatever server the repository chose.
    """
    if os.environ.get(ALLOW_MIXED_SOURCES) == "1":
        return
    from acme_portal_sdk.errors import CredentialSourceError

    url_source = source_of(url_setting) or "your profile"
    for name in credentials:
        key_source = source_of(name) or "your profile"
        if key_source != url_source:
            raise CredentialSourceError(
                f"{url_setting} comes from {url_source} but {name} from {key_source}: "
                f"refusing to send a credential to a server named by another source. Set "
                f"both in the same place, or set {ALLOW_MIXED_SOURCES}=1 if you trust that "
                "server"
            )
