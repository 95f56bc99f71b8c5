"""`acme-scan scan`: bring a project's flow index up to date and summarise it."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from acme_scan import _exit
from acme_scan._records import replace
from acme_scan.cli import (
    EXIT_OK,
    EXIT_USAGE,
    HelpFormatter,
    add_root_arguments,
    command_root,
    configure_logging,
)
from acme_scan.index.project import ProjectScan, scan_project
from acme_scan.root import relative_to_cwd
from acme_scan.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        formatter_class=HelpFormatter,
        prog="acme-scan scan",
        description="Find every Prefect flow under ROOT without importing it, and write the "
        "index file (default: ROOT/.acme_scan/index.json, or `index` in [tool.acme-scan]).",
        epilog="Exit codes: 0 scanned (diagnostics in user files are data, not a failure), "
        "2 usage or input error, 3 internal error.",
    )
    add_root_arguments(parser)
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write the index; `-` prints it to stdout instead of writing a file",
    )
    parser.add_argument(
        "--format",
        choices=("summary", "table"),
        default="summary",
        help="`table` also lists the flows on stdout (default: summary on stderr only)",
    )
    parser.add_argument(
        "--no-prefilter",
        action="store_true",
        help="parse every file, even those that never mention prefect (slower)",
    )
    parser.add_argument(
        "--cold", action="store_true", help="ignore the existing index and rescan every file"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    if args.output == "-" and args.format == "table":
        parser.print_usage(sys.stderr)
        print(
            "acme-scan scan: error: --format table and --output - both use stdout", file=sys.stderr
        )
        return EXIT_USAGE
    root = command_root(args)
    settings = None
    if args.no_prefilter:
        settings = replace(load_settings(root), prefilter=False)
    to_stdout = args.output == "-"
    index_path = None if args.output in (None, "-") else Path(args.output)
    progress = _Progress(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
    result = scan_project(
        root,
        index_path=index_path,
        settings=settings,
        write=not to_stdout,
        reuse=not args.cold,
        progress=progress,
    )
    _exit.leave(result)  # the index's data: freed by the process's exit (see `_exit`)
    if progress is not None:
        progress.clear()
    if to_stdout:
        sys.stdout.buffer.write(result.to_bytes())
        sys.stdout.flush()
    if args.format == "table":
        print_table(result.data["flows"], sys.stdout)
    if not args.quiet:
        if result.stats.files == 0:
            sys.stderr.write(
                f"acme-scan: warning: no Python files found in {relative_to_cwd(root)}\n"
            )
        print_summary(result, sys.stderr, root)
    return EXIT_OK


def _where(flow: dict[str, Any]) -> str:
    """The entrypoint (Prefect), the file Airflow loads (a DAG), else where it is defined."""
    if flow["entrypoint"]:
        return str(flow["entrypoint"])
    where = f"{flow['path']}:{flow['qualname']}" if flow["qualname"] else str(flow["path"])
    return where if flow["deployable"] else f"{where} (not deployable)"


def print_table(flows: list[dict[str, Any]], out: TextIO) -> None:
    rows = [("NAME", "ENTRYPOINT", "LINE", "ASYNC")]
    for flow in flows:
        rows.append(
            (
                flow["name"] if flow["name"] is not None else "<dynamic>",
                _where(flow),
                str(flow["line"]),
                "async" if flow["is_async"] else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        out.write("\n")


def print_summary(result: ProjectScan, out: TextIO, root: Path) -> None:
    summary, stats = result.summary, result.stats
    if stats.index_problem:
        out.write(f"acme-scan: warning: {stats.index_problem}\n")
    diagnostics = summary.diagnostics
    for d in diagnostics:
        where = relative_to_cwd(root / d["path"], root)
        code, severity, message = d["code"], d["severity"], d["message"]
        out.write(f"{where}:{d['line']}:{d['column']}: {code} [{severity}] {message}\n")
    errors = sum(1 for d in diagnostics if d["severity"] == "error")
    warnings = sum(1 for d in diagnostics if d["severity"] == "warning")
    files_with_flows = summary.files_with_flows
    where = "stdout" if result.index_path is None else relative_to_cwd(result.index_path, root)
    state = "written" if result.written else "unchanged"
    if result.index_path is None:
        state = "printed"
    rate = stats.files / stats.seconds if stats.seconds > 0 else 0.0
    out.write(
        f"acme-scan: {summary.flows} flows in {files_with_flows} files; "
        f"{stats.files} files ({stats.parsed} parsed, {stats.skipped} skipped by the prefilter, "
        f"{stats.failed} failed, {stats.reused} unchanged since the last scan); "
        f"{errors} errors, {warnings} warnings; {stats.seconds:.2f}s ({rate:,.0f} files/s); "
        f"index {state}: {where}\n"
    )


class _Progress:
    """A one-line progress indicator for interactive terminals (stderr only)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < 0.5 or (now - self.last < 0.1 and done != total):
            return
        self.last = now
        self.shown = True
        self.out.write(f"\racme-scan: {done}/{total} files")
        self.out.flush()

    def clear(self) -> None:
        if self.shown:
            self.out.write("\r\033[K")
            self.out.flush()
