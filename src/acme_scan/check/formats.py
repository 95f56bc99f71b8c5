"""Render check results: for people, as JSON, or as GitHub workflow annotations.

Renderers return text; only the CLI prints it. Human and GitHub output show paths relative to
the current directory (`../flows/a.py` from a subfolder), so editors and GitHub can open
them; JSON gives root-relative paths and the root.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from acme_scan.check.finding import Finding
from acme_scan.check.rules import RULES_BY_CODE
from acme_scan.check.runner import CheckResult
from acme_scan.root import relative_to_cwd

JSON_VERSION = 1


def display_path(root: Path, path: str, cwd: Path | None = None) -> str:
    """`path` (relative to `root`) as seen from the current directory (`../x.py` above it)."""
    return relative_to_cwd(root / path, root, cwd)


def render_human(result: CheckResult, cwd: Path | None = None) -> str:
    """`path:line:col: CODE [severity] message`, grouped by file (a blank line between)."""
    lines: list[str] = []
    previous: str | None = None
    for finding in result.findings:
        if previous is not None and finding.path != previous:
            lines.append("")
        previous = finding.path
        where = display_path(result.root, finding.path, cwd)
        lines.append(
            f"{where}:{finding.line}:{finding.column}: {finding.code} [{finding.severity}] "
            f"{finding.message}"
        )
    return "".join(line + "\n" for line in lines)


def summary(result: CheckResult) -> str:
    """One line for people: counts, files, time."""
    errors, warnings, infos = (result.count(s) for s in ("error", "warning", "info"))
    files = len({finding.path for finding in result.findings})
    parts = [_plural(errors, "error"), _plural(warnings, "warning")]
    if infos:
        parts.append(_plural(infos, "note"))
    found = ", ".join(parts)
    text = (
        f"acme-scan check: {found} in {_plural(files, 'file')}"
        if result.findings
        else "acme-scan check: no problems"
    )
    scope = (
        f"findings touching {_plural(len(result.paths), 'given path')}"
        if result.paths is not None
        else "whole project"
    )
    text += (
        f" ({scope}; {result.files} files, {result.flows} flows scanned"
        f"{f'; {result.suppressed} suppressed' if result.suppressed else ''}; "
        f"{result.seconds:.2f}s)"
    )
    return text + "\n"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_json(result: CheckResult) -> str:
    """The findings as a JSON document (schema in the README, `version` 1)."""
    document: dict[str, Any] = {
        "version": JSON_VERSION,
        "root": result.root.as_posix(),
        "paths": result.paths,
        "deploy_config": result.deploy_config,
        "summary": {
            "errors": result.count("error"),
            "warnings": result.count("warning"),
            "info": result.count("info"),
            "suppressed": result.suppressed,
            "files_scanned": result.files,
            "flows": result.flows,
        },
        "findings": [_finding_json(finding) for finding in result.findings],
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"


def _finding_json(finding: Finding) -> dict[str, Any]:
    rule = RULES_BY_CODE.get(finding.code)
    return {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "code": finding.code,
        "name": rule.name if rule is not None else None,
        "severity": finding.severity,
        "message": finding.message,
        "related": [
            {"path": location.path, "line": location.line, "column": location.column}
            for location in finding.related
        ],
    }


_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def render_github(result: CheckResult, cwd: Path | None = None) -> str:
    """GitHub workflow commands: `::error file=...,line=...,col=...,title=CODE::message`."""
    lines: list[str] = []
    for finding in result.findings:
        properties = [f"file={_property(display_path(result.root, finding.path, cwd))}"]
        if finding.line > 0:
            properties.append(f"line={finding.line}")
            if finding.column > 0:
                properties.append(f"col={finding.column}")
        properties.append(f"title={_property(finding.code)}")
        lines.append(
            f"::{_COMMANDS[finding.severity]} {','.join(properties)}::{_data(finding.message)}"
        )
    return "".join(line + "\n" for line in lines)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


RENDERERS: dict[str, Callable[[CheckResult], str]] = {
    "human": render_human,
    "json": render_json,
    "github": render_github,
}
