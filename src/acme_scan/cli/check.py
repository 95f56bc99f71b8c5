"""`acme-scan check`: run the rules over a project; exit 1 when something must be fixed."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from acme_scan.check.config import Overrides
from acme_scan.check.finding import Finding
from acme_scan.check.fix import (
    FIXABLE,
    FileFixes,
    Fix,
    Project,
    apply_fixes,
    plan_fixes,
    unified_diff,
    write_fixed,
)
from acme_scan.check.fixers import default_fixers
from acme_scan.check.formats import (
    HUMAN_FORMATS,
    RENDERERS,
    Style,
    render_statistics,
    summary,
    use_colour,
)
from acme_scan.check.runner import CheckResult, run_check
from acme_scan.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, HelpFormatter, configure_logging
from acme_scan.root import relative_to_cwd

#: `--format` values of acme-scan 2.0 (`human` is `concise` now).
_OLD_FORMATS = {"human": "concise"}
#: The formats that show which findings `--fix` can fix.
_MARKING = frozenset({"concise", "full", "json", "json-lines"})
#: How many fix-and-check rounds `--fix` runs at most (ruff: 100; ours converge in 2-3).
MAX_FIX_PASSES = 10


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        formatter_class=HelpFormatter,
        prog="acme-scan check",
        description="Check the Prefect flows of a project (and its deploy config) without "
        "importing them. The whole project is scanned, through the incremental index; with "
        "PATHS, only findings touching those files are reported (a duplicate flow name "
        "touches both files). `acme-scan rules` lists the rules.",
        epilog="Exit codes: 0 no errors (warnings allowed unless --strict), 1 findings, "
        "2 usage or input error, 3 internal error.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATHS",
        help="report only findings touching these files or folders (default: everything)",
    )
    parser.add_argument(
        "--root",
        help="project root (default: found from PATHS, else from the current directory: "
        "the nearest pyproject.toml with [tool.acme-scan], else the nearest pyproject.toml, "
        "else the git work tree's top)",
    )
    parser.add_argument(
        "--output-format",
        choices=tuple(RENDERERS),
        help="concise (default), full (with the source line), json, json-lines, github "
        "(workflow annotations), sarif (2.1.0), junit or gitlab (code quality)",
    )
    parser.add_argument(  # deprecated spelling of --output-format
        "--format", choices=(*_OLD_FORMATS, *RENDERERS), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "-o",
        "--output-file",
        metavar="FILE",
        help="write the findings (or statistics) to FILE instead of stdout",
    )
    parser.add_argument(
        "--statistics",
        action="store_true",
        help="print how many findings each rule has instead of the findings",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="apply the safe fixes (marked [*]), then report what remains",
    )
    parser.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="offer and apply the unsafe fixes too (with --fix or --diff)",
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff instead of applying them; exit 1 if any",
    )
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when there are findings (usage and internal errors still fail)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="warnings fail the check too (exit 1)"
    )
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="do not update the index file (it is still read and reused)",
    )
    parser.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="run only these rules (codes, prefixes, names or ALL; comma-separated), "
        "replacing `select`, `extend-select` and `ignore` of [tool.acme-scan] (as in ruff)",
    )
    parser.add_argument(
        "--extend-select",
        action="append",
        default=[],
        metavar="CODES",
        help="also run these rules (e.g. the opt-in AS211,AS212)",
    )
    parser.add_argument(
        "--ignore", action="append", default=[], metavar="CODES", help="do not run these rules"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    output_format = args.output_format
    if args.format is not None:
        sys.stderr.write(
            "acme-scan check: warning: --format is deprecated, use --output-format "
            f"{_OLD_FORMATS.get(args.format, args.format)}\n"
        )
        if output_format is None:
            output_format = _OLD_FORMATS.get(args.format, args.format)
    output_format = output_format or "concise"
    overrides = Overrides(select=args.select, extend_select=args.extend_select, ignore=args.ignore)

    def check() -> CheckResult:
        with Progress(sys.stderr, enabled=not args.quiet):
            return run_check(
                args.root, args.paths or None, overrides=overrides, write=not args.no_write
            )

    result = check()
    if result.files == 0:
        sys.stderr.write(
            f"acme-scan check: warning: no Python files found in {relative_to_cwd(result.root)}\n"
        )
    # Planning fixes parses the files concerned with LibCST: done for `--fix`/`--diff` and
    # for the formats that mark fixable findings (`[*]`, `"fixable"`), not for CI formats.
    wants_plans = args.fix or args.diff or args.statistics or output_format in _MARKING
    plans = _plans(result) if wants_plans else {}
    if args.diff:
        diff, applied = _fixed_texts(plans, args.unsafe_fixes)
        output = "".join(unified_diff(path, before, after) for path, (before, after) in diff)
        if not _emit(args.output_file, output):
            return EXIT_USAGE
        if not args.quiet:
            sys.stderr.write("".join(f"{line}\n" for line in applied))
            sys.stderr.write(_not_fixed(plans, args.unsafe_fixes))
            sys.stderr.write(f"acme-scan check: {_plural(len(diff), 'file')} would be fixed\n")
        return EXIT_FINDINGS if diff and not args.exit_zero else EXIT_OK
    fixed = 0
    if args.fix:
        # As ruff does: fix, check again, fix what the first fixes revealed (a decorator's
        # next problem, the deploy config once it parses), until nothing changes.
        for _ in range(MAX_FIX_PASSES):
            changed, applied = _fixed_texts(plans, args.unsafe_fixes)
            if not changed:
                break
            for path, (_, after) in changed:
                write_fixed(result.root, path, after)
            fixed += len(applied)
            if not args.quiet:
                sys.stderr.write("".join(f"{line}\n" for line in applied))
            result = check()
            plans = _plans(result) if wants_plans else {}
    stream = None if args.output_file else sys.stdout
    fixable = frozenset(
        finding
        for plan in plans.values()
        for finding, fix in plan.fixes.items()
        if fix.applicability == "safe" or args.unsafe_fixes
    )
    style = Style(colour=output_format in HUMAN_FORMATS and use_colour(stream), fixable=fixable)
    if args.statistics:
        output = render_statistics(result, style, as_json=output_format == "json")
    else:
        output = RENDERERS[output_format](result, style)
    if not _emit(args.output_file, output):
        return EXIT_USAGE
    if not args.quiet:
        sys.stderr.write(summary(result))
        if args.fix:
            sys.stderr.write(_not_fixed(plans, args.unsafe_fixes))
            sys.stderr.write(f"acme-scan check: fixed {_plural(fixed, 'problem')}\n")
        hint = _fix_hint(plans, args.unsafe_fixes, args.fix)
        if hint:
            sys.stderr.write(hint)
    if args.exit_zero:
        return EXIT_OK
    failing = {"error", "warning"} if args.strict else {"error"}
    return EXIT_FINDINGS if any(f.severity in failing for f in result.findings) else EXIT_OK


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _plans(result: CheckResult) -> dict[str, FileFixes]:
    wanted = [finding for finding in result.findings if finding.code in FIXABLE]
    if not wanted:
        return {}
    return plan_fixes(result.root, wanted, default_fixers(), Project(result.flow_names))


def _chosen(plan: FileFixes, unsafe: bool) -> list[tuple[Finding, Fix]]:
    return [
        (finding, fix)
        for finding, fix in plan.fixes.items()
        if fix.applicability == "safe" or unsafe
    ]


def _fixed_texts(
    plans: dict[str, FileFixes], unsafe: bool
) -> tuple[list[tuple[str, tuple[str, str]]], list[str]]:
    """The files the chosen fixes change, as (path, (before, after)), and a line per fix."""
    changed: list[tuple[str, tuple[str, str]]] = []
    lines: list[str] = []
    for path in sorted(plans):
        plan = plans[path]
        after, applied = apply_fixes(plan.text, _chosen(plan, unsafe))
        lines += [
            f"{_where(finding)} fixed: {plan.fixes[finding].description}"
            for finding in sorted(applied, key=Finding.sort_key)
        ]
        if after != plan.text:
            changed.append((path, (plan.text, after)))
    return changed, lines


def _not_fixed(plans: dict[str, FileFixes], unsafe: bool) -> str:
    """A line per finding of a fixable rule that is not fixed, saying why."""
    lines: list[tuple[tuple[str, int, int, str, str], str]] = []
    for plan in plans.values():
        _, applied = apply_fixes(plan.text, _chosen(plan, unsafe))
        for finding, fix in plan.fixes.items():
            if finding in applied:
                continue
            if fix.applicability == "unsafe" and not unsafe:
                why = f"an unsafe fix ({fix.description}): pass --unsafe-fixes"
            else:
                why = "overlaps another fix: run again"
            lines.append((finding.sort_key(), f"{_where(finding)} not fixed: {why}"))
        for finding, reason in plan.refused.items():
            lines.append((finding.sort_key(), f"{_where(finding)} not fixed: {reason}"))
    return "".join(f"{line}\n" for _, line in sorted(lines))


def _where(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code}"


def _fix_hint(plans: dict[str, FileFixes], unsafe: bool, fixing: bool) -> str:
    safe = sum(1 for p in plans.values() for f in p.fixes.values() if f.applicability == "safe")
    risky = sum(1 for p in plans.values() for f in p.fixes.values() if f.applicability != "safe")
    parts = []
    if safe and not fixing:
        parts.append(f"{safe} {'fix' if safe == 1 else 'fixes'} available with --fix")
    if risky and not unsafe:
        parts.append(f"{risky} more with --unsafe-fixes")
    return f"acme-scan check: [*] {'; '.join(parts)}\n" if parts else ""


def _emit(output_file: str | None, output: str) -> bool:
    if output_file:
        return _write_output(Path(output_file), output)
    if output:
        sys.stdout.write(output)
        sys.stdout.flush()
    return True


def _write_output(path: Path, text: str) -> bool:
    """Write the report to `path` (the user's choice, like ruff's `--output-file`)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"acme-scan check: error: cannot write {path}: {exc.strerror or exc}\n")
        return False
    return True


class Progress:
    """`acme-scan check: scanning... 3.2s` on stderr while a long run works, in a terminal.

    Nothing is drawn for runs shorter than `delay` seconds, when the stream is not a
    terminal, or when disabled (`-q`); the line is erased when the run ends. The ticker
    thread is joined on exit, whatever happens.
    """

    def __init__(
        self, stream: IO[str], *, enabled: bool = True, delay: float = 0.5, every: float = 0.1
    ) -> None:
        isatty = getattr(stream, "isatty", None)
        self.stream = stream
        self.enabled = enabled and isatty is not None and bool(isatty())
        self.delay = delay
        self.every = every
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.drawn = False

    def __enter__(self) -> Progress:
        if self.enabled:
            self.started = time.monotonic()
            self.thread = threading.Thread(target=self._tick, name="acme-scan-progress")
            self.thread.daemon = True
            self.thread.start()
        return self

    def _tick(self) -> None:
        if self.stop.wait(self.delay):
            return
        while True:
            elapsed = time.monotonic() - self.started
            self.stream.write(f"\racme-scan check: scanning the project... {elapsed:.1f}s")
            self.stream.flush()
            self.drawn = True
            if self.stop.wait(self.every):
                return

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
