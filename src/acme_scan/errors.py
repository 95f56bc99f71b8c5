"""The one exception root of acme_scan and its structured subclasses.

OS and parser errors are converted into these at the loader boundary only; everything above
it (the index store, the CLI, the SDK) deals in these types.
"""

from __future__ import annotations

from pathlib import Path


class AcmeScanError(Exception):
    """Root of every error acme_scan raises on purpose."""


class ConfigError(AcmeScanError):
    """The `[tool.acme-scan]` settings are invalid."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: [tool.acme-scan]: {message}")


class RootError(AcmeScanError):
    """The root to scan does not exist or is not a directory."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class IndexFileError(AcmeScanError):
    """An index file cannot be read, parsed or written."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class IndexLockedError(AcmeScanError):
    """Another process holds the writer lock of an index file (a running `acme-scan watch`)."""

    def __init__(self, path: Path, owner: int | None) -> None:
        self.path = path
        self.owner = owner
        who = f"pid {owner}" if owner is not None else "another process"
        super().__init__(
            f"{path}: already kept up to date by a running `acme-scan watch` ({who}); "
            "stop it first, or give this one another index file with -o FILE"
        )
