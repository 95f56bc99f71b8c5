"""Rules over the flows of the whole project: colliding names, and opt-in style rules.

The Prefect rules (AS201-AS203, AS211, AS212) read Prefect flows only; AS204 reads the
Airflow DAGs Airflow would register.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from acme_scan.check import rules
from acme_scan.check.finding import Finding, Location
from acme_scan.check.rules import Rule
from acme_scan.index.views import FlowLike

_Definition = tuple[str, str, str | None]


def normalise(name: str) -> str:
    """The form under which `-`/`_` spellings of a flow name compare equal."""
    return name.replace("-", "_")


def check_flows(flows: Sequence[FlowLike], enabled: frozenset[str]) -> list[Finding]:
    """Findings of the AS2xx rules that are `enabled`."""
    findings: list[Finding] = []
    prefect = [flow for flow in flows if flow.framework == "prefect"]
    if rules.DUPLICATE_NAME.code in enabled or rules.CONFLATED_NAME.code in enabled:
        findings += colliding_names(prefect)
    if rules.DUPLICATE_DAG_ID.code in enabled:
        findings += duplicate_dag_ids(flow for flow in flows if flow.framework == "airflow")
    for flow in prefect:
        findings += _per_flow(flow)
    return [finding for finding in findings if finding.code in enabled]


def duplicate_dag_ids(dags: Iterable[FlowLike]) -> list[Finding]:
    """AS204: a dag_id registered by DAGs of several files (each file registers it once)."""
    by_id: dict[str, list[FlowLike]] = {}
    for dag in dags:
        if dag.name is not None and dag.deployable:
            by_id.setdefault(dag.name, []).append(dag)
    findings = []
    for dag_id, found in sorted(by_id.items()):
        if len({dag.path for dag in found}) < 2:
            continue
        ordered = sorted(found, key=lambda f: (f.path, f.line, f.column))
        for dag in ordered:
            others = [other for other in ordered if other.path != dag.path]
            shown = others[:RELATED]
            findings.append(
                _collision(
                    rules.DUPLICATE_DAG_ID,
                    dag,
                    shown,
                    f"dag_id {dag_id!r} is also registered by {_where(shown, len(others))}: "
                    "Airflow keeps only the first file's DAG and reports an import error for "
                    "the others; give each DAG its own dag_id",
                )
            )
    return findings


#: How many other definitions a collision finding names (and relates to).
RELATED = 5


def colliding_names(flows: Iterable[FlowLike]) -> list[Finding]:
    """AS201 (same name) and AS202 (same name once `-`/`_` are normalised) findings.

    Flows are grouped into definitions first: the flows of one file that wrap the same
    function (`b = a`, `c = a.with_options(retries=3)`) are one flow under several variables,
    not duplicates. Each definition of a colliding name is reported, naming the others.
    """
    groups: dict[str, dict[_Definition, FlowLike]] = {}
    by_function: dict[tuple[str, str, str | None], _Definition] = {}
    for flow in flows:
        if flow.name is None:
            continue
        definitions = groups.setdefault(normalise(flow.name), {})
        key = _definition(flow, by_function)
        current = definitions.get(key)
        if current is None or (current.form != "decorator" and flow.form == "decorator"):
            definitions[key] = flow
    findings: list[Finding] = []
    for definitions in groups.values():
        if len(definitions) < 2:
            continue
        ordered = sorted(definitions.values(), key=lambda f: (f.path, f.line, f.column))
        counts = Counter(flow.name for flow in ordered)  # one pass: a group may be huge
        for index, flow in enumerate(ordered):
            # At most RELATED others per finding: a name defined a thousand times must not
            # make a million-entry report (each definition still gets its own finding).
            nearby = (
                ordered[max(0, index - RELATED) : index] + ordered[index + 1 : index + 1 + RELATED]
            )
            same = [other for other in nearby if other.name == flow.name][:RELATED]
            similar = [other for other in nearby if other.name != flow.name][:RELATED]
            same_total = counts[flow.name] - 1
            similar_total = len(ordered) - 1 - same_total
            if same:
                findings.append(
                    _collision(
                        rules.DUPLICATE_NAME,
                        flow,
                        same,
                        f"flow name {flow.name!r} is also defined at {_where(same, same_total)}: "
                        "Prefect would treat them as one flow; give each a distinct name=",
                    )
                )
            if similar:
                names = ", ".join(sorted({repr(other.name) for other in similar}))
                findings.append(
                    _collision(
                        rules.CONFLATED_NAME,
                        flow,
                        similar,
                        f"flow name {flow.name!r} and {names} ({_where(similar, similar_total)}) "
                        "differ only by '-'/'_', which acme-portal and deployment names "
                        "conflate: rename one",
                    )
                )
    return findings


def _definition(
    flow: FlowLike, by_function: dict[tuple[str, str, str | None], _Definition]
) -> _Definition:
    """What identifies the function a flow object wraps (see `colliding_names`).

    A decorated function is its own definition; a call form (`b = a`, `flow(fn)`,
    `a.with_options(...)`) belongs to the first definition of the same name group wrapping
    the same function in the same file.
    """
    slot = (normalise(flow.name or ""), flow.path, flow.function)
    if flow.form == "decorator":
        own: _Definition = (flow.path, "def", flow.qualname)
        by_function.setdefault(slot, own)
        return own
    return by_function.setdefault(slot, (flow.path, "fn", flow.function))


def _collision(rule: Rule, flow: FlowLike, others: Sequence[FlowLike], message: str) -> Finding:
    return Finding(
        path=flow.path,
        line=flow.line,
        column=flow.column,
        code=rule.code,
        severity=rule.severity,
        message=message,
        related=tuple(Location(other.path, other.line, other.column) for other in others),
    )


def _where(flows: Sequence[FlowLike], total: int) -> str:
    shown = ", ".join(f"{flow.path}:{flow.line}:{flow.column}" for flow in flows)
    return shown if total <= len(flows) else f"{shown} and {total - len(flows)} more"


def _per_flow(flow: FlowLike) -> list[Finding]:
    findings: list[Finding] = []
    given = flow.kwargs.get("name")
    if given is not None and not given.dynamic and given.value == "":
        findings.append(
            _finding(
                rules.EMPTY_NAME,
                flow,
                f"`name={given.source}` is ignored: Prefect names this flow {flow.name!r} "
                "(from the function); remove it or give a name",
            )
        )
    if flow.description is None:
        findings.append(
            _finding(
                rules.MISSING_DESCRIPTION,
                flow,
                f"flow {flow.name or flow.qualname!r} has no description: add a docstring or "
                "description=",
            )
        )
    if flow.parameter_schema is not None:
        missing = [
            parameter.name
            for index, parameter in enumerate(flow.parameters)
            if parameter.annotation is None
            and parameter.kind not in ("var_positional", "var_keyword")
            and not (flow.is_method and index == 0 and parameter.name in ("self", "cls"))
        ]
        if missing:
            names = ", ".join(f"`{name}`" for name in missing)
            what = f"parameters {names} have" if len(missing) > 1 else f"parameter {names} has"
            findings.append(
                _finding(
                    rules.MISSING_ANNOTATION,
                    flow,
                    f"flow {flow.name or flow.qualname!r}: {what} no type annotation "
                    "(untyped in the parameter schema)",
                )
            )
    return findings


def _finding(rule: Rule, flow: FlowLike, message: str) -> Finding:
    return Finding(flow.path, flow.line, flow.column, rule.code, rule.severity, message)
