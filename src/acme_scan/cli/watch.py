"""`acme-scan watch`: keep a project's flow index up to date until stopped."""

from __future__ import annotations

import argparse
import gc
import math
import signal
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from acme_scan.cli import (
    EXIT_OK,
    HelpFormatter,
    add_root_arguments,
    command_root,
    configure_logging,
)
from acme_scan.watch.watcher import (
    DEFAULT_MAX_WAIT,
    DEFAULT_QUIET,
    DEFAULT_RECONCILE,
    POLLING_ENV,
    Watcher,
    WatchUpdate,
)

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Stop(Exception):
    """Raised in the main thread by SIGINT or SIGTERM: stop watching, cleanly."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        formatter_class=HelpFormatter,
        prog="acme-scan watch",
        description="Bring the index of ROOT up to date, then keep it so as files change, "
        "until stopped (Ctrl-C or SIGTERM: exit 0, the index complete). Quiet unless -v.",
        epilog="Exit codes: 0 stopped, 2 usage or input error (another watcher already keeps "
        "this index, invalid settings, unwritable index), 3 internal error.",
    )
    add_root_arguments(parser)
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="the index file (default: as `acme-scan scan`)"
    )
    parser.add_argument(
        "--polling",
        action="store_true",
        help=f"poll the folders instead of using file-system events (also: {POLLING_ENV}=1; "
        "automatic when events cannot be had)",
    )
    parser.add_argument(
        "--quiet-ms",
        type=_non_negative,
        default=DEFAULT_QUIET * 1000,
        metavar="N",
        help="re-check after N ms without events (default: %(default)g)",
    )
    parser.add_argument(
        "--max-wait-ms",
        type=_non_negative,
        default=DEFAULT_MAX_WAIT * 1000,
        metavar="N",
        help="but at most N ms after the first event (default: %(default)g)",
    )
    parser.add_argument(
        "--reconcile-s",
        type=_non_negative,
        default=DEFAULT_RECONCILE,
        metavar="N",
        help="reconcile with the whole tree every N s, in case events were lost "
        "(default: %(default)g; 0: never)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log the flows added, removed and changed (-vv: also events and timings)",
    )
    return parser


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:  # also rejects NaN
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number (0: never): {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    watcher = Watcher(
        command_root(args),
        index_path=Path(args.output) if args.output else None,
        polling=True if args.polling else None,
        quiet=args.quiet_ms / 1000,
        max_wait=args.max_wait_ms / 1000,
        reconcile_interval=args.reconcile_s,
        on_update=_freeze_after_reconcile,
    )
    # Until the watcher is up, signals act as for `acme-scan scan` (Ctrl-C interrupts).
    saved = [(signum, signal.getsignal(signum)) for signum in _SIGNALS]
    try:
        with watcher:
            for signum in _SIGNALS:
                signal.signal(signum, _on_signal)
            _freeze()
            watcher.wait()  # returns only when the watcher fails
            _ignore_signals()
    except _Stop:
        pass
    finally:
        for signum, handler in saved:
            signal.signal(signum, handler)
    if watcher.error is not None:
        raise watcher.error
    return EXIT_OK


def _freeze() -> None:
    """Exempt what is alive now (the index in memory: millions of objects) from the cyclic
    garbage collector: its full collections would otherwise add tens of milliseconds to
    random updates. Garbage is collected first, so no cycle is frozen for good."""
    gc.collect()
    gc.freeze()


def _freeze_after_reconcile(update: WatchUpdate) -> None:
    if update.reconciled:
        _freeze()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _ignore_signals()  # a second signal must not cut the stop short
    raise _Stop(signal.Signals(signum).name)


def _ignore_signals() -> None:
    for signum in _SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
