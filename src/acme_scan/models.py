"""The data contract of acme_scan: per-module scan results and the index file.

Every model is frozen (results cross process pools and are shared between threads) and every
field carries a description, so the JSON Schema exported by `acme-scan schema` documents the
index file on its own. Positions are 1-based lines and 1-based columns (as compilers and
linters print them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from acme_scan._version import SCHEMA_VERSION, __version__

Severity = Literal["error", "warning", "info"]
ParameterKind = Literal[
    "positional_only", "positional_or_keyword", "var_positional", "keyword_only", "var_keyword"
]
FlowForm = Literal["decorator", "call", "with_options", "dag", "dag_decorator", "asset"]
Framework = Literal["prefect", "airflow"]
FileStatus = Literal["parsed", "skipped", "failed"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Value(_Model):
    """A Python expression as written in source, with its value when it is a literal."""

    value: Any = Field(
        default=None,
        description="The JSON value of the expression when it is a literal (or a constant that "
        "resolves to one); null when `dynamic` is true.",
    )
    source: str = Field(description="The expression exactly as written in the source file.")
    dynamic: bool = Field(
        description="True when the value cannot be known without running the code."
    )


class Parameter(_Model):
    """One parameter of a flow function's signature."""

    name: str = Field(description="The parameter's name.")
    kind: ParameterKind = Field(description="The parameter kind, as `inspect.Parameter.kind`.")
    annotation: str | None = Field(
        default=None, description="The annotation as written in source, or null."
    )
    default: Value | None = Field(
        default=None, description="The default value, or null when the parameter has none."
    )
    required: bool = Field(
        description="True when a caller must pass the parameter (no default, not *args/**kwargs)."
    )


class Diagnostic(_Model):
    """Something the scanner could not or must not accept, with its location."""

    path: str = Field(description="POSIX path of the file, relative to the index root.")
    line: int = Field(description="1-based line (0 when the problem concerns the whole file).")
    column: int = Field(description="1-based column (0 when the problem concerns the whole file).")
    code: str = Field(description="Stable diagnostic code, e.g. `AS001`.")
    severity: Severity = Field(description="`error`, `warning` or `info`.")
    message: str = Field(description="One line saying what is wrong and what to do.")


