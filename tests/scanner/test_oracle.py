"""Differential test: what `scan_source` reports vs what real Prefect computes.

The fixture modules in tests/fixtures/oracle/ are safe to import. ONE subprocess (this
interpreter, so the venv's prefect) imports each of them, collects every `prefect.flows.Flow`
reachable as a module or class attribute, resolves every qualname the scanner reports the way
Prefect resolves an entrypoint (`import_object`: attribute by attribute), and prints what
Prefect computed: `flow.name`, `flow.description`, `parameter_schema(flow.fn).model_dump()`, ...
Each flow and each aspect is compared exactly. Differences that are known are listed in
KNOWN_DIFFERENCES (one flow per difference in the fixtures, so that the rest of the comparison
stays exact) and run as strict xfails: fixing the scanner turns them into failures to remove.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from acme_scan.models import Flow, ModuleScan
from acme_scan.scanner import scan_source

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "oracle"
FILES = sorted(FIXTURES.glob("*.py"))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


#: The scanner's view, computed at collection time (pure and fast) to parametrize the tests.
SCANS: dict[str, ModuleScan] = {
    _relative(p): scan_source(p.read_bytes(), _relative(p)) for p in FILES
}

ORACLE_SCRIPT = r"""
import importlib.util
import inspect
import json
import sys

try:
    import prefect  # noqa: F401
except ImportError as exc:
    print(json.dumps({"skip": f"prefect is not importable: {exc}"}))
    sys.exit(0)

from prefect.flows import Flow
from prefect.utilities.callables import parameter_schema


def describe(flow):
    return {
        "name": flow.name,
        "description": flow.description,
        "function": flow.fn.__name__,
        "is_async": flow.isasync,
        "version": flow.version,
        "retries": flow.retries,
        "retry_delay_seconds": flow.retry_delay_seconds,
        "timeout_seconds": flow.timeout_seconds,
        "log_prints": flow.log_prints,
        "persist_result": flow.persist_result,
        "flow_run_name": flow.flow_run_name if isinstance(flow.flow_run_name, str) else None,
        "parameter_schema": parameter_schema(flow.fn).model_dump(),
    }


SEEN = set()


def collect(namespace, prefix, module_name, found):
    # A flow object bound to several names (`alias = some_flow`) is one flow, found under
    # the name it was first bound to.
    for attr, value in list(vars(namespace).items()):
        raw = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
        if isinstance(raw, Flow):
            if getattr(raw.fn, "__module__", None) == module_name and id(raw) not in SEEN:
                SEEN.add(id(raw))
                found[prefix + attr] = describe(raw)
        elif (
            isinstance(raw, type)
            and raw.__module__ == module_name
            and raw.__qualname__ == prefix + attr
        ):
            collect(raw, prefix + attr + ".", module_name, found)


def resolve(module, qualname):
    # prefect.utilities.importtools.import_object: getattr part by part.
    obj = module
    try:
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except AttributeError as exc:
        return {"error": f"AttributeError: {exc}"}
    if not isinstance(obj, Flow):
        return {"error": f"not a Flow: {type(obj).__name__}"}
    return describe(obj)


request = json.load(sys.stdin)
result = {}
for index, (path, qualnames) in enumerate(sorted(request.items())):
    module_name = f"_acme_oracle_{index}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    attributes = {}
    collect(module, "", module_name, attributes)
    result[path] = {
        "attributes": attributes,
        "resolved": {qualname: resolve(module, qualname) for qualname in qualnames},
    }
