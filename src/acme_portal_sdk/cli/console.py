"""What every `aps` subcommand shares: logging to stderr, one error handler, tables.

Exit codes (stable): 0 success; 1 an operation failed (a deployment, the server); 2 usage or
input error (bad arguments, names, configuration: nothing was attempted); 3 internal error
(a bug: please report it); 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from acme_portal_sdk.errors import AcmePortalError, DeploymentsFailedError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

Command = Callable[[argparse.Namespace], int]


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """`--help` without acme-portal-sdk 1.x's single-dash spellings (`-project-name`).

    They are still accepted (the README lists them); showing them doubled every line.
    """

    def _format_action_invocation(self, action: argparse.Action) -> str:
        shown = [option for option in action.option_strings if not _legacy_spelling(option)]
        if shown and len(shown) != len(action.option_strings):
            action = copy.copy(action)
            action.option_strings = shown
        return super()._format_action_invocation(action)


def _legacy_spelling(option: str) -> bool:
    return option.startswith("-") and not option.startswith("--") and len(option) > 2


def add_verbosity(parser: argparse.ArgumentParser) -> None:
    """`-v` (repeatable) and `-q` options."""
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output on stderr (-vv: debug)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record is emitted (not when created)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def configure_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Send this package's log records to stderr (warnings by default)."""
    level = logging.ERROR if quiet else [logging.WARNING, logging.INFO][min(verbose, 1)]
    if verbose >= 2:
        level = logging.DEBUG
    logger = logging.getLogger("acme_portal_sdk")
    if not any(isinstance(h, StderrHandler) for h in logger.handlers):
        logger.addHandler(StderrHandler())
    logger.setLevel(level)


#: Non-ASCII characters `aps` prints, and what a terminal that cannot show them gets.
ASCII_FALLBACKS = {"\u2705": "[ok]", "\u274c": "[FAILED]", "\u2026": "..."}


def ascii_only(stream: object) -> bool:
    """Whether `stream`'s encoding cannot show the marks `aps` prints (e.g. `LANG=C`)."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(ASCII_FALLBACKS).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return True
    return False


def printable(text: str, stream: object = None) -> str:
    """`text` with `ASCII_FALLBACKS` applied when `stream` (default: stdout) needs them."""
    if not ascii_only(sys.stdout if stream is None else stream):
        return text
    for mark, fallback in ASCII_FALLBACKS.items():
        text = text.replace(mark, fallback)
    return text


def _never_fail_on_encoding() -> None:
    """Make stdout replace what its encoding cannot show instead of raising."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and ascii_only(sys.stdout):
        with contextlib.suppress(ValueError, OSError):  # a stream that refuses
            reconfigure(errors="replace")


def error(prog: str, message: str) -> None:
    """Print an error message on stderr."""
    print(f"{prog}: error: {message}", file=sys.stderr)


def run(
    prog: str,
    parser: argparse.ArgumentParser,
    command: Command,
    argv: Sequence[str] | None,
) -> int:
    """Parse `argv`, run `command`, and map every failure to its exit code.

    This is the one place where errors become messages: `AcmePortalError`s print their
    message (a failed deploy also its report, on stdout); anything else is a bug.
    """
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    configure_logging(getattr(args, "verbose", 0), getattr(args, "quiet", False))
    _never_fail_on_encoding()
    try:
        return command(args)
    except DeploymentsFailedError as exc:
        print("\n".join(exc.report.lines()))
        error(prog, f"{len(exc.report.failed)} deployment(s) failed")
        return exc.exit_code
    except AcmePortalError as exc:
        error(prog, str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        error(prog, "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `aps deployments | head`: the reader left; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except Exception:
        traceback.print_exc(file=sys.stderr)
        error(prog, "internal error (this is a bug: please report it with the traceback above)")
        return EXIT_INTERNAL


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A plain-text table: left-aligned columns separated by two spaces."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = []
    for row in (headers, *rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return lines


def parse_env_vars(values: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` arguments as a dict; `InputError` for a malformed one."""
    from acme_portal_sdk.errors import InputError

    result = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise InputError(f"--env-var expects KEY=VALUE, got {value!r}")
        result[key] = item
    return result


def split_flows(value: str) -> list[str] | None:
    """`--flows-to-deploy`: None for `all`, else the comma-separated names (at least one)."""
    from acme_portal_sdk.errors import InputError

    if value.strip().lower() == "all":
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise InputError(f"--flows-to-deploy names no flow ({value!r}); give names or 'all'")
    return names


ROOT_HELP = (
    "the project root (default: found from the current directory, as `acme-scan` does: the "
    "nearest pyproject.toml with [tool.acme-scan], else the nearest pyproject.toml, else "
    "the git work tree's top, else the current directory)"
)


def project_root(given: str | None) -> Path:
    """The project a command works on: `given` (`--root`), else found from the current
    directory by `acme_scan.root.find_root`; `InputError` when `given` is no folder."""
    from acme_portal_sdk.errors import InputError
    from acme_scan.errors import AcmeScanError
    from acme_scan.root import project_root as find

    try:
        return find((), given)
    except AcmeScanError as exc:
        raise InputError(str(exc)) from exc
