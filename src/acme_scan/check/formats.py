"""Output formats of `acme-scan check`: plug-ins over one list of findings (ruff's names).

| format | for |
|---|---|
| `concise` | people: `path:line:col: CODE [severity] message` (the default) |
| `full` | people: `concise` plus the source line with a caret and the rule's summary |
| `json` | programs: one document (`version` 1, see the README) |
| `json-lines` | programs: one finding object per line |
| `github` | GitHub workflow annotations (`::error file=...`) |
| `sarif` | SARIF 2.1.0, for GitHub code scanning and other SARIF readers |
| `junit` | JUnit XML, for CI test reports |
| `gitlab` | GitLab Code Quality reports |

Renderers return text; only the CLI prints it. Human and GitHub output show paths relative to
the current directory (`../flows/a.py` from a subfolder), so editors and GitHub can open
them; JSON, SARIF, JUnit and GitLab give root-relative paths.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from acme_scan._hashes import blake2b
from acme_scan._version import __version__
from acme_scan.check.finding import Finding
from acme_scan.check.rules import RULES, RULES_BY_CODE
from acme_scan.check.runner import CheckResult
from acme_scan.root import relative_to_cwd

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/acme-portal/acme-portal-sdk"


@dataclass(frozen=True)
class Style:
    """How human output is drawn: colour or not, and paths relative to `cwd`."""

    colour: bool = False
    cwd: Path | None = None
    fixable: frozenset[Finding] = field(default_factory=frozenset)

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text


def use_colour(stream: IO[str] | None, environ: Mapping[str, str] | None = None) -> bool:
    """Colour when `stream` is a terminal, unless NO_COLOR; always with FORCE_COLOR.

    Both follow https://no-color.org and https://force-color.org: set and non-empty counts.
    """
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if stream is None or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def display_path(root: Path, path: str, cwd: Path | None = None) -> str:
    """`path` (relative to `root`) as seen from the current directory (`../x.py` above it)."""
    return relative_to_cwd(root / path, root, cwd)


_SEVERITY_COLOURS = {"error": "1;31", "warning": "1;33", "info": "1;36"}


def _headline(result: CheckResult, finding: Finding, style: Style) -> str:
    where = display_path(result.root, finding.path, style.cwd)
    fix = " [*]" if finding in style.fixable else ""
    return (
        f"{style.paint(where, '1')}:{finding.line}:{finding.column}: "
        f"{style.paint(finding.code, _SEVERITY_COLOURS[finding.severity])}{fix} "
        f"[{finding.severity}] {finding.message}"
    )


def render_concise(result: CheckResult, style: Style | None = None) -> str:
    """`path:line:col: CODE [severity] message`, grouped by file (a blank line between).

    `[*]` after the code marks a finding `--fix` can fix.
    """
    style = style if style is not None else Style()
    lines: list[str] = []
    previous: str | None = None
    for finding in result.findings:
        if previous is not None and finding.path != previous:
            lines.append("")
        previous = finding.path
        lines.append(_headline(result, finding, style))
    return "".join(line + "\n" for line in lines)


render_human = render_concise


def render_full(result: CheckResult, style: Style | None = None) -> str:
    """Each finding, then its source line with a caret under the column, then the rule."""
    style = style if style is not None else Style()
    sources: dict[str, list[str] | None] = {}
    blocks: list[str] = []
    for finding in result.findings:
        lines = [_headline(result, finding, style)]
        if finding.path not in sources:
            sources[finding.path] = _source_lines(result.root / finding.path)
        source = sources[finding.path]
        if source is not None and 1 <= finding.line <= len(source):
            text = source[finding.line - 1].rstrip("\r\n").expandtabs(4)
            number = str(finding.line)
            gutter = " " * len(number)
            column = max(finding.column, 1)
            prefix = source[finding.line - 1][: column - 1].expandtabs(4)
            lines += [
                f"{gutter} {style.paint('|', '34')}",
                f"{style.paint(number, '34')} {style.paint('|', '34')} {text}",
                f"{gutter} {style.paint('|', '34')} {' ' * len(prefix)}"
                f"{style.paint('^', _SEVERITY_COLOURS[finding.severity])}",
                f"{gutter} {style.paint('|', '34')}",
            ]
        rule = RULES_BY_CODE.get(finding.code)
        if rule is not None:
            lines.append(f"  = {rule.name}: {rule.summary}")
        for location in finding.related:
            where = display_path(result.root, location.path, style.cwd)
            lines.append(f"  = see {where}:{location.line}:{location.column}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _source_lines(path: Path) -> list[str] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


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


def _dumps(document: Any) -> str:
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"


def render_json(result: CheckResult, style: Style | None = None) -> str:
    """The findings as a JSON document (schema in the README, `version` 1)."""
    fixable = style.fixable if style is not None else frozenset()
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
        "findings": [_finding_json(finding, fixable) for finding in result.findings],
    }
    return _dumps(document)


def render_json_lines(result: CheckResult, style: Style | None = None) -> str:
    """One JSON object per finding and line (the objects of `json`'s `findings`)."""
    fixable = style.fixable if style is not None else frozenset()
    return "".join(
        orjson.dumps(_finding_json(finding, fixable), option=orjson.OPT_SORT_KEYS).decode() + "\n"
        for finding in result.findings
    )


def _finding_json(finding: Finding, fixable: frozenset[Finding] = frozenset()) -> dict[str, Any]:
    rule = RULES_BY_CODE.get(finding.code)
    return {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "code": finding.code,
        "name": rule.name if rule is not None else None,
        "severity": finding.severity,
        "message": finding.message,
        "fixable": finding in fixable,
        "related": [
            {"path": location.path, "line": location.line, "column": location.column}
            for location in finding.related
        ],
    }


_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def render_github(result: CheckResult, style: Style | None = None) -> str:
    """GitHub workflow commands: `::error file=...,line=...,col=...,title=CODE::message`."""
    cwd = style.cwd if style is not None else None
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


_SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(result: CheckResult, style: Style | None = None) -> str:
    """A SARIF 2.1.0 log: every rule with its help text, every finding as a result.

    Paths are relative to `%SRCROOT%`, the project root (what GitHub code scanning expects
    when the root is the repository).
    """
    index = {rule.code: position for position, rule in enumerate(RULES)}
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.doc},
            "help": {"text": rule.doc},
            "defaultConfiguration": {
                "level": _SARIF_LEVELS[rule.severity],
                "enabled": rule.default,
            },
            "properties": {"origin": rule.origin},
        }
        for rule in RULES
    ]
    results = []
    for finding in result.findings:
        entry: dict[str, Any] = {
            "ruleId": finding.code,
            "level": _SARIF_LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [_sarif_location(finding.path, finding.line, finding.column)],
        }
        if finding.code in index:
            entry["ruleIndex"] = index[finding.code]
        if finding.related:
            entry["relatedLocations"] = [
                {**_sarif_location(location.path, location.line, location.column), "id": number}
                for number, location in enumerate(finding.related)
            ]
        results.append(entry)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "acme-scan",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": result.root.as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return _dumps(document)