json.dump(result, sys.stdout, allow_nan=True)
"""

Oracle = dict[str, dict[str, dict[str, dict[str, Any]]]]


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    home = tmp_path_factory.mktemp("prefect-home")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_ENABLED": "false",
            "PREFECT_API_URL": "http://127.0.0.1:9/api",  # never contacted
            "PREFECT_LOGGING_LEVEL": "ERROR",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    request = {path: [flow.qualname for flow in scan.flows] for path, scan in SCANS.items()}
    completed = subprocess.run(
        [sys.executable, "-c", ORACLE_SCRIPT],
        input=json.dumps(request),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    data: dict[str, Any] = json.loads(completed.stdout)
    if "skip" in data:
        pytest.skip(data["skip"])
    return data


def _normalised(value: Any) -> Any:
    """JSON round trip (tuples become lists), as the oracle's output went through JSON."""
    return json.loads(json.dumps(value, allow_nan=True))


# -- known differences -------------------------------------------------------------------------

INHERENT = "inherent: "
BUG = "scanner bug: "

#: (fixture file stem, qualname, aspect) -> why the scanner disagrees with Prefect.
KNOWN_DIFFERENCES: dict[tuple[str, str, str], str] = {
    # Annotations the scanner deliberately leaves untyped ({}) where pydantic types them.
    ("oracle_future", "future_type_checking_only", "parameter_schema"): BUG
    + "with `from __future__ import annotations`, one annotation naming a TYPE_CHECKING-only "
    "import makes inspect.signature(eval_str=True) fail, so Prefect leaves EVERY non-builtin "
    "string annotation unresolved (`datetime.date` -> untyped); the scanner still types them",
    # Defaults.
    ("oracle_defaults", "infinite_default", "parameter_schema"): INHERENT
    + "1e999 (inf) is not JSON; Prefect keeps 'default': inf",
    ("oracle_defaults", "big_int_default", "parameter_schema"): INHERENT
    + "`10**3` is an expression: dynamic default; Prefect: 'default': 1000",
    ("oracle_defaults", "call_default", "parameter_schema"): INHERENT
    + "`int('3')` is a call: dynamic default; Prefect: 'default': 3",
    ("oracle_defaults", "date_default", "parameter_schema"): INHERENT
    + "`datetime.date(2020, 1, 2)` is a call: dynamic default; Prefect: 'default': "
    "'2020-01-02'",
    # Docstrings.
    # Names.
    ("oracle_redefined", "under_wrapper", "loads"): INHERENT
    + "an outer user decorator returns a plain wrapper function; unknowable statically "
    "(`under_passthrough` happens to return the flow itself)",
}

ASPECTS = ("name", "description", "parameter_schema", "function", "options")
#: Keyword arguments whose literal value Prefect stores verbatim on the Flow object.
OPTIONS = (
    "version",
    "retries",
    "retry_delay_seconds",
    "log_prints",
    "persist_result",
    "flow_run_name",
    "timeout_seconds",
)


def _literal_options(flow: Flow) -> dict[str, Any]:
    return {
        keyword: value.value
        for keyword, value in flow.kwargs.items()
        if keyword in OPTIONS and not value.dynamic and value.value is not None
    }


