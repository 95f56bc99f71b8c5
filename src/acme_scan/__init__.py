"""acme_scan: exact static discovery of Prefect flows, without importing user code.

The public API is what this module exports (pinned by a test):

- `scan_source(source, path)`: the pure core, bytes in, `ModuleScan` out.
- `scan_project(root)`: discover, scan and keep the index file of a project.
- `load_index(path)`: read and validate an index file.
- the models of the index file and the error root `AcmeScanError`.
"""

from acme_scan._version import __version__
from acme_scan.errors import AcmeScanError, ConfigError, IndexFileError, RootError
from acme_scan.models import (
    Diagnostic,
    FileRecord,
    Flow,
    Index,
    ModuleScan,
    Parameter,
    Value,
)
from acme_scan.project import ProjectScan, ScanStats, default_index_path, scan_project
from acme_scan.scanner import could_define_flows, scan_source
from acme_scan.settings import Settings, load_settings
from acme_scan.store import dump_index, load_index, write_index

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
