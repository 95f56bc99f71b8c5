"""Every diagnostic code acme-scan emits, with its severity and what it means."""

from __future__ import annotations

from typing import Literal

from acme_scan._records import FrozenRecord, _set

Severity = Literal["error", "warning", "info"]


class Code(FrozenRecord):
    __slots__ = ("code", "name", "severity", "summary")
    code: str
    name: str
    severity: Severity
    summary: str

    def __init__(self, code: str, name: str, severity: Severity, summary: str) -> None:
        _set(self, "code", code)
        _set(self, "name", name)
        _set(self, "severity", severity)
        _set(self, "summary", summary)


INTERNAL = Code(
    "AS000", "internal-error", "error", "acme-scan failed on this file: a bug, please report it."
)
SYNTAX_ERROR = Code("AS001", "syntax-error", "error", "The file is not valid Python.")
UNDECODABLE = Code(
    "AS002", "undecodable", "error", "The file's bytes do not decode with its declared encoding."
)
UNREADABLE = Code("AS003", "unreadable", "error", "The file could not be read.")
POSITIONAL_NAME = Code(
    "AS101",
    "positional-argument",
    "error",
    '`@flow(...)` called with a positional argument (`@flow("x")`): a TypeError at import.',
)
INVALID_NAME = Code(
    "AS102",
    "invalid-name",
    "error",
    "A flow name Prefect rejects (contains / % & < >, or is not a string).",
)
RESERVED_PARAMETER = Code(
    "AS103",
    "reserved-parameter",
    "error",
    "A flow parameter named `return_state` or `wait_for`, which Prefect reserves.",
)
DYNAMIC_NAME = Code(
    "AS104", "dynamic-name", "warning", "The flow's name cannot be known without running code."
)
NOT_LOADABLE = Code(
    "AS105",
    "not-loadable",
    "warning",
    "A flow Prefect cannot load from an entrypoint (defined inside a function or under "
    '`if __name__ == "__main__":`).',
)
UNKNOWN_KEYWORD = Code(
    "AS106",
    "unknown-keyword",
    "error",
    "A keyword argument the flow decorator does not accept: a TypeError at import.",
)
UNKNOWN_FUNCTION = Code(
    "AS107",
    "unknown-function",
    "warning",
    "`flow(fn)` wraps a function not defined in this module: its signature is not known.",
)

CONDITIONAL_FLOW = Code(
    "AS108",
    "conditional-flow",
    "warning",
    "A flow defined differently in several branches: which one exists depends on run time.",
)
WRAPPED_FLOW = Code(
    "AS109",
    "wrapped-flow",
    "warning",
    "A decorator above the flow decorator may replace the flow object its entrypoint loads.",
)

INVALID_DAG_ID = Code(
    "AS401",
    "invalid-dag-id",
    "error",
    "A dag_id Airflow rejects (characters other than letters, digits, `_`, `.` and `-`, more "
    "than 250 characters, or not a string): an import error, so the file registers no DAG.",
)
DYNAMIC_DAG_ID = Code(
    "AS402",
    "dynamic-dag-id",
    "warning",
    "The DAG's dag_id (or whether Airflow registers it) cannot be known without running code.",
)
DAG_NOT_REGISTERED = Code(
    "AS403",
    "dag-not-registered",
    "warning",
    "A DAG Airflow does not register: a bare `DAG(...)` statement, a `@dag` function never "
    "called at import, `auto_register=False` without a global, or under "
    '`if __name__ == "__main__":`.',
)
DAG_IN_FUNCTION = Code(
    "AS404",
    "dag-in-function",
    "warning",
    "A DAG made inside a function that the module does not call at import: whether Airflow "
    "registers it depends on run time.",
)
DAG_IMPORT_ERROR = Code(
    "AS405",
    "dag-import-error",
    "error",
    "A DAG or asset construction that raises when the file is imported (a positional or "
    "unknown argument, a missing `schedule`, ...): the file registers no DAG.",
)
DUPLICATE_DAG_IN_FILE = Code(
    "AS406",
    "duplicate-dag-in-file",
    "warning",
    "Two DAGs with one dag_id in one file: Airflow keeps only one, and which one is not reliable.",
)

ALL_CODES: tuple[Code, ...] = (
    INTERNAL,
    SYNTAX_ERROR,
    UNDECODABLE,
    UNREADABLE,
    POSITIONAL_NAME,
    INVALID_NAME,
    RESERVED_PARAMETER,
    DYNAMIC_NAME,
    NOT_LOADABLE,
    UNKNOWN_KEYWORD,
    UNKNOWN_FUNCTION,
    CONDITIONAL_FLOW,
    WRAPPED_FLOW,
    INVALID_DAG_ID,
    DYNAMIC_DAG_ID,
    DAG_NOT_REGISTERED,
    DAG_IN_FUNCTION,
    DAG_IMPORT_ERROR,
    DUPLICATE_DAG_IN_FILE,
)
