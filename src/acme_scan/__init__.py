"""acme_scan: exact static discovery of Prefect flows, without importing user code.

The public API is what this module exports (pinned by a test):

- `scan_source(source, path)`: the pure core, bytes in, `ModuleScan` out.
- `scan_project(root)`: discover, scan and keep the index file of a project.
- `load_index(path)`: read and validate an index file.
- the models of the index file and the error root `AcmeScanError`.

Names are imported on first use (PEP 562), so `import acme_scan` stays cheap: a command
that only reads an up-to-date index never loads the parser or the models.
"""

from __future__ import annotations

import os as _os
import sys as _sys


def _protect_sys_path(*packages: str) -> None:
    """Under `python -m PACKAGE`, take the current directory off the front of `sys.path`.

    `python -m` puts the current directory first, so a scanned project's own `pydantic.py`
    or `prefect.py` would be imported instead of the real one. This runs before any other
    import of the package; it only acts when one of `packages` is what `-m` runs.
    """
    argv = getattr(_sys, "orig_argv", [])
    run = any(
        (arg == "-m" and argv[i + 1 : i + 2] == [package]) or arg == f"-m{package}"
        for i, arg in enumerate(argv)
        for package in packages
    )
    if run and _sys.path and _sys.path[0] in ("", _os.getcwd()):
        del _sys.path[0]


# `acme_portal_sdk` imports this package first: one guard for both.
_protect_sys_path(__name__, "acme_portal_sdk")

import importlib  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from acme_scan._version import __version__  # noqa: E402

if _sys.version_info < (3, 11):  # pragma: no cover - Python 3.10: `tomllib` from its backport
    from acme_scan import _compat  # noqa: F401

if TYPE_CHECKING:
    from acme_scan.errors import AcmeScanError, ConfigError, IndexFileError, RootError
    from acme_scan.index.project import ProjectScan, ScanStats, default_index_path, scan_project
    from acme_scan.index.store import dump_index, load_index, write_index
    from acme_scan.models import (
        Diagnostic,
        FileRecord,
        Flow,
        Index,
        ModuleScan,
        Parameter,
        Value,
    )
    from acme_scan.scanner import could_define_flows, scan_source
    from acme_scan.settings import Settings, load_settings

_LOCATIONS = {
    "AcmeScanError": "acme_scan.errors",
    "ConfigError": "acme_scan.errors",
    "IndexFileError": "acme_scan.errors",
    "RootError": "acme_scan.errors",
    "Diagnostic": "acme_scan.models",
    "FileRecord": "acme_scan.models",
    "Flow": "acme_scan.models",
    "Index": "acme_scan.models",
    "ModuleScan": "acme_scan.models",
    "Parameter": "acme_scan.models",
    "Value": "acme_scan.models",
    "ProjectScan": "acme_scan.index.project",
    "ScanStats": "acme_scan.index.project",
    "default_index_path": "acme_scan.index.project",
    "scan_project": "acme_scan.index.project",
    "could_define_flows": "acme_scan.scanner",
    "scan_source": "acme_scan.scanner",
    "Settings": "acme_scan.settings",
    "load_settings": "acme_scan.settings",
    "dump_index": "acme_scan.index.store",
    "load_index": "acme_scan.index.store",
    "write_index": "acme_scan.index.store",
}

__all__ = [
    "AcmeScanError",
    "ConfigError",
    "Diagnostic",
    "FileRecord",
    "Flow",
    "Index",
    "IndexFileError",
    "ModuleScan",
    "Parameter",
    "ProjectScan",
    "RootError",
    "ScanStats",
    "Settings",
    "Value",
    "__version__",
    "could_define_flows",
    "default_index_path",
    "dump_index",
    "load_index",
    "load_settings",
    "scan_project",
    "scan_source",
    "write_index",
]


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'acme_scan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