class Flow(_Model):
    """A Prefect flow or an Airflow DAG found statically, with what its orchestrator would
    compute for it (`framework` says which)."""

    framework: Framework = Field(
        description="`prefect` (a flow) or `airflow` (a DAG). Consumers of one orchestrator "
        "ignore the other's entries."
    )

    id: str = Field(
        description="Stable identifier: the same flow (path and qualname) has the same id on "
        "every run and machine."
    )
    name: str | None = Field(
        description="Prefect's flow name: the `name=` value, else the function name with `_` "
        "replaced by `-`. For a DAG, its dag_id: `dag_id=` (or the positional id), else the "
        "`@dag`/`@asset` function's name (`name=` for `@asset`). Null when it cannot be known "
        "statically."
    )
    function: str | None = Field(
        description="The name of the decorated function (`fn.__name__`); null for a DAG made "
        "with `DAG(...)`."
    )
    qualname: str | None = Field(
        description="Qualified name of the object Prefect loads: `func`, `Class.method`, or the "
        "module-level variable for call forms (`<locals>` parts for nested flows). For a DAG: "
        "the `@dag`/`@asset` function, or the module-level variable the DAG is bound to (the "
        "`as` name of its `with`); null when none."
    )
    path: str = Field(description="POSIX path of the file, relative to the index root.")
    entrypoint: str | None = Field(
        description="Prefect entrypoint `path:qualname`, null when the flow is not deployable."
    )
    form: FlowForm = Field(
        description="Prefect: `decorator` (@flow), `call` (x = flow(fn)) or `with_options` "
        "(y = x.with_options(...)). Airflow: `dag` (`DAG(...)`, in a `with` or assigned), "
        "`dag_decorator` (a `@dag` function) or `asset` (`@asset` / `@asset.multi`)."
    )
    line: int = Field(
        description="Line of the `def` (of the assignment for call forms), 1-based. For a DAG: "
        "the `def` line of a `@dag`/`@asset` function, else the line of the statement that "
        "constructs the `DAG(...)`."
    )
    column: int = Field(description="Column of the `def` or assignment, 1-based.")
    decorator_line: int | None = Field(
        description="Line of the flow decorator (of the flow call for call forms), 1-based."
    )
    end_line: int = Field(description="Last line of the function (or assignment), 1-based.")
    is_async: bool = Field(description="True for `async def` flows.")
    is_method: bool = Field(description="True when the function is defined in a class body.")
    description: str | None = Field(
        description="The `description=` value, else the docstring cleaned as `inspect.getdoc` "
        "does, else null. For a DAG: Airflow's description, the `description=` value only (a "
        "docstring becomes `doc_md`, not the description), else null."
    )
    kwargs: dict[str, Value] = Field(
        description="Every keyword argument given to the flow decorator (merged with "
        "`with_options` arguments for that form). For a DAG, the arguments of `DAG(...)`, "
        "`@dag(...)` or `@asset(...)` (`schedule`, `tags`, ...), with `dag_id` always present "
        "(also when given positionally, or taken from the function's name)."
    )
    parameters: list[Parameter] = Field(description="The function's parameters, in order.")
    parameter_schema: dict[str, Any] | None = Field(
        description="The parameter schema in the shape Prefect stores as a deployment's "
        "`parameter_openapi_schema`. Unknown annotations give untyped properties; null when "
        "the function is not defined in the scanned module (its signature is unknown)."
    )
    deployable: bool = Field(
        description="True when Prefect can load the flow from its entrypoint: false when it is "
        'defined inside a function or under `if __name__ == "__main__":`, or when its name '
        "is rebound later in the module. For a DAG: true when Airflow's DagBag registers it "
        "from this file (the diagnostics say why not)."
    )


class ModuleScan(_Model):
    """The outcome of scanning one module's source: a value, never an exception."""

    path: str = Field(description="POSIX path of the file, relative to the index root.")
    status: FileStatus = Field(
        description="`parsed`, `skipped` (cannot define a flow, not parsed) or `failed` "
        "(unreadable, undecodable or not valid Python)."
    )
    flows: tuple[Flow, ...] = Field(default=(), description="Flows in source order.")
    diagnostics: tuple[Diagnostic, ...] = Field(default=(), description="Diagnostics in order.")


class FileRecord(_Model):
    """What the index remembers of one scanned file (used to re-index incrementally)."""

    size: int = Field(description="Size in bytes when scanned.")
    hash: str = Field(description="BLAKE2b-128 hex digest of the file's bytes.")
    status: FileStatus = Field(description="How the scan of this file ended.")
    flows: list[str] = Field(description="Ids of the flows defined in this file, in order.")
    diagnostics: list[Diagnostic] = Field(description="Diagnostics of this file, in order.")


class Index(_Model):
    """The flow index file: every flow of a project, kept up to date by acme-scan."""

    schema_version: Literal[2] = Field(
        default=SCHEMA_VERSION, description="Version of this file format."
    )
    scanner_version: str = Field(
        default=__version__, description="Version of acme-scan that wrote the index."
    )
    settings_hash: str = Field(
        default="",
        description="Digest of the scan settings; an index written with other settings is "
        "re-validated rather than trusted.",
    )
    flows: list[Flow] = Field(description="Every flow, sorted by path, then line, then id.")
    diagnostics: list[Diagnostic] = Field(
        description="Every diagnostic, sorted by path, then line, then column, then code."
    )
    files: dict[str, FileRecord] = Field(
        description="Every scanned file by POSIX path relative to the root."
    )
