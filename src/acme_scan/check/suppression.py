"""Per-line suppression comments: `# acme-scan: ignore[AS201, AS105]` or `# acme-scan: ignore`.

The comment goes on the line a finding is reported at (the `def` line for flow rules, the
key's line in the deploy config). With codes it suppresses those codes; bare, it suppresses
every finding on the line. Findings about a whole file (line 0) cannot be suppressed this way:
use `ignore` in `[tool.acme-scan]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from acme_scan import _log
from acme_scan.check.finding import Finding

logger = _log.get(__name__)

_COMMENT = re.compile(r"#\s*acme-scan:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)

_LINES = re.compile(r"\r\n|\r|\n")  # line ends as Python counts them (not str.splitlines)

#: The codes a line suppresses; None stands for every code.
LineRule = frozenset[str] | None


def suppressions(text: str) -> dict[int, LineRule]:
    """The suppression comments of a file's text, by 1-based line."""
    result: dict[int, LineRule] = {}
    for number, line in enumerate(_LINES.split(text), 1):
        if "acme-scan" not in line.lower():
            continue
        match = _COMMENT.search(line)
        if match is None:
            continue
        listed = match.group("codes")
        if listed is None:
            result[number] = None
        else:
            codes = frozenset(code.strip().upper() for code in listed.split(",") if code.strip())
            result[number] = codes
    return result


def suppressed(finding: Finding, lines: dict[int, LineRule]) -> bool:
    if finding.line not in lines:
        return False
    codes = lines[finding.line]
    return codes is None or finding.code in codes


def apply_suppressions(root: Path, findings: Iterable[Finding]) -> tuple[list[Finding], int]:
    """The findings not suppressed by a comment, and how many were."""
    kept: list[Finding] = []
    count = 0
    cache: dict[str, dict[int, LineRule]] = {}
    for finding in findings:
        if finding.line <= 0:
            kept.append(finding)
            continue
        if finding.path not in cache:
            cache[finding.path] = _read(root / finding.path)
        if suppressed(finding, cache[finding.path]):
            count += 1
        else:
            kept.append(finding)
    return kept, count


def _read(path: Path) -> dict[int, LineRule]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        logger.debug("cannot read %s for suppression comments: %s", path, exc)
        return {}
    if b"acme-scan" not in data.lower():  # most files: no line to look at (as `suppressions`)
        return {}
    return suppressions(data.decode("utf-8", errors="replace"))
