"""What a check reports: a finding at a position, maybe touching other positions too."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from acme_scan.codes import Severity


@dataclass(frozen=True, slots=True)
class Location:
    """A position in a file: POSIX path relative to the root, 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by a rule.

    `line` and `column` are 1-based (0 when the problem concerns the whole file). `related`
    lists the other places the problem involves (the other definition of a duplicate flow
    name, the flow a deploy-config entry refers to): a finding touches its own file and
    every related file.
    """

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    related: tuple[Location, ...] = ()

    @classmethod
    def from_diagnostic(cls, diagnostic: dict[str, Any]) -> Finding:
        """The finding of a diagnostic of the index (its JSON data)."""
        return cls(
            path=diagnostic["path"],
            line=diagnostic["line"],
            column=diagnostic["column"],
            code=diagnostic["code"],
            severity=diagnostic["severity"],
            message=diagnostic["message"],
        )

    def concise(self, path: str | None = None) -> str:
        """`path:line:col: CODE [severity] message` (`path`: how to show the file)."""
        return (
            f"{self.path if path is None else path}:{self.line}:{self.column}: {self.code} "
            f"[{self.severity}] {self.message}"
        )

    def touches(self, paths: Collection[str]) -> bool:
        """True when this finding's file or a related file is one of `paths` (or under one).

        `paths` are POSIX paths relative to the root; `""` stands for the root itself.
        """
        files = (self.path, *(location.path for location in self.related))
        return any(_under(file, given) for file in files for given in paths)

    def with_severity(self, severity: Severity) -> Finding:
        return self if severity == self.severity else replace(self, severity=severity)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)


def _under(path: str, given: str) -> bool:
    return given in ("", ".") or path == given or path.startswith(given.rstrip("/") + "/")
