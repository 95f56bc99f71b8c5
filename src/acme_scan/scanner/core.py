"""The pure scanning core: module source in, flows and diagnostics out.

`scan_source` touches no filesystem, clock, network or Prefect, and never imports, execs or
evals the code it reads: CPython's parser builds the tree (`_parse`, LibCST only for syntax
newer than the running interpreter), the engine walks it in execution order tracking what
each name is bound to (`engine`), and each framework's recogniser says what is a flow
(`prefect`). `scan_data` returns the result as index JSON data and loads neither pydantic
nor LibCST on the fast path; `scan_source` validates it into a `ModuleScan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from acme_scan import codes
from acme_scan.scanner._compile_screen import certainly_compiles
from acme_scan.scanner._parse import Parsed, compile_error, parse
from acme_scan.scanner._source import DecodeFailure, decode_source
from acme_scan.scanner.airflow import AirflowRecogniser
from acme_scan.scanner.engine import Recogniser, Source, Walker, diagnostic
from acme_scan.scanner.prefect import PrefectRecogniser

if TYPE_CHECKING:
    from acme_scan.models import ModuleScan

#: One recogniser per framework; a file is walked once for each that may find something.
RECOGNISERS: tuple[Recogniser, ...] = (PrefectRecogniser(), AirflowRecogniser())


def could_define_flows(source: bytes, frameworks: Sequence[str] | None = None) -> bool:
    """Whether some recogniser's prefilter lets `source` through (else it is not parsed)."""
    return any(
        recogniser.could_define(source)
        for recogniser in RECOGNISERS
        if frameworks is None or recogniser.name in frameworks
    )


#: Every framework's name (`[tool.acme-scan] frameworks` selects among them).
FRAMEWORKS: tuple[str, ...] = tuple(sorted(r.name for r in RECOGNISERS))


def scan_source(
    source: bytes,
    path: str,
    *,
    prefilter: bool = True,
    frameworks: Sequence[str] | None = None,
) -> ModuleScan:
    """Scan one module's bytes; `path` is its POSIX path relative to the project root.

    `frameworks` names the recognisers to run (default: all of `FRAMEWORKS`).
    """
    from acme_scan.models import ModuleScan

    return ModuleScan.model_validate(
        scan_data(source, path, prefilter=prefilter, frameworks=frameworks)
    )


def scan_data(
    source: bytes,
    path: str,
    *,
    prefilter: bool = True,
    frameworks: Sequence[str] | None = None,
) -> dict[str, Any]:
    """`scan_source` as index JSON data: `{"path", "status", "flows", "diagnostics"}`."""
    recognisers = [
        r
        for r in RECOGNISERS
        if (frameworks is None or r.name in frameworks)
        and (not prefilter or r.could_define(source))
    ]
    if not recognisers:
        return _result(path, "skipped")
    text = decode_source(source)
    if isinstance(text, DecodeFailure):
        failure = diagnostic(codes.UNDECODABLE, path, text.line, text.column, text.message)
        return _result(path, "failed", diagnostics=[failure])
    parsed = parse(text, path)
    if not isinstance(parsed, Parsed):
        return _result(path, "failed", diagnostics=[parsed])
    try:
        return _analyse(parsed, Source(text), path, recognisers)
    except (RecursionError, MemoryError) as exc:
        message = (
            f"the module is too deeply nested to analyse ({type(exc).__name__}); "
            "its flows are not indexed"
        )
        return _result(
            path, "failed", diagnostics=[diagnostic(codes.INTERNAL, path, 0, 0, message)]
        )


def _analyse(
    parsed: Parsed, source: Source, path: str, recognisers: list[Recogniser]
) -> dict[str, Any]:
    flows: list[dict[str, Any]] = []
    diagnostics: list[dict[str, Any]] = []
    for recogniser in recognisers:
        found, reported = Walker(parsed.tree, source, path, recogniser.fresh()).run()
        for flow in found:
            flow.setdefault("framework", recogniser.name)
        flows.extend(found)
        diagnostics.extend(reported)
    if not flows and not diagnostics:
        return _result(path, "parsed")
    # Only a module with findings is compiled (never executed) to see that it can be imported,
    # and only when the conservative screen cannot clear it (a LibCST tree is always compiled).
    if parsed.lowered or not certainly_compiles(parsed.tree, source.text):
        refused = compile_error(parsed.tree, path, lowered=parsed.lowered)
        if refused is not None:
            return _result(path, "failed", diagnostics=[refused])
    diagnostics.sort(key=lambda d: (d["line"], d["column"], d["code"], d["message"]))
    return _result(path, "parsed", flows, diagnostics)


def _result(
    path: str,
    status: str,
    flows: list[dict[str, Any]] | None = None,
    diagnostics: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {"path": path, "status": status, "flows": flows or [], "diagnostics": diagnostics or []}