def _sarif_location(path: str, line: int, column: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}}
    if line > 0:
        region: dict[str, int] = {"startLine": line}
        if column > 0:
            region["startColumn"] = column
        physical["region"] = region
    return {"physicalLocation": physical}


def render_junit(result: CheckResult, style: Style | None = None) -> str:
    """JUnit XML: one test suite per file, one failing test case per finding."""
    import xml.etree.ElementTree as ET  # only this format needs it

    suites = ET.Element(
        "testsuites",
        name="acme-scan",
        tests=str(max(len(result.findings), 1)),
        failures=str(len(result.findings)),
        errors="0",
    )
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    if not by_path:
        suite = ET.SubElement(suites, "testsuite", name="acme-scan", tests="1", failures="0")
        suite.set("errors", "0")
        ET.SubElement(suite, "testcase", name="No errors found", classname="acme-scan")
    for path, findings in by_path.items():
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=path,
            tests=str(len(findings)),
            failures=str(len(findings)),
            errors="0",
        )
        for finding in findings:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"acme-scan.{finding.code}",
                classname=path,
                line=str(finding.line),
                column=str(finding.column),
            )
            failure = ET.SubElement(case, "failure", message=finding.message)
            failure.set("type", finding.severity)
            failure.text = f"line {finding.line}, col {finding.column}, {finding.message}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


_GITLAB_SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}


def render_gitlab(result: CheckResult, style: Style | None = None) -> str:
    """A GitLab Code Quality report (a JSON list); fingerprints are stable across runs."""
    seen: Counter[str] = Counter()
    issues = []
    for finding in result.findings:
        key = f"{finding.code}\0{finding.path}\0{finding.message}"
        seen[key] += 1
        fingerprint = blake2b(f"{key}\0{seen[key]}".encode(), digest_size=16).hexdigest()
        issues.append(
            {
                "description": f"{finding.code} {finding.message}",
                "check_name": finding.code,
                "fingerprint": fingerprint,
                "severity": _GITLAB_SEVERITIES[finding.severity],
                "location": {"path": finding.path, "lines": {"begin": max(finding.line, 1)}},
            }
        )
    return _dumps(issues)


def render_statistics(
    result: CheckResult, style: Style | None = None, *, as_json: bool = False
) -> str:
    """How many findings each rule has: `COUNT CODE [*] NAME` lines, most first (or JSON)."""
    fixable = style.fixable if style is not None else frozenset()
    counts = Counter(finding.code for finding in result.findings)
    fixes = Counter(finding.code for finding in result.findings if finding in fixable)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if as_json:
        return _dumps(
            [
                {
                    "code": code,
                    "name": RULES_BY_CODE[code].name if code in RULES_BY_CODE else None,
                    "count": count,
                    "fixable": fixes[code] > 0,
                }
                for code, count in rows
            ]
        )
    width = max((len(str(count)) for _, count in rows), default=1)
    lines = []
    for code, count in rows:
        name = RULES_BY_CODE[code].name if code in RULES_BY_CODE else ""
        mark = "[*]" if fixes[code] else "   "
        lines.append(f"{count:>{width}}\t{code}\t{mark} {name}")
    return "".join(line + "\n" for line in lines)


Renderer = Callable[[CheckResult, Style], str]

RENDERERS: dict[str, Renderer] = {
    "concise": render_concise,
    "full": render_full,
    "json": render_json,
    "json-lines": render_json_lines,
    "github": render_github,
    "sarif": render_sarif,
    "junit": render_junit,
    "gitlab": render_gitlab,
}
#: Formats with colour when the output is a terminal.
HUMAN_FORMATS = frozenset({"concise", "full"})
