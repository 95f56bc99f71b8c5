"""The pure scanning core (no I/O): `scan_source(bytes, path) -> ModuleScan`."""

from acme_scan.scanner.core import could_define_flows, scan_source

__all__ = ["could_define_flows", "scan_source"]
