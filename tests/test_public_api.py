"""The public API is what __init__ exports; this pins it (change it on purpose only)."""

from __future__ import annotations

import acme_scan
from tests.conftest import python_in_fresh_process


def test_acme_scan_public_names() -> None:
    assert sorted(acme_scan.__all__) == [
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
    for name in acme_scan.__all__:
        assert hasattr(acme_scan, name)


def test_scanner_never_imports_prefect_or_airflow() -> None:
    code = (
        "import sys, acme_scan, acme_scan.cli.scan;"
        "acme_scan.scan_project('examples/acme_prefect', write=False);"
        "acme_scan.scan_project('examples/acme_airflow', write=False);"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('prefect', 'airflow')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = python_in_fresh_process(code)
    assert result.returncode == 0, result.stdout + result.stderr
