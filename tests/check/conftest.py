"""Helpers for the check tests: run the check over a temporary project."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from acme_scan.check import Finding, run_check
from acme_scan.check.config import Overrides

Check = Callable[..., list[Finding]]


@pytest.fixture
def check(tmp_path: Path) -> Check:
    """Write files into a fresh project (one per call), check it, return the findings."""
    counter = iter(range(1_000_000))

    def run(
        files: dict[str, str | bytes],
        paths: Sequence[str] | None = None,
        select: Sequence[str] | None = None,
        extend_select: Sequence[str] = (),
        ignore: Sequence[str] = (),
    ) -> list[Finding]:
        root = tmp_path / f"project-{next(counter)}"
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        root.mkdir(exist_ok=True)
        result = run_check(
            root,
            None if paths is None else [str(root / path) for path in paths],
            overrides=Overrides(select=select, extend_select=extend_select, ignore=ignore),
            write=False,
        )
        return result.findings

    return run


def codes(findings: Sequence[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def where(findings: Sequence[Finding]) -> list[tuple[str, str, int, int]]:
    return [(f.code, f.path, f.line, f.column) for f in findings]
