"""`acme-scan rules`: list the rules of `acme-scan check`, or explain some of them."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence

import orjson

from acme_scan.check.rules import RULES, Rule, matching
from acme_scan.cli import EXIT_OK, EXIT_USAGE, HelpFormatter


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=HelpFormatter,
        prog="acme-scan rules",
        description="List the rules of `acme-scan check`; with CODES, explain those rules.",
    )
    parser.add_argument(
        "codes", nargs="*", metavar="CODES", help="codes, prefixes or names to explain"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    chosen: list[Rule] = []
    for selector in args.codes:
        rules = matching(selector)
        if not rules:
            print(f"acme-scan rules: error: no rule matches {selector!r}", file=sys.stderr)
            return EXIT_USAGE
        chosen += [rule for rule in rules if rule not in chosen]
    if args.format == "json":
        data = [_as_json(rule) for rule in chosen or RULES]
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif chosen:
        sys.stdout.write("\n".join(_explain(rule) for rule in chosen))
    else:
        sys.stdout.write(_table(RULES))
    return EXIT_OK


def _as_json(rule: Rule) -> dict[str, object]:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity,
        "default": rule.default,
        "origin": rule.origin,
        "summary": rule.summary,
        "doc": rule.doc,
    }


def _table(rules: Sequence[Rule]) -> str:
    rows = [("CODE", "NAME", "SEVERITY", "DEFAULT", "SUMMARY")]
    rows += [
        (rule.code, rule.name, rule.severity, "on" if rule.default else "opt-in", rule.summary)
        for rule in rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def _explain(rule: Rule) -> str:
    default = "on by default" if rule.default else "opt-in (off by default)"
    body = textwrap.fill(rule.doc, width=88, initial_indent="    ", subsequent_indent="    ")
    return f"{rule.code} {rule.name} [{rule.severity}, {default}]\n    {rule.summary}\n\n{body}\n"
