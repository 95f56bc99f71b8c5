"""`acme-scan`: one small module per subcommand, each `main(argv) -> int`.

May import every layer (`scanner`, `index`, `watch`, `check`) and the top-level modules.

Exit codes: 0 success, 1 findings (commands that check), 2 usage or input error (bad
arguments, a missing root, invalid settings, an unwritable index), 3 internal error.
Only this package prints; results go to stdout, everything for people to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from acme_scan import _exit, _log
from acme_scan._collector import fewer_collections
from acme_scan._version import __version__
from acme_scan.errors import AcmeScanError, RootError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

_COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("acme_scan.cli.scan", "scan a project and write its flow index"),
    "schema": ("acme_scan.cli.schema", "print the JSON Schema of the index file"),
    "check": ("acme_scan.cli.check", "check flows and the deploy config; exit 1 on findings"),
    "rules": ("acme_scan.cli.rules", "list the rules of `check`, or explain some"),
    "watch": ("acme_scan.cli.watch", "keep the flow index up to date as files change"),
}
#: Commands that run until stopped: they free what they are done with (see `_exit`).
_LONG_RUNNING = frozenset({"watch"})


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, as wide as the terminal as argparse makes it, without importing
    `shutil` (and with it zlib, bz2 and lzma: 2-3 ms at every start, since argparse makes a
    formatter for every argument added). Every subcommand's parser uses it."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(
            prog, indent_increment, max_help_position, _columns() - 2 if width is None else width
        )


def _columns() -> int:
    """`shutil.get_terminal_size().columns`: `$COLUMNS`, else the terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _usage() -> str:
    lines = ["usage: acme-scan [--version] COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<8} {summary}" for name, (_, summary) in _COMMANDS.items()]
    lines += ["", "`acme-scan COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage(), file=sys.stderr if not args else sys.stdout)
        return EXIT_USAGE if not args else EXIT_OK
    if args[0] == "--version":
        from acme_scan.scanner import compiled

        build = " (scanner compiled by mypyc)" if compiled() else ""
        print(f"acme-scan {__version__}{build}")
        return EXIT_OK
    command = args[0]
    if command not in _COMMANDS:
        print(
            f"acme-scan: unknown command {command!r}{did_you_mean(command, _COMMANDS)}\n\n"
            f"{_usage()}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    import importlib

    module = importlib.import_module(_COMMANDS[command][0])
    run: Callable[[Sequence[str]], int] = module.main
    with fewer_collections():  # an index is a million objects, none in a cycle
        return guarded(run, args[1:])


def console() -> NoReturn:
    """The `acme-scan` console script (and `python -m acme_scan`): `main()`, then exit at
    once, as mypy's command line does. The interpreter's teardown frees every object one by
    one: ~30 ms after a cold scan of 10,000 files, more after `check` has parsed a large
    index. Output is flushed and logging shut down first; the exit is the ordinary one
    where that cannot be done cleanly (a closed pipe) or another thread still runs."""
    args = sys.argv[1:]
    if args and args[0] not in _LONG_RUNNING:
        _exit.arm()  # the objects of its work are left for `os._exit` below, never freed
    code = main(args)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: Python's own exit says so, as always
        sys.exit(code)
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.shutdown()
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        sys.exit(code)  # the interpreter waits for non-daemon threads
    os._exit(code)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest of `choices`, or nothing."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def guarded(run: Callable[[Sequence[str]], int], argv: Sequence[str]) -> int:
    """The single top-level error handler: errors to stderr, mapped to stable exit codes."""
    try:
        return run(argv)
    except AcmeScanError as exc:
        print(f"acme-scan: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("acme-scan: interrupted", file=sys.stderr)
        return 130
    except Exception:
        import traceback  # only for a bug: with `logging`, ~4 ms of every start

        print("acme-scan: internal error (please report it with this output):", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return EXIT_INTERNAL


def add_root_arguments(parser: argparse.ArgumentParser) -> None:
    """`[PATH]` and `--root DIR`: which project a command works on (see `command_root`)."""
    parser.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="a folder or file of the project; its root is found from there (default: the "
        "current directory): the nearest pyproject.toml with [tool.acme-scan], else the "
        "nearest pyproject.toml, else the git work tree's top, else PATH itself",
    )
    parser.add_argument("--root", metavar="DIR", help="the project root, exactly (no search)")


def command_root(args: argparse.Namespace) -> Path:
    """The project root for `add_root_arguments`' options (`acme_scan.root.project_root`)."""
    from acme_scan.root import project_root

    if args.path is not None and not Path(args.path).exists():
        raise RootError(Path(args.path), "no such file or directory")
    return project_root([args.path] if args.path is not None else [], args.root)


def configure_logging(verbosity: int) -> None:
    """Log to stderr: warnings by default, info with -v, debug with -vv. Without -v the set-up
    waits for the first warning to load `logging` (`acme_scan._log`): a run that warns of
    nothing never loads it."""

    def setup(logging: ModuleType) -> None:
        level = (
            logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        )
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("acme-scan: %(levelname)s: %(message)s"))
        root = logging.getLogger("acme_scan")
        root.handlers[:] = [handler]
        root.setLevel(level)
        root.propagate = False

    _log.configure(setup, now=verbosity > 0)
