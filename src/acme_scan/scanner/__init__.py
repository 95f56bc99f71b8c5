"""The pure scanning core (no I/O): `scan_source(bytes, path) -> ModuleScan`.

May import only the shared top-level modules (`codes`, `models`): no other layer.

`engine` is the one analysis (parse, bindings, scopes, constants, positions, diagnostics);
each framework is one recogniser module over it (`prefect`, `airflow`), listed in
`core.RECOGNISERS`.
"""

from acme_scan.scanner.core import could_define_flows, scan_data, scan_source

__all__ = ["could_define_flows", "scan_data", "scan_source"]
