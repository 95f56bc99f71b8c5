"""The `aps` subcommands: one module each, each with `main(argv) -> int`.

`acme_portal_sdk._main` dispatches to them; `console` holds what they share (the error
handler and exit codes, logging, tables).
"""
