"""`acme-scan check`: run the rules over a project; exit 1 when something must be fixed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from acme_scan.check.config import Overrides
from acme_scan.check.formats import RENDERERS, summary
from acme_scan.check.runner import run_check
from acme_scan.cli import EXIT_FINDINGS, EXIT_OK, configure_logging
from acme_scan.root import relative_to_cwd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
        "--format",
        choices=tuple(RENDERERS),
        default="human",
        help="human (default), json, or github (workflow annotations)",
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
        "replacing `select` in [tool.acme-scan]",
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
    result = run_check(
        args.root,
        args.paths or None,
        overrides=Overrides(
            select=args.select, extend_select=args.extend_select, ignore=args.ignore
        ),
        write=not args.no_write,
    )
    if result.files == 0:
        sys.stderr.write(
            f"acme-scan check: warning: no Python files found in {relative_to_cwd(result.root)}\n"
        )
    output = RENDERERS[args.format](result)
    if output:
        sys.stdout.write(output)
        sys.stdout.flush()
    if not args.quiet:
        sys.stderr.write(summary(result))
    failing = {"error", "warning"} if args.strict else {"error"}
    return EXIT_FINDINGS if any(f.severity in failing for f in result.findings) else EXIT_OK