def _mark(stem: str, qualname: str, aspect: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN_DIFFERENCES.get((stem, qualname, aspect))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _flow_params() -> list[Any]:
    params = []
    for path, scan in SCANS.items():
        stem = Path(path).stem
        for flow in scan.flows:
            params.append(
                pytest.param(
                    path,
                    flow.qualname,
                    id=f"{stem}:{flow.qualname}",
                    marks=_mark(stem, flow.qualname or "", "loads"),
                )
            )
    return params


def _aspect_params() -> list[Any]:
    params = []
    for path, scan in SCANS.items():
        stem = Path(path).stem
        for flow in scan.flows:
            if not flow.deployable or (stem, flow.qualname, "loads") in KNOWN_DIFFERENCES:
                continue  # nothing to compare: Prefect loads no flow there
            for aspect in ASPECTS:
                if aspect == "options" and not _literal_options(flow):
                    continue
                params.append(
                    pytest.param(
                        path,
                        flow.qualname,
                        aspect,
                        id=f"{stem}:{flow.qualname}:{aspect}",
                        marks=_mark(stem, flow.qualname or "", aspect),
                    )
                )
    return params


def _qualnames(scan: ModuleScan) -> list[str]:
    return [flow.qualname or "" for flow in scan.flows]


def _scanned(path: str, qualname: str) -> Flow:
    [flow] = [flow for flow in SCANS[path].flows if flow.qualname == qualname]
    return flow


# -- the tests ---------------------------------------------------------------------------------


def test_fixtures_are_all_scanned_and_imported(oracle: Oracle) -> None:
    assert len(FILES) >= 10
    assert set(oracle) == set(SCANS)
    for path, scan in SCANS.items():
        assert scan.status == "parsed", path
        assert oracle[path]["attributes"], f"{path}: Prefect found no flow"
        errors = [d for d in scan.diagnostics if d.severity == "error"]
        assert errors == [], path
    known_keys = {(Path(p).stem, q) for p, scan in SCANS.items() for q in _qualnames(scan)}
    stale = {key for key in KNOWN_DIFFERENCES if key[:2] not in known_keys}
    assert stale == set(), "KNOWN_DIFFERENCES names flows the scanner does not report"


@pytest.mark.parametrize("path", list(SCANS), ids=[Path(p).stem for p in SCANS])
def test_every_prefect_flow_is_found(oracle: Oracle, path: str) -> None:
    """Every Flow Prefect can reach as a module/class attribute is a deployable scanned flow."""
    deployable = {flow.qualname for flow in SCANS[path].flows if flow.deployable}
    assert set(oracle[path]["attributes"]) - deployable == set()


@pytest.mark.parametrize(("path", "qualname"), _flow_params())
def test_entrypoint_loads_a_flow_exactly_when_deployable(
    oracle: Oracle, path: str, qualname: str
) -> None:
    """Prefect's entrypoint resolution agrees with `deployable`/`entrypoint`."""
    flow = _scanned(path, qualname)
    resolved = oracle[path]["resolved"][qualname]
    if flow.deployable:
        assert flow.entrypoint == f"{path}:{qualname}"
        assert "error" not in resolved, resolved
    else:
        assert flow.entrypoint is None
        assert "error" in resolved, "Prefect loads a flow the scanner calls not deployable"


@pytest.mark.parametrize(("path", "qualname", "aspect"), _aspect_params())
def test_flow_matches_prefect(oracle: Oracle, path: str, qualname: str, aspect: str) -> None:
    flow = _scanned(path, qualname)
    prefect = oracle[path]["resolved"][qualname]
    assert "error" not in prefect, prefect
    if aspect == "name":
        assert flow.name == prefect["name"]
    elif aspect == "description":
        assert flow.description == prefect["description"]
    elif aspect == "parameter_schema":
        assert flow.parameter_schema is not None
        assert _normalised(flow.parameter_schema) == prefect["parameter_schema"]
    elif aspect == "function":
        assert (flow.function, flow.is_async) == (prefect["function"], prefect["is_async"])
    else:
        _compare_options(flow, prefect)


def _compare_options(flow: Flow, prefect: dict[str, Any]) -> None:
    """Literal keyword arguments end up on the Flow object as Prefect stores them."""
    options = _literal_options(flow)
    assert options
    for keyword, value in options.items():
        if keyword == "timeout_seconds":  # Prefect stores float(timeout) or None
            assert (float(value) if value else None) == prefect[keyword]
        else:
            assert value == prefect[keyword], keyword


def test_differential_covers_the_interesting_cases(oracle: Oracle) -> None:
    """Guard against the fixtures silently losing coverage."""
    total = sum(len(entry["attributes"]) for entry in oracle.values())
    assert total >= 150
    schemas = [
        flow["parameter_schema"]
        for entry in oracle.values()
        for flow in entry["attributes"].values()
    ]
    assert sum(1 for schema in schemas if schema["properties"]) >= 80
    assert any(
        "description" in prop for schema in schemas for prop in schema["properties"].values()
    )
    forms = {flow.form for scan in SCANS.values() for flow in scan.flows}
    assert forms == {"decorator", "call", "with_options"}
