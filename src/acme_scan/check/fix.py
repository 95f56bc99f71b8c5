"""Fixes as values (ruff's model): text edits over source ranges, marked safe or unsafe.

Rules only find; once every rule has run, `plan_fixes` asks a fixer per rule code (see
`fixers`) for the fix of each finding (the Python fixers parse with LibCST, only the files
being fixed; the deploy-config fixers read the YAML text), and `apply_fixes` applies the
chosen ones to each file in one pass, skipping a fix whose edits overlap one applied before
(it is left for the next run). Everything outside the edited ranges is kept byte for byte.

A fixer answers a `Fix`, or a `str` saying why this finding cannot be fixed safely enough to
offer one (reported as "not fixed").
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from acme_scan import _log
from acme_scan.check.finding import Finding
from acme_scan.confined import Folder, OutsideRootError, read_confined

logger = _log.get(__name__)

Applicability = Literal["safe", "unsafe"]


@dataclass(frozen=True, slots=True, order=True)
class Edit:
    """Replace the characters `start:end` of a file's text by `content`."""

    start: int
    end: int
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    """What `--fix` would do for one finding: edits of that finding's file."""

    edits: tuple[Edit, ...]
    applicability: Applicability
    description: str

    def overlaps(self, taken: Iterable[Edit]) -> bool:
        return any(
            (edit.start < other.end and other.start < edit.end) or edit.start == other.start
            for edit in self.edits
            for other in taken
        )


@dataclass
class FileFixes:
    """The fixes (and refusals) found for the findings of one file."""

    path: str
    text: str
    fixes: dict[Finding, Fix] = field(default_factory=dict)
    refused: dict[Finding, str] = field(default_factory=dict)


#: A fixer: the file's text, the finding, what the project knows -> a fix or why not.
Fixer = Callable[[str, Finding, "Project"], Fix | str]


@dataclass(frozen=True)
class Project:
    """What fixers may consult: the names of the project's flows (to avoid collisions)."""

    flow_names: frozenset[str] = frozenset()


#: The rules that have a fixer (known without importing the fixers: `fixers.default_fixers`).
FIXABLE = frozenset({"AS101", "AS102", "AS106", "AS301", "AS303", "AS307"})


class Source:
    """Line/column (1-based, characters) to offsets in a text, with LibCST's line ends."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        index = 0
        length = len(text)
        while index < length:
            char = text[index]
            if char == "\r":
                index += 2 if text.startswith("\r\n", index) else 1
                self.starts.append(index)
            elif char == "\n":
                index += 1
                self.starts.append(index)
            else:
                index += 1

    def offset(self, line: int, column: int) -> int:
        """The offset of 1-based `line` and 0-based `column`."""
        return self.starts[line - 1] + column

    def line_text(self, line: int) -> str:
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return self.text[self.starts[line - 1] : end]

    def line_range(self, line: int) -> tuple[int, int]:
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return self.starts[line - 1], end


def plan_fixes(
    root: Path,
    findings: Sequence[Finding],
    fixers: Mapping[str, Fixer],
    project: Project,
) -> dict[str, FileFixes]:
    """The fix (or refusal) of every finding a fixer exists for, by root-relative path.

    Files that cannot be read as UTF-8 are not fixed (each finding says so).
    """
    plans: dict[str, FileFixes] = {}
    for finding in findings:
        fixer = fixers.get(finding.code)
        if fixer is None or finding.line < 1:
            continue
        plan = plans.get(finding.path)
        if plan is None:
            try:
                text = read_confined(root, root / finding.path).decode("utf-8")
            except (OSError, UnicodeDecodeError, OutsideRootError) as exc:
                logger.info("not fixing %s: %s", finding.path, exc)
                plan = plans[finding.path] = FileFixes(finding.path, "")
                plan.refused[finding] = f"the file cannot be read as UTF-8 text ({exc})"
                continue
            plan = plans[finding.path] = FileFixes(finding.path, text)
        if not plan.text and finding in plan.refused:
            continue
        try:
            answer = fixer(plan.text, finding, project)
        except Exception as exc:  # a fixer bug must not lose the rest of the run
            logger.warning("%s: the %s fixer failed: %s", finding.concise(), finding.code, exc)
            answer = f"internal error in the fixer ({type(exc).__name__})"
        if isinstance(answer, Fix):
            plan.fixes[finding] = answer
        else:
            plan.refused[finding] = answer
    return plans


def write_fixed(root: Path, path: str, text: str) -> None:
    """Replace the file `path` (below `root`) by `text`, atomically, keeping its mode.

    Like every write of a repository's path, it never goes through a link
    (`acme_scan.confined`).
    """
    with Folder(root, root / path) as folder:
        before = folder.lstat()
        folder.write_atomic(text.encode("utf-8"))
        if before is not None:
            os.chmod(folder.name, stat.S_IMODE(before.st_mode), dir_fd=folder.fd)


def apply_fixes(text: str, fixes: Iterable[tuple[Finding, Fix]]) -> tuple[str, list[Finding]]:
    """`text` with the fixes applied (in file order, overlapping ones skipped); which were."""
    taken: list[Edit] = []
    applied: list[Finding] = []
    for finding, fix in sorted(fixes, key=lambda item: (min(item[1].edits), item[0].sort_key())):
        if fix.overlaps(taken):
            continue
        taken.extend(fix.edits)
        applied.append(finding)
    result: list[str] = []
    position = 0
    for edit in sorted(taken):
        result.append(text[position : edit.start])
        result.append(edit.content)
        position = edit.end
    result.append(text[position:])
    return "".join(result), applied


def unified_diff(path: str, before: str, after: str) -> str:
    """A unified diff of one file's fix, as `--diff` prints it."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in lines)
