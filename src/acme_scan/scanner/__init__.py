"""The pure scanning core (no I/O): `scan_source(bytes, path) -> ModuleScan`.

May import only the shared top-level modules (`codes`, `models`): no other layer.

`engine` is the one analysis (parse, bindings, scopes, constants, positions, diagnostics);
each framework is one recogniser module over it (`prefect`, `airflow`), listed in
`core.RECOGNISERS`.

A wheel may hold these modules compiled by mypyc (`hatch_build.py`): the same source, as C
extension modules; `compiled()` says which runs.
"""

from acme_scan.scanner import engine
from acme_scan.scanner.core import could_define_flows, scan_data, scan_source

__all__ = ["compiled", "could_define_flows", "scan_data", "scan_source"]


def compiled() -> bool:
    """Whether the analysis runs compiled by mypyc (an extension module), not as Python."""
    return not (engine.__file__ or "").endswith(".py")
