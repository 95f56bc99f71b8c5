"""The catalogue of `acme-scan check` rules: stable codes, default severities, short docs.

Codes are grouped by what they look at:

- `AS0xx`, `AS1xx`: per-file diagnostics of the scanner (see `acme_scan.codes`), reused as
  they are: the file does not parse, the decorator would raise at import, the name cannot be
  known, the flow cannot be deployed.
- `AS2xx`: the flows of the whole project (names that collide) and opt-in style rules.
- `AS3xx`: the per-flow deploy config file (`static_flow_deploy_config.yaml`).

Rules marked `default=False` are opt-in: they run only when selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from acme_scan import codes
from acme_scan.codes import Severity

Origin = Literal["scanner", "project", "deploy-config"]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    default: bool
    origin: Origin
    summary: str
    doc: str


_SCANNER_DOCS: dict[str, str] = {
    codes.INTERNAL.code: "acme-scan crashed on this file. The rest of the project is still "
    "checked. Please report it with the file (or a reduced copy).",
    codes.SYNTAX_ERROR.code: "A file that mentions Prefect's `flow` is not valid Python: "
    "Prefect would fail to import it, and its flows cannot be found. The position is "
    "CPython's. (Files that never mention both `prefect` and `flow` are not parsed unless "
    "`prefilter = false`.)",
    codes.UNDECODABLE.code: "The file's bytes do not decode with its declared encoding "
    "(PEP 263 coding cookie, default UTF-8): Python refuses to import it.",
    codes.UNREADABLE.code: "The file could not be read (permissions, a broken link).",
    codes.POSITIONAL_NAME.code: '`@flow("x")` passes the name positionally; `flow()` takes '
    "the function as its only positional argument, so this is a TypeError at import. Write "
    '`@flow(name="x")`.',
    codes.INVALID_NAME.code: "Prefect rejects flow names containing `/`, `%`, `&`, `<` or "
    "`>` (InvalidNameError at import), and names that are not strings. Rename the flow.",
    codes.RESERVED_PARAMETER.code: "Prefect reserves the parameter names `return_state` and "
    "`wait_for` (ReservedArgumentError at import). Rename the parameter.",
    codes.DYNAMIC_NAME.code: "The flow's `name=` is computed at run time (a call, a variable "
    "from another module, `**kwargs`), so no tool can know it without running code: the "
    "acme-portal tree cannot list it and duplicate names cannot be detected. Use a string "
    "literal or a module-level string constant.",
    codes.NOT_LOADABLE.code: "A flow defined inside a function, or under "
    '`if __name__ == "__main__":`, does not exist when Prefect imports the module from an '
    "entrypoint: no deployment can load it. Move it to module level.",
    codes.UNKNOWN_KEYWORD.code: "`flow()` does not accept this keyword argument: a TypeError "
    "at import. Check the spelling against Prefect's `flow` signature.",
    codes.UNKNOWN_FUNCTION.code: "`flow(fn)` wraps a function that is not defined in this "
    "module (imported or computed), so its signature and parameter schema are unknown.",
    codes.CONDITIONAL_FLOW.code: "The same name is bound to different flows in the branches of "
    "an `if`/`else` or `try`/`except`: which one the entrypoint loads (and so the flow's name) "
    "depends on run-time conditions. Define one flow and branch inside it, or give the "
    "variants different names.",
    codes.WRAPPED_FLOW.code: "A decorator above `@flow` runs last, and the entrypoint loads "
    "whatever it returns: a wrapper function is not a flow, and a deployment of it fails at "
    "run time. Put `@flow` outermost (staticmethod/classmethod may stay above it).",
    codes.INVALID_DAG_ID.code: "Airflow validates every dag_id (`^[\\w.-]+$`, Unicode letters "
    "allowed, at most 250 characters) when the DAG is made: a bad one raises at import, "
    "DagBag records an import error, and no DAG of the file is registered. Rename it.",
    codes.DYNAMIC_DAG_ID.code: "The dag_id is computed at run time (a loop variable, a "
    "function argument, `**kwargs`): which DAG Airflow registers cannot be known statically, "
    "so the DAG is listed with a null name and cannot be deployed from the tree. Use a "
    "literal or a module constant.",
    codes.DAG_NOT_REGISTERED.code: "DagBag keeps only DAGs held by module globals and DAGs "
    "whose `with` block exited (`auto_register=True`, the default). A bare `DAG(...)` "
    "statement, a DAG kept only in a dict, a `@dag` function never called at import, or "
    'code under `if __name__ == "__main__":` registers nothing.',
    codes.DAG_IN_FUNCTION.code: "A DAG made inside a function is registered only if the "
    "module calls that function when Airflow imports it; this module does not (or not at "
    "module level), so whether the DAG exists depends on other code. Make it at module "
    "level, or call the factory at module level.",
    codes.DAG_IMPORT_ERROR.code: "This DAG or asset construction raises when Airflow imports "
    "the file (a positional argument `DAG()` does not take, an unknown keyword, `@asset` "
    "without `schedule=` or used bare, `@asset` on a method or nested function): DagBag "
    "records an import error and registers no DAG of the file.",
    codes.DUPLICATE_DAG_IN_FILE.code: "Two DAGs of one file share a dag_id: DagBag keeps one, "
    "and when their tasks differ which one depends on the hash seed. No error is raised. "
    "Rename one of them.",
}

_SCANNER_RULES = tuple(
    Rule(
        code=code.code,
        name=code.name,
        severity=code.severity,
        default=True,
        origin="scanner",
        summary=code.summary,
        doc=_SCANNER_DOCS[code.code],
    )
    for code in codes.ALL_CODES
)

DUPLICATE_NAME = Rule(
    "AS201",
    "duplicate-name",
    "error",
    True,
    "project",
    "Two flows in the project have the same Prefect name.",
    "Prefect identifies a flow by its name: two functions with the same name share one flow "
    "(and its deployments, runs and concurrency) on the server, and the acme-portal tree "
    "cannot tell them apart. Reported at every definition, naming the others; aliases of "
    "one flow (`b = a`, `a.with_options(...)` keeping the name) are not duplicates. Give "
    "each flow its own `name=`.",
)
CONFLATED_NAME = Rule(
    "AS202",
    "conflated-name",
    "error",
    True,
    "project",
    "Two flow names differ only by `-` versus `_`.",
    "The acme-portal tree shows flow names with `-` replaced by `_`, and deployment names "
    "use the `-` form, so `load-data` and `load_data` become the same flow there and in the "
    "deploy config. Rename one of them.",
)
EMPTY_NAME = Rule(
    "AS203",
    "empty-name",
    "warning",
    True,
    "project",
    '`name=""` is ignored: Prefect uses the function name instead.',
    "Prefect computes `name or fn.__name__.replace('_', '-')`, so an empty name silently "
    "falls back to the function's name (the flow is listed under that name). Remove "
    '`name=""` or give a real name.',
)
DUPLICATE_DAG_ID = Rule(
    "AS204",
    "duplicate-dag-id",
    "error",
    True,
    "project",
    "Two files register Airflow DAGs with the same dag_id.",
    "Airflow's DagBag keeps the DAG of the file it loads first and records an import error "
    "(`AirflowDagDuplicatedIdException`) for every other file, so their other DAGs are lost "
    "too. Reported at every definition, naming the others. Give each DAG its own dag_id.",
)
MISSING_DESCRIPTION = Rule(
    "AS211",
    "missing-description",
    "warning",
    False,
    "project",
    "A flow without a description (no `description=`, no docstring).",
    "The description is what the acme-portal tree and the Prefect UI show for the flow and "
    "its deployments. Add a docstring or `description=`.",
)
MISSING_ANNOTATION = Rule(
    "AS212",
    "missing-annotation",
    "warning",
    False,
    "project",
    "A flow parameter without a type annotation.",
    "Unannotated parameters get an untyped entry in the parameter schema Prefect stores, so "
    "the UI cannot offer a typed form and parameters are not validated. `self`/`cls` of "
    "methods and `*args`/`**kwargs` are not reported.",
)
CONFIG_INVALID = Rule(
    "AS301",
    "deploy-config-invalid",
    "error",
    True,
    "deploy-config",
    "The deploy config is not valid YAML, or not a mapping of flow names to mappings.",
    "The deploy config is a YAML mapping whose keys are flow names and whose values are "
    "mappings of deployment settings. YAML errors are reported at the line and column the "
    "YAML parser gives.",
)
CONFIG_UNKNOWN_FLOW = Rule(
    "AS302",
    "deploy-config-unknown-flow",
    "error",
    True,
    "deploy-config",
    "A deploy-config entry for a flow that does not exist (or cannot be deployed).",
    "Every key must be the name of a deployable flow of the project, in its Prefect form "
    "(`load-data`) or its acme-portal form (`load_data`). An entry for a renamed or removed "
    "flow is dead configuration. When PATHS are given, the finding also touches files whose "
    "committed version (git HEAD) defined that flow, so the commit that renames a flow is "
    "the one refused.",
)
CONFIG_UNKNOWN_KEY = Rule(
    "AS303",
    "deploy-config-unknown-key",
    "error",
    True,
    "deploy-config",
    "A deploy-config entry has a key that is not a deployment setting.",
    "Allowed keys: work_pool_name, work_queue_name, parameters, cron, paused, "
    "concurrency_limit, description, triggers. Any other key is silently ignored by the "
    "deploy workflow, which usually hides a typo.",
)
CONFIG_WRONG_TYPE = Rule(
    "AS304",
    "deploy-config-wrong-type",
    "error",
    True,
    "deploy-config",
    "A deploy-config value (or flow-name key) has the wrong type.",
    "work_pool_name: a non-empty string; work_queue_name, description: a string or null; "
    "parameters: a mapping of parameter names to values; cron: a string; paused: true or "
    "false; concurrency_limit: a positive integer (or a mapping with an integer `limit`); "
    "triggers: a mapping from a trigger type (DeploymentEventTrigger, "
    "DeploymentMetricTrigger, DeploymentCompoundTrigger, DeploymentSequenceTrigger) to its "
    "arguments. A flow name YAML reads as another type (`yes:`, `123:`) must be quoted.",
)
CONFIG_INVALID_CRON = Rule(
    "AS305",
    "deploy-config-invalid-cron",
    "error",
    True,
    "deploy-config",
    "A deploy-config `cron` is not a valid cron expression.",
    "Five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of "
    "week 0-7 or SUN-SAT) made of `*`, values, ranges `a-b`, steps `/n` and comma lists; "
    "`?` and `L` in the day fields, `DAY#n` and `Ln` in the day of week; or one of @yearly, "
    "@annually, @monthly, @weekly, @daily, @midnight, @hourly.",
)
CONFIG_DUPLICATE_ENTRY = Rule(
    "AS306",
    "deploy-config-duplicate-entry",
    "error",
    True,
    "deploy-config",
    "Two deploy-config entries (or keys of one entry) for the same thing.",
    "YAML loaders keep only the last of duplicate keys, silently; and `load-data` and "
    "`load_data` name the same flow. Merge the entries.",
)
CONFIG_IGNORED_KEY = Rule(
    "AS307",
    "deploy-config-ignored-key",
    "warning",
    True,
    "deploy-config",
    "A deploy-config key the deploy workflow never reads (`name`, `import_path`).",
    "acme-portal-sdk 1.x examples show `name` and `import_path` in entries, but the deploy "
    "workflow takes both from the flow itself: editing them changes nothing. Remove them.",
)
CONFIG_UNKNOWN_PARAMETER = Rule(
    "AS308",
    "deploy-config-unknown-parameter",
    "error",
    True,
    "deploy-config",
    "A deploy-config `parameters` entry names a parameter the flow does not take.",
    "Runs of the deployment would fail to bind their parameters. Not reported for flows "
    "with `**kwargs` or an unknown signature. The finding touches the flow's file too.",
)

RULES: tuple[Rule, ...] = (
    *_SCANNER_RULES,
    DUPLICATE_NAME,
    CONFLATED_NAME,
    EMPTY_NAME,
    DUPLICATE_DAG_ID,
    MISSING_DESCRIPTION,
    MISSING_ANNOTATION,
    CONFIG_INVALID,
    CONFIG_UNKNOWN_FLOW,
    CONFIG_UNKNOWN_KEY,
    CONFIG_WRONG_TYPE,
    CONFIG_INVALID_CRON,
    CONFIG_DUPLICATE_ENTRY,
    CONFIG_IGNORED_KEY,
    CONFIG_UNKNOWN_PARAMETER,
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


def matching(selector: str) -> list[Rule]:
    """The rules a selector names: `ALL`, a code (`AS201`), a prefix (`AS2`), or a name."""
    wanted = selector.strip()
    if wanted.upper() == "ALL":
        return list(RULES)
    by_name = [rule for rule in RULES if rule.name == wanted.lower()]
    if by_name:
        return by_name
    return [rule for rule in RULES if rule.code.startswith(wanted.upper())] if wanted else []
