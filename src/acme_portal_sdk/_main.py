"""The `aps` command: dispatches to one module per subcommand (`acme_portal_sdk.cli.*`).

| command | does |
|---|---|
| `aps check-config` | check the `.acme_portal_sdk` files the extension imports |
| `aps deploy` | deploy flows to an environment (`--dry-run`: show the plan) |
| `aps promote` | promote deployments between environments (`--dry-run`) |
| `aps deployments` | list the server's deployments (table, tree or JSON) |
| `aps demo` | deploy a project (default: the example) to a throwaway local Prefect server |
| `aps init` | write the `.acme_portal_sdk` files and a starter deploy config |

Subcommand modules are imported only when run, so `aps check-config` never imports Prefect.
Exit codes are documented in `acme_portal_sdk.cli.console`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from acme_portal_sdk.cli.check_config import (
    CONFIG_DIR,
    REQUIRED_FILES,
    check_project_configuration,
)

__all__ = ["COMMANDS", "CONFIG_DIR", "REQUIRED_FILES", "check_project_configuration", "main"]

#: Subcommand -> (module, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "check-config": (
        "acme_portal_sdk.cli.check_config",
        f"check the {CONFIG_DIR} files the extension imports",
    ),
    "deploy": ("acme_portal_sdk.cli.deploy", "deploy flows to an environment of the server"),
    "promote": ("acme_portal_sdk.cli.promote", "promote deployments to another environment"),
    "deployments": ("acme_portal_sdk.cli.deployments", "list the server's deployments"),
    "demo": ("acme_portal_sdk.cli.demo", "deploy a project to a throwaway local server"),
    "init": ("acme_portal_sdk.cli.init", f"write the {CONFIG_DIR} files and a deploy config"),
}


def usage() -> str:
    """The top-level help text."""
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: aps <command> [options]",
        "",
        "SDK behind the acme-portal VSCode extension.",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()),
        "",
        "Run `aps <command> --help` for a command's options.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `aps`; returns the exit status (2 for a missing or unknown command)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] == "--version":
        from acme_scan._version import __version__

        print(f"aps (acme-portal-sdk) {__version__}")
        return 0
    if args[0] not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(args[0], list(COMMANDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        print(usage(), file=sys.stderr)
        print(f"aps: error: unknown command {args[0]!r}{hint}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[args[0]][0])
    status: int = module.main(args[1:])
    return status


if __name__ == "__main__":
    sys.exit(main())
