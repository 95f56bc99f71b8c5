"""`acme_portal_sdk.main`: the `aps` command, whose modules load only when it is called.

The extension imports `acme_portal_sdk` on every call and never needs the command line's
modules (argparse, the subcommands, the configuration checker).
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run `aps` (`acme_portal_sdk._main.main`); returns the exit status."""
    from acme_portal_sdk._main import main as aps

    return aps(argv)
